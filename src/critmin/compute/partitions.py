"""Idempotent Parquet partitions in an output folder — a local path or any fsspec URL — written once,
whole, and skipped when complete.

On a local file system (a path or ``file://``) ``part-00042.parquet`` is written to a hidden temporary name
in the same folder and renamed into place (``os.replace`` is atomic on one file system), so a reader or a
rerun sees a partition whole or not at all — a run killed mid-write leaves only a temporary file, removed by
the next run. On any other file system (``s3://``, ``gs://``, ``memory://`` …) renaming is a copy, so the
partition is serialised in memory first and stored under its final name in one write (``pipe_file``): an
object store makes the object visible only once its upload completes, so a killed run leaves no partial
object there. Either way a partition counts as complete only if its Parquet footer can be read and carries
the run's fingerprint (a hash of its inputs and plan) — the footer is the last thing written — so a rerun
with the same fingerprint skips the partitions that are there and recomputes any other; a folder holding
another run's partitions is refused rather than mixed.

Only the client writes partitions (results come back from the workers), so only the client needs the
fsspec implementation of the output's protocol.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

#: Parquet metadata key holding the fingerprint of the run that wrote a partition
FINGERPRINT_KEY = b"critmin.run"
#: the manifest of a run in its output folder
MANIFEST = "_manifest.json"

_PART = re.compile(r"part-(\d+)\.parquet")


class PartitionError(ValueError):
    """The output folder holds another run's partitions (or an unreadable one), or cannot be written."""


def output_fs(url: str | Path) -> tuple[Any, str]:
    """The fsspec file system and path of an output folder given as a local path or a URL.

    Raises :class:`PartitionError` naming the protocol, and the package to install when fsspec knows one,
    for a protocol without an installed implementation.
    """
    import fsspec
    from fsspec.registry import known_implementations

    text = str(url)
    protocol = fsspec.utils.get_protocol(text)
    try:
        fsspec.get_filesystem_class(protocol)
    except ImportError:
        hint = str(known_implementations.get(protocol, {}).get("err", "")).rstrip(".")
        package = re.search(r"[Ii]nstall (?:the )?['\"]?([\w.\-\[\]]+)", hint)
        how = f"install {package.group(1)} (pip install {package.group(1)})" if package else hint
        raise PartitionError(
            f"{text}: the fsspec file system for {protocol}:// is not installed; {how or 'install it'}"
        ) from None
    except ValueError:
        raise PartitionError(f"{text}: fsspec knows no protocol {protocol!r}") from None
    try:
        fs, path = fsspec.core.url_to_fs(text)
    except Exception as exc:  # a file system that cannot start (no credentials, no JVM for hdfs, bad options)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PartitionError(f"{text}: cannot open the {protocol}:// file system: {reason}") from None
    return fs, str(path).rstrip("/") or "/"


def is_local(fs: Any) -> bool:
    """Whether ``fs`` is the local file system (where a rename within a folder is atomic)."""
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(fs, LocalFileSystem)


def write_bytes(fs: Any, path: str, data: bytes) -> None:
    """Store ``data`` at ``path`` whole: a local temporary file renamed into place, elsewhere one write of
    the complete bytes under the final name."""
    if is_local(fs):
        target = Path(path)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    else:
        fs.pipe_file(path, data)


class PartitionDir:
    """The partitions of one run in ``folder`` (a local path or an fsspec URL), identified by
    ``fingerprint``."""

    def __init__(self, folder: str | Path, fingerprint: str, count: int) -> None:
        self.folder = str(folder)
        self.fs, self.root = output_fs(folder)
        self.fingerprint = fingerprint
        self.count = count

    def path(self, index: int) -> str:
        """The final path of partition ``index`` on :attr:`fs` (a plain path for a local folder)."""
        return f"{self.root}/part-{index:05d}.parquet"

    def _names(self, pattern: str) -> list[str]:
        """Base names in the folder matching a glob ``pattern``."""
        return sorted(p.rsplit("/", 1)[-1] for p in self.fs.glob(f"{self.root}/{pattern}"))

    def prepare(self, about: dict[str, object]) -> None:
        """Create the folder, check it holds no other run, write the manifest and remove dead temporaries.

        Raises :class:`PartitionError` if the folder holds partitions of a run with another fingerprint, or
        is a file.
        """
        fs, root = self.fs, self.root
        if fs.exists(root) and not fs.isdir(root):
            raise PartitionError(f"{self.folder} is a file; give a folder")
        fs.makedirs(root, exist_ok=True)
        manifest = f"{root}/{MANIFEST}"
        parts = self._names("part-*.parquet")
        if fs.exists(manifest):
            try:
                previous = json.loads(fs.cat_file(manifest).decode("utf-8")).get("fingerprint")
            except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
                previous = None
            if previous != self.fingerprint and parts:
                raise PartitionError(
                    f"{self.folder} holds the partitions of another run (other inputs or options); "
                    "give an empty folder or remove it"
                )
        elif parts:
            raise PartitionError(f"{self.folder} holds partitions without a {MANIFEST}; give an empty folder")
        for stale in self._names(".part-*.tmp-*"):
            fs.rm_file(f"{root}/{stale}")
        for name in parts:
            found = _PART.fullmatch(name)
            if found is None or int(found.group(1)) >= self.count:
                raise PartitionError(f"{root}/{name} is not a partition of this run; give an empty folder")
        about = {"fingerprint": self.fingerprint, **about}
        write_bytes(fs, manifest, json.dumps(about, indent=1).encode("utf-8"))

    def complete(self, index: int) -> bool:
        """Whether partition ``index`` is there, readable and written by this run."""
        path = self.path(index)
        try:
            with self.fs.open(path, "rb") as handle:
                meta = pq.ParquetFile(handle).schema_arrow.metadata or {}
        except (OSError, pa.ArrowInvalid):  # FileNotFoundError is an OSError
            return False
        return meta.get(FINGERPRINT_KEY) == self.fingerprint.encode()

    def missing(self) -> list[int]:
        """Indices of the partitions still to compute."""
        present = {int(m.group(1)) for n in self._names("part-*.parquet") if (m := _PART.fullmatch(n))}
        return [i for i in range(self.count) if i not in present or not self.complete(i)]

    def write(self, index: int, table: pa.Table) -> str:
        """Write partition ``index`` whole (see the module) with the run's fingerprint; returns its path."""
        meta = dict(table.schema.metadata or {})
        meta[FINGERPRINT_KEY] = self.fingerprint.encode()
        sink = pa.BufferOutputStream()
        pq.write_table(table.replace_schema_metadata(meta), sink)
        final = self.path(index)
        write_bytes(self.fs, final, sink.getvalue().to_pybytes())
        return final

    def read_partition(self, index: int, columns: Iterable[str] | None = None) -> pa.Table:
        """Partition ``index`` as written (with its metadata)."""
        cols = list(columns) if columns is not None else None
        with self.fs.open(self.path(index), "rb") as handle:
            return pq.read_table(handle, columns=cols)

    def read(self, columns: Iterable[str] | None = None) -> pa.Table:
        """All partitions in index order as one table."""
        tables = [self.read_partition(i, columns) for i in range(self.count)]
        return pa.concat_tables(tables).replace_schema_metadata(None)
