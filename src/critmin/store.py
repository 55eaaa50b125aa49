"""The DuckDB store: one file in the user data directory, built from the embedded data package.

Reads open the file read-only, so several processes can query at once. Every write (build, import) is
atomic: a build writes a new file and renames it into place; an import runs in one transaction that is
rolled back whole on any error, so nothing already stored is lost or half-written.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from critmin.data import PACKAGE_DIR

FileState = tuple[str, int, int]  # resolved path, modification time (ns), size
_VERIFIED: set[FileState] = set()  # store file states already checked against the package
# one read-only connection per store file in this process, with the file state it was opened on
_READERS: dict[str, tuple[FileState, duckdb.DuckDBPyConnection]] = {}

DUCKDB_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}


class StoreError(RuntimeError):
    """The store cannot do what was asked (missing table, wrong columns for an import, ...)."""


def default_path() -> Path:
    """``$CRITMIN_DB`` if set, else ``critmin.duckdb`` in the platform's user data directory."""
    env = os.environ.get("CRITMIN_DB")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("critmin", appauthor=False)) / "critmin.duckdb"


def package_descriptor() -> dict[str, Any]:
    """The embedded ``datapackage.json``."""
    text = (PACKAGE_DIR / "datapackage.json").read_text(encoding="utf-8")
    descriptor: dict[str, Any] = json.loads(text)
    return descriptor


def package_hash() -> str:
    """SHA-256 of the embedded ``datapackage.json`` (changes whenever any resource's row count or schema does)."""
    return hashlib.sha256((PACKAGE_DIR / "datapackage.json").read_bytes()).hexdigest()


class Store:
    """A critmin DuckDB file: build it from the data package, query it, replace rows transactionally."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def open(cls, path: Path | str | None = None) -> Store:
        """The store at ``path`` (default :func:`default_path`); nothing is created until needed."""
        return cls(Path(path) if path else default_path())

    def exists(self) -> bool:
        """True once the file has been built."""
        return self.path.exists()

    @contextmanager
    def connect(self, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the store file (read-only unless asked); the store is built first if missing.

        Reads get a cursor on one read-only connection kept per process and file state (cursors are safe to
        use from several threads); a write first closes that connection, as DuckDB requires.
        """
        self.ensure()
        if read_only:
            cursor = self._reader().cursor()
            try:
                yield cursor
            finally:
                cursor.close()
            return
        self._close_reader()
        con = duckdb.connect(str(self.path))
        try:
            yield con
        finally:
            con.close()

    def _state(self) -> FileState:
        stat = self.path.stat()
        return (str(self.path.resolve()), stat.st_mtime_ns, stat.st_size)

    def _reader(self) -> duckdb.DuckDBPyConnection:
        state = self._state()
        cached = _READERS.get(state[0])
        if cached is not None and cached[0] == state:
            return cached[1]
        self._close_reader()
        con = duckdb.connect(str(self.path), read_only=True)
        _READERS[state[0]] = (state, con)
        return con

    def _close_reader(self) -> None:
        cached = _READERS.pop(str(self.path.resolve()), None)
        if cached is not None:
            cached[1].close()

    def is_current(self) -> bool:
        """True if the store file exists and was built from the embedded package as it is now.

        The answer is remembered per file state (size and modification time), so repeated queries
        do not reopen the file to check.
        """
        if not self.exists():
            return False
        state = self._state()
        if state in _VERIFIED:
            return True
        if self._check_current():
            _VERIFIED.add(state)
            return True
        return False

    def _check_current(self) -> bool:
        try:
            with self._reader().cursor() as con:
                row = con.execute("select value from meta where key = 'package_hash'").fetchone()
                imported = con.execute("select count(*) from imports").fetchone()
        except duckdb.Error:
            self._close_reader()
            return False
        # a store holding user imports is kept even when the package changed: `critmin db build` resets it
        return bool(imported and imported[0]) or (row is not None and row[0] == package_hash())

    def ensure(self, progress: Callable[[str], None] | None = None) -> None:
        """Build the store from the embedded package if it is missing or was built from an older package."""
        if not self.is_current():
            self.build_from_package(progress=progress)

    def build_from_package(self, progress: Callable[[str], None] | None = None) -> None:
        """(Re)build the whole store from the embedded data package, replacing the file atomically."""
        descriptor = package_descriptor()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + f".building-{os.getpid()}")
        tmp.unlink(missing_ok=True)
        try:
            con = duckdb.connect(str(tmp))
            try:
                for res in descriptor["resources"]:
                    if progress:
                        progress(res["name"])
                    _load_resource(con, res)
                _write_meta(con, descriptor)
            finally:
                con.close()
            if self.exists():
                self._close_reader()
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a read-only SQL query and return a DataFrame."""
        with self.connect() as con:
            return con.execute(sql, params or []).df()

    def tables(self) -> list[str]:
        """Names of the data tables (not the bookkeeping ones)."""
        frame = self.query("select name from datasets order by name")
        return list(frame["name"])

    def columns(self, table: str) -> list[str]:
        """Column names of ``table`` in order."""
        frame = self.query(
            "select column_name from information_schema.columns where table_name = ? order by ordinal_position",
            [table],
        )
        if frame.empty:
            raise StoreError(f"no table {table!r} in the store {self.path}")
        return list(frame["column_name"])

    def replace_rows(self, table: str, df: pd.DataFrame, by: Sequence[str], origin: str) -> int:
        """Replace the rows of ``table`` whose ``by`` key values occur in ``df`` by the rows of ``df``.

        One transaction: on any error nothing changes. ``origin`` (e.g. the imported file) is logged.
        Returns the number of rows written.
        """
        columns = self.columns(table)
        if list(df.columns) != columns:
            raise StoreError(f"rows for {table!r} must have columns {columns}, got {list(df.columns)}")
        if df.empty:
            raise StoreError(f"nothing to import into {table!r}: no rows")
        keys = df[list(by)].drop_duplicates()
        with self.connect(read_only=False) as con:
            con.execute("begin transaction")
            try:
                con.register("incoming", df)
                con.register("incoming_keys", keys)
                match = " and ".join(f"t.{c} is not distinct from k.{c}" for c in by)
                con.execute(
                    f"delete from {table} t where exists (select 1 from incoming_keys k where {match})"
                )
                con.execute(f"insert into {table} select * from incoming")
                con.execute(
                    "insert into imports values (?, ?, ?, ?)",
                    [table, origin, len(df), datetime.now(UTC).isoformat(timespec="seconds")],
                )
                con.execute(
                    "update datasets set rows = (select count(*) from " + table + ") where name = ?", [table]
                )
                con.execute("commit")
            except Exception:
                con.execute("rollback")
                raise
            finally:
                con.unregister("incoming")
                con.unregister("incoming_keys")
        return len(df)

    def info(self) -> pd.DataFrame:
        """One row per data table: rows, editions held, title and sources."""
        return self.query("select name, rows, editions, title, sources from datasets order by name")

    def meta(self) -> dict[str, str]:
        """Bookkeeping values: package hash, build time, critmin version."""
        frame = self.query("select key, value from meta")
        return dict(zip(frame["key"], frame["value"], strict=True))

    def imports(self) -> pd.DataFrame:
        """The log of imports applied to this store since it was built."""
        return self.query("select * from imports order by imported_at")


def _load_resource(con: duckdb.DuckDBPyConnection, res: dict[str, Any]) -> None:
    path = PACKAGE_DIR / res["path"]
    fields = res["schema"]["fields"]
    name = res["name"]
    cols = ", ".join(f'"{f["name"]}" {DUCKDB_TYPES[f["type"]]}' for f in fields)
    con.execute(f"create table {name} ({cols})")
    if res.get("format") == "parquet":
        con.execute(f"insert into {name} select * from read_parquet(?)", [str(path)])
    else:
        types = {f["name"]: DUCKDB_TYPES[f["type"]] for f in fields}
        con.execute(
            f"insert into {name} select * from read_csv(?, header=true, columns=?, nullstr='', quote='\"', escape='\"')",
            [str(path), types],
        )


def _write_meta(con: duckdb.DuckDBPyConnection, descriptor: dict[str, Any]) -> None:
    from critmin import __version__

    con.execute("create table meta (key varchar primary key, value varchar)")
    built = datetime.now(UTC).isoformat(timespec="seconds")
    con.executemany(
        "insert into meta values (?, ?)",
        [["package_hash", package_hash()], ["built_at", built], ["critmin_version", __version__]],
    )
    con.execute("create table imports (table_name varchar, origin varchar, rows bigint, imported_at varchar)")
    con.execute(
        "create table datasets (name varchar primary key, title varchar, rows bigint, editions varchar, sources varchar)"
    )
    for res in descriptor["resources"]:
        (rows,) = con.execute(f"select count(*) from {res['name']}").fetchone() or (0,)
        editions = ";".join(str(s["version"]) for s in res["sources"] if s.get("version"))
        con.execute(
            "insert into datasets values (?, ?, ?, ?, ?)",
            [res["name"], res["title"], rows, editions, json.dumps(res["sources"], ensure_ascii=False)],
        )
