"""The DuckDB store: one file in the user data directory, built from the embedded data package.

A critmin store is marked by ``critmin_store_format`` in its ``meta`` table. Any other file at the store path
(another DuckDB database, a text file, a directory) is never written, rebuilt or replaced: :class:`NotAStoreError`.

Reads open the file read-only, so several processes can query at once. Builds and imports hold a lock file
beside the store (``<store>.lock``), so whether to rebuild is decided, and the rebuild done, by one process at a
time, never while another writes. Opening a file that another process has locked waits up to
``CRITMIN_LOCK_TIMEOUT`` seconds (default 30) and then raises :class:`StoreLockedError`: a locked store is never
taken for a stale one. Every write is atomic: a build writes a new file and renames it into place; an import
runs in one transaction that is rolled back whole on any error, so nothing already stored is lost or
half-written.
"""

from __future__ import annotations

import atexit
import glob
import hashlib
import json
import logging
import math
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
from filelock import FileLock, Timeout

from critmin.data import PACKAGE_DIR
from critmin.data.import_summary import ImportOrigin, ImportSummary, ReplaceMode

if TYPE_CHECKING:
    import pyarrow as pa

STORE_FORMAT = 1  # layout version written to meta; a store with a higher one comes from a newer critmin
FORMAT_KEY = "critmin_store_format"
LOCK_TIMEOUT_S = 30.0  # default wait for another process's lock (CRITMIN_LOCK_TIMEOUT overrides)
READER_IDLE_S = 1.0  # an unused read-only connection is closed after this, so other processes can write

FileState = tuple[str, int, int]  # resolved path, modification time (ns), size
_VERIFIED: set[FileState] = set()  # store file states already checked against the package
_SWEPT: set[str] = set()  # store paths whose killed builds this process has looked for

IMPORT_MEMORY_LIMIT = "256MB"  # DuckDB spills to a temp file beyond this while an import is written
DUCKDB_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}

_ELSEWHERE = "critmin will not overwrite it. Set CRITMIN_DB to another file, or move this one away"

_log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The store cannot do what was asked (missing table, wrong columns for an import, ...)."""


class NotAStoreError(StoreError):
    """The file at the store path is not a critmin store (or not one this critmin can read); it is left alone."""


class StoreLockedError(StoreError):
    """Another process held the store longer than the lock timeout; ``pid`` is that process if DuckDB named it."""

    def __init__(self, message: str, pid: int | None = None) -> None:
        super().__init__(message)
        self.pid = pid


def default_path() -> Path:
    """``$CRITMIN_DB`` if set, else ``critmin.duckdb`` in the platform's user data directory."""
    env = os.environ.get("CRITMIN_DB")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("critmin", appauthor=False)) / "critmin.duckdb"


def lock_timeout() -> float:
    """Seconds to wait for a lock held by another process: ``$CRITMIN_LOCK_TIMEOUT``, default 30."""
    raw = os.environ.get("CRITMIN_LOCK_TIMEOUT", "").strip()
    if not raw:
        return LOCK_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise StoreError(f"CRITMIN_LOCK_TIMEOUT must be a number of seconds (0 or more), not {raw!r}")
    return value


def package_descriptor() -> dict[str, Any]:
    """The embedded ``datapackage.json``."""
    text = (PACKAGE_DIR / "datapackage.json").read_text(encoding="utf-8")
    descriptor: dict[str, Any] = json.loads(text)
    return descriptor


def package_hash() -> str:
    """SHA-256 of the embedded ``datapackage.json`` (changes whenever any resource's row count or schema does)."""
    return hashlib.sha256((PACKAGE_DIR / "datapackage.json").read_bytes()).hexdigest()


@dataclass(eq=False)
class _Reader:
    """A read-only connection to one state of a store file and how many callers use it now."""

    state: FileState
    con: duckdb.DuckDBPyConnection
    users: int = 0
    last_used: float = 0.0
    detached: bool = False  # replaced or closed while in use: the last user closes it


class _ReaderPool:
    """One read-only connection per store file in this process, shared by threads as cursors.

    Opening costs tens of milliseconds, so a connection is kept between queries, but closed once unused for
    ``READER_IDLE_S``: while it is open DuckDB lets no other process write the file (an import would wait).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._readers: dict[str, _Reader] = {}
        self._timer: threading.Timer | None = None

    def acquire(self, store: Store) -> _Reader:
        """The connection on the store file as it is now (reopened if the file changed), marked in use.

        While another process builds or writes the store (it holds the lock file), this process's connection
        is closed, which lets that writer in, and the read waits for it to finish.
        """
        store._await_writers()
        with self._lock:
            state = store._state()
            reader = self._readers.get(state[0])
            if reader is None or reader.state != state:
                if reader is not None:
                    self._drop(reader)
                reader = _Reader(state, store._open(read_only=True))
                self._readers[state[0]] = reader
            reader.users += 1
            return reader

    def release(self, reader: _Reader) -> None:
        """Mark one use finished; the connection is closed after ``READER_IDLE_S`` without use."""
        with self._lock:
            reader.users -= 1
            reader.last_used = time.monotonic()
            if reader.users == 0:
                if reader.detached:
                    reader.con.close()
                else:
                    self._schedule(READER_IDLE_S)

    def close(self, key: str) -> None:
        """Close this process's connection to a store file (before writing or replacing it)."""
        with self._lock:
            reader = self._readers.get(key)
            if reader is not None:
                self._drop(reader)

    def close_all(self) -> None:
        """Close every connection and stop the idle timer.

        Registered with :mod:`atexit`: a daemon thread stopped by interpreter shutdown in the middle of a call
        into DuckDB aborts the process ("FATAL: exception not rethrown"), so the timer must not be left to run.
        """
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            for reader in list(self._readers.values()):
                self._drop(reader)

    def _drop(self, reader: _Reader) -> None:
        del self._readers[reader.state[0]]
        if reader.users:
            reader.detached = True
        else:
            reader.con.close()

    def _schedule(self, delay: float) -> None:
        if self._timer is None:
            self._timer = threading.Timer(delay, self._reap)
            self._timer.daemon = True  # never keeps the interpreter alive
            self._timer.start()

    def _reap(self) -> None:
        with self._lock:
            self._timer = None
            now = time.monotonic()
            for reader in list(self._readers.values()):
                if reader.users == 0 and now - reader.last_used >= READER_IDLE_S:
                    self._drop(reader)
            idle = [r.last_used for r in self._readers.values() if r.users == 0]
            if idle:
                self._schedule(max(0.01, min(idle) + READER_IDLE_S - now))


_POOL = _ReaderPool()
atexit.register(_POOL.close_all)


def _lock_conflict(exc: duckdb.Error) -> bool:
    return "Could not set lock on file" in str(exc)


def _lock_holder(exc: duckdb.Error) -> int | None:
    found = re.search(r"\(PID (\d+)\)", str(exc))
    return int(found.group(1)) if found else None


class Store:
    """A critmin DuckDB file: build it from the data package, query it, replace rows transactionally."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def open(cls, path: Path | str | None = None) -> Store:
        """The store at ``path`` (default :func:`default_path`); nothing is created until needed."""
        return cls(Path(path) if path else default_path())

    @property
    def lock_path(self) -> Path:
        """The lock file held while the store is built or written (``<store>.lock``)."""
        return self.path.with_name(self.path.name + ".lock")

    def exists(self) -> bool:
        """True once the file has been built."""
        return self.path.exists()

    @contextmanager
    def connect(self, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the store file (read-only unless asked); the store is built first if missing.

        Reads get a cursor on the process's shared read-only connection (cursors are safe to use from several
        threads). A write holds the store's lock file and first closes that connection, as DuckDB requires.
        """
        if read_only:
            self.ensure()
            reader = _POOL.acquire(self)
            cursor = reader.con.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
                _POOL.release(reader)
            return
        with self._write_lock():
            if not self.is_current():
                self._build()
            _POOL.close(self._key())
            con = self._open(read_only=False)
            try:
                yield con
            finally:
                con.close()

    def _key(self) -> str:
        return str(self.path.resolve())

    def _state(self) -> FileState:
        st = self.path.stat()
        return (self._key(), st.st_mtime_ns, st.st_size)

    def _has_file(self) -> bool:
        """True if a store file is at the path; an empty file counts as none (it holds nothing to lose).

        Raises :class:`NotAStoreError` for a directory or anything else that is not a regular file.
        """
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StoreError(f"cannot use {self.path} as the store: {exc.strerror}") from None
        if stat.S_ISDIR(st.st_mode):
            raise NotAStoreError(
                f"{self.path} is a directory, not a critmin store; set CRITMIN_DB to a file path "
                f"such as {self.path / 'critmin.duckdb'}"
            )
        if not stat.S_ISREG(st.st_mode):
            raise NotAStoreError(f"{self.path} is not a regular file, so not a critmin store; {_ELSEWHERE}")
        return st.st_size > 0

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Connect to the store file, waiting up to :func:`lock_timeout` while another process has it locked."""
        timeout = lock_timeout()
        deadline = time.monotonic() + timeout
        delay = 0.02
        waiting = False
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.Error as exc:
                if not _lock_conflict(exc):
                    raise self._unreadable(exc) from None
                pid = _lock_holder(exc)
            holder = f"another process (PID {pid})" if pid else "another process"
            if time.monotonic() + delay > deadline:
                raise StoreLockedError(
                    f"the store {self.path} is locked by {holder}; waited {timeout:g} s. Let it finish or close "
                    "it (an import, or a notebook or DuckDB shell holding the store open), then try again; "
                    "CRITMIN_LOCK_TIMEOUT sets the wait",
                    pid,
                )
            if not waiting:
                _log.warning("the store %s is locked by %s; waiting up to %g s", self.path, holder, timeout)
                waiting = True
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def _unreadable(self, exc: duckdb.Error) -> StoreError:
        reason = str(exc).split("\n", 1)[0].removeprefix("IO Error: ")
        if "different configuration than existing connections" in reason:
            return StoreError(
                f"the store {self.path} is still open for reading in this process (a query or cursor not "
                "finished); finish it before writing"
            )
        if "not a valid DuckDB database file" in reason:
            return NotAStoreError(f"{self.path} is not a critmin store (not a DuckDB database); {_ELSEWHERE}")
        return NotAStoreError(f"{self.path} cannot be read as a critmin store ({reason}); {_ELSEWHERE}")

    def _identify(self, con: duckdb.DuckDBPyConnection) -> None:
        """Raise :class:`NotAStoreError` unless ``con`` is on a critmin store this version can read.

        Stores written before the format marker (meta with a package hash, plus the imports and datasets
        tables) have the same layout as format 1 and are accepted.
        """
        tables = sorted(
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        )
        meta: dict[str, str] = {}
        if "meta" in tables:
            try:
                meta = dict(con.execute("select key, value from meta").fetchall())
            except duckdb.Error:
                meta = {}
        marker = meta.get(FORMAT_KEY)
        if marker is not None:
            if not marker.isdigit():
                raise NotAStoreError(f"{self.path} has an unreadable store format {marker!r}; {_ELSEWHERE}")
            if int(marker) > STORE_FORMAT:
                raise NotAStoreError(
                    f"{self.path} was written by a newer critmin (store format {marker}, this one reads up to "
                    f"{STORE_FORMAT}); upgrade critmin, or set CRITMIN_DB to another file"
                )
            return
        if "package_hash" in meta and {"imports", "datasets"} <= set(tables):
            return
        shown = ", ".join(tables[:6]) + (", ..." if len(tables) > 6 else "") if tables else "none"
        raise NotAStoreError(
            f"{self.path} is a DuckDB database but not a critmin store (tables: {shown}); {_ELSEWHERE}"
        )

    def is_current(self) -> bool:
        """True if the store file exists and was built from the embedded package as it is now.

        A store holding user imports counts as current even if the package changed (``critmin db build``
        resets it). Raises :class:`NotAStoreError` for a file that is not a critmin store and
        :class:`StoreLockedError` if another process keeps it locked. The answer is remembered per file state
        (size and modification time), so repeated queries do not reopen the file to check. The first check in
        a process also removes files left by a killed build.
        """
        if not self._has_file():
            return False
        state = self._state()
        if state in _VERIFIED:
            return True
        reader = _POOL.acquire(self)
        try:
            with reader.con.cursor() as con:
                self._identify(con)
                row = con.execute("select value from meta where key = 'package_hash'").fetchone()
                imported = con.execute("select count(*) from imports").fetchone()
        finally:
            _POOL.release(reader)
        current = bool(imported and imported[0]) or (row is not None and row[0] == package_hash())
        if current:
            _VERIFIED.add(state)
            self._sweep_killed_builds()
        return current

    def ensure(self, progress: Callable[[str], None] | None = None) -> None:
        """Build the store from the embedded package if it is missing or was built from an older package.

        The decision is made again under the store's lock, so when several processes start at once one
        builds and the others use its result.
        """
        if self.is_current():
            return
        with self._write_lock():
            if not self.is_current():
                self._build(progress)

    def build_from_package(self, progress: Callable[[str], None] | None = None) -> None:
        """(Re)build the whole store from the embedded data package, replacing the file atomically.

        Refuses (:class:`NotAStoreError`) to replace a file that is not a critmin store, checked before the
        lock is taken (so nothing is created beside such a file) and again under it.
        """
        self.check_replaceable()
        with self._write_lock():
            self.check_replaceable()
            self._build(progress)

    def check_replaceable(self) -> None:
        """Raise :class:`NotAStoreError` unless the path is free, an empty file or a critmin store."""
        if not self._has_file():
            return
        reader = _POOL.acquire(self)
        try:
            with reader.con.cursor() as con:
                self._identify(con)
        finally:
            _POOL.release(reader)

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        """Hold the store's lock file (waiting up to :func:`lock_timeout`); stale build files go first."""
        self._has_file()  # a directory or other non-file at the path fails here, before anything is created
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder of the store {self.path}: {exc.strerror}") from None
        try:  # filelock waits on a lock file it cannot create as if another process held it
            self.lock_path.touch(exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot write the store {self.path}: {self.lock_path}: {exc.strerror}"
            ) from None
        lock = FileLock(self.lock_path, is_singleton=True)
        try:
            self._acquire(lock)
        except OSError as exc:
            raise StoreError(f"cannot lock the store {self.path}: {self.lock_path}: {exc.strerror}") from None
        try:
            self._remove_killed_builds()
            yield
        finally:
            lock.release()

    def _acquire(self, lock: FileLock) -> None:
        """Take the store's lock file, waiting up to :func:`lock_timeout` (and saying so) if another process
        holds it; before waiting, this process's idle reader is closed so that process can open the file."""
        try:
            lock.acquire(timeout=0)
            return
        except Timeout:
            pass
        _POOL.close(self._key())
        timeout = lock_timeout()
        _log.warning(
            "the store %s is being built or written by another critmin process; waiting up to %g s",
            self.path,
            timeout,
        )
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise StoreLockedError(
                f"the store {self.path} is being built or written by another critmin process; waited "
                f"{timeout:g} s. Try again when it has finished; CRITMIN_LOCK_TIMEOUT sets the wait"
            ) from None

    def _await_writers(self) -> None:
        """Return once no other process holds the store's lock file (see :meth:`_acquire`).

        Readers never create the lock file (a writer does), and one they cannot open (read-only folder) is not
        waited on: DuckDB's own lock of the store file still keeps a reader out while a writer has it.
        """
        if not self.lock_path.exists():
            return
        lock = FileLock(self.lock_path, is_singleton=True)
        try:
            self._acquire(lock)
        except OSError:
            return
        lock.release()

    def _build_files(self) -> list[Path]:
        return list(self.path.parent.glob(glob.escape(self.path.name) + ".building-*"))

    def _remove_killed_builds(self) -> None:
        """Delete the ``.building-<pid>`` files of killed builds (under the lock, so no build is running)."""
        for leftover in self._build_files():
            leftover.unlink(missing_ok=True)

    def _sweep_killed_builds(self) -> None:
        """Once per process and store: remove files left by a killed build, if no build is running now."""
        key = self._key()
        if key in _SWEPT:
            return
        _SWEPT.add(key)
        if not self._build_files():
            return
        lock = FileLock(self.lock_path, is_singleton=True)
        try:
            lock.acquire(timeout=0)
        except (Timeout, OSError):  # a build is running, or the folder is read-only: leave them
            return
        try:
            self._remove_killed_builds()
        finally:
            lock.release()

    def _build(self, progress: Callable[[str], None] | None = None) -> None:
        """Write a new store from the package beside the old one and rename it into place (under the lock)."""
        descriptor = package_descriptor()
        tmp = self.path.with_name(f"{self.path.name}.building-{os.getpid()}")
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
            _POOL.close(self._key())
            # a write-ahead log left by a killed writer belongs to the old file: DuckDB refuses the new one with it
            self.path.with_name(self.path.name + ".wal").unlink(missing_ok=True)
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

    def upsert(
        self,
        table: str,
        rows: pd.DataFrame | pa.Table,
        *,
        origin: ImportOrigin,
        replace: ReplaceMode = "none",
        dry_run: bool = False,
    ) -> ImportSummary:
        """Write imported ``rows`` into ``table`` by its primary key and say what changed.

        ``replace``: ``"none"`` adds new keys and updates existing ones, leaving every other row; ``"years"``
        also removes the rows of the years (and, for USGS, the editions) that ``rows`` touch but do not hold;
        ``"all"`` makes ``rows`` the whole table. One transaction: on any error nothing changes. ``dry_run``
        counts the changes without writing. The ``datasets`` row of the table then names the import's
        edition, files and date instead of the package entries it replaced.
        """
        columns = self.columns(table)
        names = list(rows.columns if isinstance(rows, pd.DataFrame) else rows.column_names)
        if names != columns:
            raise StoreError(f"rows for {table!r} must have columns {columns}, got {names}")
        if len(rows) == 0:
            raise StoreError(f"nothing to import into {table!r}: no rows")
        resource = next(r for r in package_descriptor()["resources"] if r["name"] == table)
        key = list(resource["schema"]["primaryKey"])
        scope = [c for c in ("edition", "year") if c in key] or key
        match = " and ".join(f't."{c}" is not distinct from i."{c}"' for c in key)
        # a row whose values are the same is "unchanged" even though its source now names the imported file
        values = [c for c in columns if c not in key and c != "source"]
        changed = " or ".join(f't."{c}" is distinct from i."{c}"' for c in values) or "false"
        same_scope = " and ".join(f's."{c}" = t."{c}"' for c in scope)
        gone = {
            "none": "false",
            "years": f"exists (select 1 from (select distinct {', '.join(scope)} from incoming) s "
            f"where {same_scope})",
            "all": "true",
        }[replace]
        removed_sql = f"from {table} t where {gone} and not exists (select 1 from incoming i where {match})"
        with self.connect(read_only=dry_run) as con:
            if not dry_run:  # settings of the writer's own connection: spill to disk rather than grow
                con.execute(f"set memory_limit = '{IMPORT_MEMORY_LIMIT}'")
                con.execute("set preserve_insertion_order = false")
            con.register("incoming", rows)
            try:
                dups = con.execute(
                    f"select {', '.join(key)}, count(*) from incoming group by all having count(*) > 1 limit 1"
                ).fetchall()
                if dups:
                    dup = dups[0]
                    shown = ", ".join(f"{c}={v}" for c, v in zip(key, dup[:-1], strict=True))
                    raise StoreError(
                        f"the rows to import into {table!r} repeat the key {shown} ({dup[-1]} times)"
                    )
                ((added, updated, unchanged),) = con.execute(
                    "select count(*) filter (where not present), count(*) filter (where present and changed), "
                    "count(*) filter (where present and not changed) from ("
                    f"select t._present is not null as present, coalesce({changed}, false) as changed "
                    f"from incoming i left join (select *, true as _present from {table}) t on {match})"
                ).fetchall()
                ((removed,),) = con.execute(f"select count(*) {removed_sql}").fetchall()
                summary = ImportSummary(
                    table, replace, tuple(key), added, updated, removed, unchanged, dry_run=dry_run
                )
                if not dry_run:
                    has_edition = "edition" in columns
                    self._write_import(
                        con, table, match, removed_sql, origin, replace, len(rows), has_edition
                    )
            finally:
                con.unregister("incoming")
        return summary

    def _write_import(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        match: str,
        removed_sql: str,
        origin: ImportOrigin,
        replace: ReplaceMode,
        n_rows: int,
        has_edition: bool,
    ) -> None:
        """Apply an import counted by :meth:`upsert` in one transaction, with its log and ``datasets`` row."""
        con.execute("begin transaction")
        try:
            con.execute(f"delete {removed_sql}")
            con.execute(f"delete from {table} t where exists (select 1 from incoming i where {match})")
            con.execute(f"insert into {table} select * from incoming")
            now = datetime.now(UTC).isoformat(timespec="seconds")
            con.execute(
                "insert into imports values (?, ?, ?, ?)", [table, "; ".join(origin.files), n_rows, now]
            )
            self._record_import(con, table, origin, replace, now, has_edition)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise

    def _record_import(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        origin: ImportOrigin,
        replace: ReplaceMode,
        now: str,
        has_edition: bool,
    ) -> None:
        """Update ``datasets`` for ``table``: row count, editions held, and a source entry for the import.

        Entries of editions no longer held (all of them after ``replace="all"``) are dropped, so the sources
        name what the table holds, not the embedded package an import replaced.
        """
        resource = next(r for r in package_descriptor()["resources"] if r["name"] == table)
        cite = resource.get("importSource", {"title": f"{resource['title']}, {{edition}}"})
        held = (
            [str(e) for (e,) in con.execute(f"select distinct edition from {table} order by 1").fetchall()]
            if has_edition
            else []
        )
        found = con.execute("select sources from datasets where name = ?", [table]).fetchall()
        old: list[dict[str, Any]] = json.loads(found[0][0]) if found and found[0][0] else []
        files = "; ".join(origin.files)
        kept = [
            s
            for s in old
            if replace != "all"
            and (not has_edition or str(s.get("version", "")) in held)
            and not (s.get("file") == files and str(s.get("version", "")) in origin.editions)
        ]
        for edition in origin.editions:
            entry = {
                "title": cite["title"].format(edition=edition),
                "path": cite.get("path"),
                "version": edition,
                "licence": cite.get("licence"),
                "file": files,
                "imported": now,
                "released": origin.released,
            }
            kept.append({k: v for k, v in entry.items() if v is not None})
        con.execute(
            "update datasets set rows = (select count(*) from " + table + "), editions = ?, sources = ? "
            "where name = ?",
            [";".join(held), json.dumps(kept, ensure_ascii=False), table],
        )

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
        [
            [FORMAT_KEY, str(STORE_FORMAT)],
            ["package_hash", package_hash()],
            ["built_at", built],
            ["critmin_version", __version__],
        ],
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
