"""The store never destroys data: files that are not critmin stores are left alone, stale builds are removed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import critmin
from critmin.cli.main import app
from critmin.store import FORMAT_KEY, NotAStoreError, Store, StoreError, StoreLockedError, package_hash

FIXTURES = Path(__file__).parent / "data" / "fixtures"
runner = CliRunner()


def _duckdb_with_other_tables(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("create table portfolio (ticker varchar, weight double)")
    con.execute("insert into portfolio values ('MP', 0.4), ('LYC', 0.6)")
    con.execute("create table meta (key varchar, value varchar)")  # a meta table alone does not make a store
    con.execute("insert into meta values ('owner', 'someone else')")
    con.close()


def _text_file(path: Path) -> None:
    path.write_text("my notes, not a database\n", encoding="utf-8")


def _empty_duckdb(path: Path) -> None:
    duckdb.connect(str(path)).close()


def _directory(path: Path) -> None:
    path.mkdir()
    (path / "keep.txt").write_text("mine", encoding="utf-8")


FOREIGN: dict[str, Callable[[Path], None]] = {
    "duckdb with other tables": _duckdb_with_other_tables,
    "text file": _text_file,
    "duckdb without tables": _empty_duckdb,
    "directory": _directory,
}


def _fingerprint(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for directories)."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


COMMANDS = [
    ["data", "show", "rare-earths"],
    ["db", "build"],
    ["db", "info"],
    ["import", "wgi", str(FIXTURES / "WGI_DataBank_extract_Data.csv")],
    ["brief", "rare-earths", "--out", "{tmp}/brief.html"],
]


@pytest.mark.parametrize("kind", list(FOREIGN))
def test_cli_leaves_a_foreign_file_untouched(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    target = work / "mywork.duckdb"
    FOREIGN[kind](target)
    before = _fingerprint(work)
    monkeypatch.setenv("CRITMIN_DB", str(target))
    for command in COMMANDS:
        args = [a.replace("{tmp}", str(tmp_path)) for a in command]
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output, result.exception)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1, (args, result.output)
        assert "critmin store" in lines[0] and str(target) in lines[0], lines[0]
        assert _fingerprint(work) == before, args  # byte-identical, and nothing created beside it
    assert not (tmp_path / "brief.html").exists()


def test_foreign_database_keeps_its_tables_and_the_library_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "mywork.duckdb"
    _duckdb_with_other_tables(target)
    monkeypatch.setenv("CRITMIN_DB", str(target))
    with pytest.raises(NotAStoreError, match=r"not a critmin store \(tables: meta, portfolio\)"):
        critmin.production("rare-earths")
    with pytest.raises(NotAStoreError):
        Store.open(target).build_from_package()
    con = duckdb.connect(str(target), read_only=True)
    assert con.execute("select * from portfolio order by ticker").fetchall() == [("LYC", 0.6), ("MP", 0.4)]
    con.close()


def test_cli_refusal_is_one_line_without_traceback(tmp_path: Path) -> None:
    """The installed command as a user runs it: stderr holds one line, exit code 2."""
    target = tmp_path / "notes.duckdb"
    _text_file(target)
    env = {**os.environ, "CRITMIN_DB": str(target)}
    for db in (target, tmp_path):  # a text file, then a directory
        env["CRITMIN_DB"] = str(db)
        proc = subprocess.run(
            [str(Path(sys.executable).with_name("critmin")), "data", "show", "rare-earths"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert proc.stdout == ""
    assert "directory" in proc.stderr and "CRITMIN_DB" in proc.stderr
    assert target.read_text(encoding="utf-8") == "my notes, not a database\n"


def test_an_empty_file_is_taken_as_no_store_yet(tmp_path: Path) -> None:
    """A zero-byte file (e.g. from mktemp) holds nothing to lose, so the store is built over it."""
    target = tmp_path / "new.duckdb"
    target.touch()
    store = Store.open(target)
    store.ensure()
    assert store.meta()[FORMAT_KEY] == "1"


def test_build_marks_the_store_with_its_format(built_store: Store) -> None:
    assert built_store.meta()[FORMAT_KEY] == "1"


def _edit_meta(path: Path, sql: str) -> None:
    con = duckdb.connect(str(path))
    con.execute(sql)
    con.close()


def test_store_from_a_newer_critmin_is_refused_not_rebuilt(fresh_store: Store) -> None:
    _edit_meta(fresh_store.path, f"update meta set value = '99' where key = '{FORMAT_KEY}'")
    _edit_meta(fresh_store.path, "update meta set value = 'older' where key = 'package_hash'")
    before = fresh_store.path.read_bytes()
    with pytest.raises(NotAStoreError, match="newer critmin"):
        fresh_store.ensure()
    with pytest.raises(NotAStoreError, match="newer critmin"):
        fresh_store.build_from_package()
    assert fresh_store.path.read_bytes() == before


def test_store_written_before_the_format_marker_is_a_critmin_store(fresh_store: Store) -> None:
    """Older stores (meta with a package hash, imports and datasets tables, no marker) are kept and read."""
    _edit_meta(fresh_store.path, f"delete from meta where key = '{FORMAT_KEY}'")
    _edit_meta(
        fresh_store.path, "insert into imports values ('wgi', 'my file.csv', 1, '2025-01-01T00:00:00')"
    )
    built_at = fresh_store.meta()["built_at"]
    assert fresh_store.is_current()
    fresh_store.ensure()
    assert fresh_store.meta()["built_at"] == built_at
    assert "my file.csv" in fresh_store.imports().to_string()


def test_stale_older_store_is_rebuilt_and_marked(fresh_store: Store) -> None:
    _edit_meta(fresh_store.path, f"delete from meta where key = '{FORMAT_KEY}'")
    _edit_meta(fresh_store.path, "update meta set value = 'older' where key = 'package_hash'")
    fresh_store.ensure()
    meta = fresh_store.meta()
    assert meta[FORMAT_KEY] == "1" and meta["package_hash"] == package_hash()


def test_rebuild_drops_a_write_ahead_log_left_by_a_killed_writer(fresh_store: Store) -> None:
    """DuckDB refuses to open a file with another file's WAL, so a rebuild must not leave the old one."""
    code = (
        "import duckdb, os, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "con.execute(\"insert into imports values ('wgi', 'killed', 1, '2025-01-01')\")\n"
        "os._exit(0)\n"  # no checkpoint: the committed row stays in the WAL
    )
    subprocess.run([sys.executable, "-c", code, str(fresh_store.path)], check=True, timeout=60)
    wal = fresh_store.path.with_name(fresh_store.path.name + ".wal")
    assert wal.exists()
    assert "killed" in fresh_store.imports().to_string()  # readers see the committed row
    fresh_store.build_from_package()
    assert not wal.exists()
    assert fresh_store.imports().empty
    assert fresh_store.is_current()


def _building_files(store: Store) -> list[Path]:
    return sorted(store.path.parent.glob(store.path.name + ".building-*"))


def test_killed_build_leaves_nothing_after_the_next_start(fresh_store: Store) -> None:
    code = "import sys\nfrom critmin.store import Store\nStore.open(sys.argv[1]).build_from_package()\n"
    proc = subprocess.Popen([sys.executable, "-c", code, str(fresh_store.path)])
    deadline = time.monotonic() + 60
    while not _building_files(fresh_store) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    assert _building_files(fresh_store), "the build finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert _building_files(fresh_store)  # what the killed build left
    result = runner.invoke(app, ["db", "info", "--format", "json"])  # the next start
    assert result.exit_code == 0, result.output
    assert _building_files(fresh_store) == []
    assert fresh_store.is_current()


def test_build_files_of_a_running_build_are_kept(fresh_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """While another process holds the store's lock (a build in progress), readers wait and leave its files;
    once it is gone, the next start removes them."""
    leftover = fresh_store.path.with_name(fresh_store.path.name + ".building-1")
    leftover.write_bytes(b"partial")
    hold = (
        "import sys, time\nfrom filelock import FileLock\n"
        "with FileLock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(30)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(fresh_store.lock_path)], stdout=subprocess.PIPE, text=True
    )
    monkeypatch.setenv("CRITMIN_LOCK_TIMEOUT", "0.3")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreLockedError, match="being built or written by another critmin process"):
            Store.open(fresh_store.path).ensure()
        assert leftover.exists()
    finally:
        holder.kill()
        holder.wait(timeout=30)
    Store.open(fresh_store.path).ensure()
    assert not leftover.exists()


def test_lock_timeout_must_be_a_number(fresh_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRITMIN_LOCK_TIMEOUT", "soon")
    with pytest.raises(StoreError, match="CRITMIN_LOCK_TIMEOUT must be a number of seconds"):
        Store.open(fresh_store.path).build_from_package()
    result = runner.invoke(app, ["db", "build"])
    assert result.exit_code == 2
    assert "CRITMIN_LOCK_TIMEOUT" in result.output


def test_store_under_a_file_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("CRITMIN_DB", str(blocker / "critmin.duckdb"))
    result = runner.invoke(app, ["data", "show", "rare-earths"])
    assert result.exit_code == 2, result.output
    assert "store" in result.output and "Traceback" not in result.output
    assert blocker.read_text(encoding="utf-8") == "x"


def test_folder_where_no_lock_file_can_be_made_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc takes no new files, even for root: the error names the lock file instead of waiting on it."""
    monkeypatch.setenv("CRITMIN_DB", "/proc/critmin-test.duckdb")
    monkeypatch.setenv("CRITMIN_LOCK_TIMEOUT", "60")
    result = runner.invoke(app, ["data", "show", "rare-earths"])
    assert result.exit_code == 2, result.output
    # no "waiting for another critmin process" notice: nobody holds the lock
    assert "critmin-test.duckdb.lock" in result.output and "another critmin process" not in result.output


def test_copy_of_a_store_is_not_rebuilt_on_open(built_store: Store, tmp_path: Path) -> None:
    """A current store is read as it is: opening never rewrites it."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(built_store.path, path)
    before = path.read_bytes()
    store = Store.open(path)
    store.ensure()
    assert not store.query("select * from wgi limit 1").empty
    assert path.read_bytes() == before
