"""Benchmarks of the foundation: import time and store build (targets: import ≤ 0.3 s)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from critmin.store import Store


def test_import_critmin(benchmark: Any) -> None:
    """``python -c "import critmin"`` wall time, interpreter start included (target ≤ 0.3 s)."""
    benchmark.pedantic(
        subprocess.run,
        args=([sys.executable, "-c", "import critmin"],),
        kwargs={"check": True},
        rounds=5,
        iterations=1,
    )


def test_store_build(benchmark: Any, tmp_path: Path) -> None:
    """Building the DuckDB store from the embedded package (part of the first-run budget of 15 s)."""
    counter = iter(range(100))

    def build() -> None:
        Store.open(tmp_path / f"s{next(counter)}.duckdb").build_from_package()

    benchmark.pedantic(build, rounds=3, iterations=1)
