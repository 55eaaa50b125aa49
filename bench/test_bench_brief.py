"""Benchmarks of ``critmin brief rare-earths`` (targets: ≤ 3 s from a built store, ≤ 15 s on a first run).

Both command benchmarks run the installed console script in a subprocess, so the wall time includes the
interpreter start and all imports, as a user sees it. Run with ``make bench`` (``pytest bench
--benchmark-only``).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from critmin.store import Store


def _critmin() -> list[str]:
    script = Path(sys.executable).with_name("critmin")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from critmin.cli.main import app; app()"]


def _run_brief(env: dict[str, str], out: Path) -> None:
    subprocess.run(
        [*_critmin(), "brief", "rare-earths", "--out", str(out)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment with a built store and a warm Vega-bundle cache (one untimed run)."""
    work = tmp_path_factory.mktemp("bench-brief")
    env = {**os.environ, "CRITMIN_DB": str(work / "store.duckdb"), "CRITMIN_CACHE_DIR": str(work / "cache")}
    Store.open(work / "store.duckdb").build_from_package()
    _run_brief(env, work / "warm.html")
    yield env


def test_brief_from_built_store(benchmark: Any, built: dict[str, str], tmp_path: Path) -> None:
    """``critmin brief rare-earths`` with the store already built (target ≤ 3 s wall)."""
    benchmark.extra_info["target_s"] = 3.0
    benchmark.pedantic(_run_brief, args=(built, tmp_path / "brief.html"), rounds=5, iterations=1)


def test_brief_first_run(benchmark: Any, tmp_path: Path) -> None:
    """First run: no store and no cached Vega bundle yet, so both are built (target ≤ 15 s wall)."""
    benchmark.extra_info["target_s"] = 15.0
    counter = itertools.count()

    def fresh() -> tuple[tuple[Any, ...], dict[str, Any]]:
        run = tmp_path / f"run{next(counter)}"
        env = {**os.environ, "CRITMIN_DB": str(run / "store.duckdb"), "CRITMIN_CACHE_DIR": str(run / "cache")}
        return (env, run / "brief.html"), {}

    benchmark.pedantic(_run_brief, setup=fresh, rounds=3, iterations=1)


def test_build_and_render_in_process(benchmark: Any, built: dict[str, str], monkeypatch: Any) -> None:
    """``build_brief`` + ``render_html`` inside one process (no interpreter start, imports already done)."""
    monkeypatch.setenv("CRITMIN_DB", built["CRITMIN_DB"])
    monkeypatch.setenv("CRITMIN_CACHE_DIR", built["CRITMIN_CACHE_DIR"])
    from critmin.report.brief import build_brief, render_html

    def run() -> int:
        return len(render_html(build_brief("rare-earths")))

    size = benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
    assert size > 500_000
