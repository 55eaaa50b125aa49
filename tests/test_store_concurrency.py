"""Several processes on one store: readers wait for writers, imports wait for readers, nothing is rebuilt or lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.store import Store, StoreError, StoreLockedError

FIXTURES = Path(__file__).parent / "data" / "fixtures"
WGI = FIXTURES / "WGI_DataBank_extract_Data.csv"
runner = CliRunner()

IMPORTS = 6  # imports in a row by one process
READERS = 3  # reader processes querying all the while

READER = r"""
import json, logging, sys
from pathlib import Path
from typer.testing import CliRunner
import critmin
from critmin.cli.main import app
from critmin.store import Store

stop, out = Path(sys.argv[1]), Path(sys.argv[2])
waits = []
class Waits(logging.Handler):
    def emit(self, record):
        waits.append(record.getMessage())
log = logging.getLogger("critmin.store")
log.addHandler(Waits())
log.propagate = False
store, runner = Store.open(), CliRunner()
reads, built, log_sizes, values, errors = 0, set(), [], set(), []
print("ready", flush=True)
while not stop.exists():
    try:
        built.add(store.meta()["built_at"])
        log_sizes.append(len(store.imports()))
        gov = critmin.governance(country="BHS", year=2023)
        values.add(round(float(gov["political_stability"].iloc[0]), 9))
        if reads % 4 == 3:
            result = runner.invoke(app, ["data", "show", "rare-earths", "--format", "json"])
            if result.exit_code != 0:
                errors.append(result.output)
        reads += 1
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
out.write_text(json.dumps({"reads": reads, "built": sorted(built), "log_sizes": log_sizes,
                           "values": sorted(values), "errors": errors, "waits": len(waits)}))
"""

IMPORTER = r"""
import json, sys, time
from typer.testing import CliRunner
from critmin.cli.main import app

runner, results = CliRunner(), []
for path in sys.argv[1:]:
    start = time.monotonic()
    result = runner.invoke(app, ["import", "wgi", path])
    results.append({"file": path, "exit": result.exit_code, "output": result.output,
                    "seconds": time.monotonic() - start})
print(json.dumps(results))
"""


def _wgi_variants(folder: Path, count: int) -> tuple[list[Path], list[float]]:
    """Copies of the WGI DataBank fixture, each with another 2023 political stability for the Bahamas."""
    lines = WGI.read_text(encoding="utf-8").splitlines(keepends=True)
    (row,) = [i for i, line in enumerate(lines) if ",BHS," in line and ",PV.EST," in line]
    values = [round(0.5 + i / 100, 2) for i in range(count)]
    files = []
    for i, value in enumerate(values):
        changed = list(lines)
        fields = changed[row].rstrip("\n").split(",")
        fields[-1] = str(value)
        changed[row] = ",".join(fields) + "\n"
        path = folder / f"WGI_run{i:02d}_Data.csv"
        path.write_text("".join(changed), encoding="utf-8")
        files.append(path)
    return files, values


def _wgi(store: Store) -> pd.DataFrame:
    return store.query("select * from wgi order by all").reset_index(drop=True)


def _log_text(store: Store) -> str:
    return store.imports().to_string()


def test_importer_and_readers_lose_nothing_and_never_rebuild(
    fresh_store: Store, built_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files, values = _wgi_variants(tmp_path, IMPORTS)
    original = float(
        fresh_store.query("select political_stability from wgi where iso3 = 'BHS' and year = 2023").iloc[0, 0]
    )
    built_at = fresh_store.meta()["built_at"]
    stop = tmp_path / "stop"
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(stop), str(tmp_path / f"reader{i}.json")],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(READERS)
    ]
    try:
        for reader in readers:  # every reader has the store open before the imports start
            assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
        start = time.monotonic()
        importer = subprocess.run(
            [sys.executable, "-c", IMPORTER, *map(str, files)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        elapsed = time.monotonic() - start
    finally:
        stop.touch()
        for reader in readers:
            reader.wait(timeout=120)
    assert importer.returncode == 0, importer.stderr
    imports = json.loads(importer.stdout)
    assert [r["exit"] for r in imports] == [0] * IMPORTS, imports

    # the store equals the same imports applied one after another with nobody else around
    reference = Store.open(tmp_path / "reference.duckdb")
    reference.path.write_bytes(built_store.path.read_bytes())
    monkeypatch.setenv("CRITMIN_DB", str(reference.path))
    for path in files:
        assert runner.invoke(app, ["import", "wgi", str(path)]).exit_code == 0
    pd.testing.assert_frame_equal(_wgi(fresh_store), _wgi(reference))
    final = fresh_store.query("select political_stability from wgi where iso3 = 'BHS' and year = 2023")
    assert final.iloc[0, 0] == pytest.approx(values[-1])
    log = _log_text(fresh_store)
    assert all(path.name in log for path in files)  # the import log keeps every import
    assert len(fresh_store.imports()) == len(reference.imports())
    assert fresh_store.meta()["built_at"] == built_at  # never rebuilt

    reports = [json.loads((tmp_path / f"reader{i}.json").read_text()) for i in range(READERS)]
    allowed = {round(v, 9) for v in [original, *values]}
    for report in reports:
        assert report["errors"] == []
        assert report["reads"] > 0
        assert report["built"] == [built_at]
        assert report["log_sizes"] == sorted(report["log_sizes"])  # the log only grows: no rebuild seen
        assert set(report["values"]) <= allowed
    print(
        f"\nconcurrency: {IMPORTS} imports in {elapsed:.1f} s "
        f"(seconds each: {[round(r['seconds'], 2) for r in imports]}) "
        f"with {READERS} reader processes: reads {[r['reads'] for r in reports]}, "
        f"waits {[r['waits'] for r in reports]}, values seen {[len(r['values']) for r in reports]}"
    )


HOLD_WRITE = r"""
import sys, time
from critmin.store import Store
with Store.open(sys.argv[1]).connect(read_only=False) as con:
    con.execute("begin transaction")
    con.execute("insert into imports values ('wgi', 'held import', 1, '2025-01-01T00:00:00')")
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    con.execute("commit")
"""


def _hold(code: str, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_reader_waits_for_an_import_instead_of_rebuilding(fresh_store: Store) -> None:
    """The defect: a read that met an import's lock took the store for stale and rebuilt it."""
    built_at = fresh_store.meta()["built_at"]
    writer = _hold(HOLD_WRITE, str(fresh_store.path), "1.5")
    try:
        start = time.monotonic()
        reader = Store.open(fresh_store.path)
        assert reader.is_current()
        log = _log_text(reader)
        waited = time.monotonic() - start
    finally:
        writer.wait(timeout=60)
    assert writer.returncode == 0
    assert "held import" in log
    assert waited > 0.5  # it did wait for the import to commit
    assert fresh_store.meta()["built_at"] == built_at


HOLD_DUCKDB = r"""
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("held", flush=True)
time.sleep(float(sys.argv[3]))
"""


def test_reader_names_the_process_that_keeps_the_store_locked(
    fresh_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program writing the file (a DuckDB shell): bounded wait, then an error naming its PID."""
    before = fresh_store.path.read_bytes()
    holder = _hold(HOLD_DUCKDB, str(fresh_store.path), "write", "30")
    monkeypatch.setenv("CRITMIN_LOCK_TIMEOUT", "0.3")
    try:
        with pytest.raises(StoreLockedError, match=rf"locked by another process \(PID {holder.pid}\)") as err:
            Store.open(fresh_store.path).is_current()
        assert err.value.pid == holder.pid
        result = runner.invoke(app, ["data", "show", "rare-earths"])
        assert result.exit_code == 2
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and f"PID {holder.pid}" in lines[0], result.output
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert fresh_store.path.read_bytes() == before


READ_AND_IDLE = r"""
import sys, time
import critmin
critmin.production("rare-earths")
print("held", flush=True)
time.sleep(30)
"""


def test_import_proceeds_while_a_notebook_has_read_the_store(fresh_store: Store) -> None:
    """A library user's process that read the store releases it when idle, so an import goes through."""
    notebook = _hold(READ_AND_IDLE)
    try:
        start = time.monotonic()
        result = runner.invoke(app, ["import", "wgi", str(WGI)])
        elapsed = time.monotonic() - start
        assert notebook.poll() is None  # still running
    finally:
        notebook.kill()
        notebook.wait(timeout=30)
    assert result.exit_code == 0, result.output
    assert WGI.name in _log_text(fresh_store)
    assert elapsed < 15


def test_import_blocked_by_an_open_reader_says_so_in_one_line(
    fresh_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = _hold(HOLD_DUCKDB, str(fresh_store.path), "read", "30")
    monkeypatch.setenv("CRITMIN_LOCK_TIMEOUT", "0.5")
    try:
        result = runner.invoke(app, ["import", "wgi", str(WGI)])
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert f"locked by another process (PID {holder.pid})" in lines[0]
    assert "CRITMIN_LOCK_TIMEOUT" in lines[0]
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert fresh_store.imports().empty


def test_waiting_reader_says_why(fresh_store: Store, caplog: pytest.LogCaptureFixture) -> None:
    writer = _hold(HOLD_WRITE, str(fresh_store.path), "0.5")
    try:
        with caplog.at_level("WARNING", logger="critmin.store"):
            Store.open(fresh_store.path).query("select count(*) from wgi")
    finally:
        writer.wait(timeout=60)
    assert any("waiting up to" in r.getMessage() for r in caplog.records)


def test_stale_store_is_rebuilt_once_when_processes_start_together(
    fresh_store: Store, tmp_path: Path
) -> None:
    """Several processes find the store stale at once: one rebuilds under the lock, the others use its result."""
    con = duckdb.connect(str(fresh_store.path))
    con.execute("update meta set value = 'older' where key = 'package_hash'")
    con.close()
    code = (
        "import critmin\nfrom critmin.store import Store\n"
        "build = Store._build\n"
        "def counted(self, *args):\n    print('built', flush=True)\n    build(self, *args)\n"
        "Store._build = counted\n"
        "critmin.production('rare-earths')\nprint(Store.open().meta()['built_at'])\n"
    )
    env = {**os.environ, "CRITMIN_DB": str(fresh_store.path)}
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert sum(out.count("built") for out in outputs) == 1  # one process built
    assert len({out[-1] for out in outputs}) == 1  # and all read its result
    assert fresh_store.is_current()


def test_write_inside_an_open_read_of_the_same_process_is_named(fresh_store: Store) -> None:
    with fresh_store.connect() as cursor:
        cursor.execute("select count(*) from wgi").fetchone()
        with (
            pytest.raises(StoreError, match="still open for reading in this process"),
            fresh_store.connect(read_only=False),
        ):
            pass
    with fresh_store.connect(read_only=False) as con:  # once the read is done, the write goes through
        assert con.execute("select count(*) from imports").fetchone() == (0,)
