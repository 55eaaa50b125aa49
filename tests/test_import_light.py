"""``import critmin`` is light and has no side effects (no files written, no DB opened)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_import_loads_no_heavy_library_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "never.duckdb"
    code = (
        "import json, sys, critmin; "
        "print(json.dumps(sorted(m for m in ('pandas', 'duckdb', 'altair', 'numpy', 'country_converter') if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"CRITMIN_DB": str(db), "PATH": ""},
    )
    assert json.loads(out.stdout) == []
    assert not db.exists()
    assert list(tmp_path.iterdir()) == []


def test_public_api_is_reachable_lazily() -> None:
    import critmin

    assert callable(critmin.production)
    assert critmin.vocab.resolve_commodity("REE") == "rare-earths"
