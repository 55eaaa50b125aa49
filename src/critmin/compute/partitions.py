"""Idempotent Parquet partitions in an output folder: written once, atomically, skipped when complete.

``part-00042.parquet`` is written to a hidden temporary name in the same folder and renamed into place
(``os.replace`` is atomic on one file system), so a reader or a rerun sees a partition whole or not at all —
a run killed mid-write leaves only a temporary file, removed by the next run. Each partition carries the
run's fingerprint (a hash of its inputs and plan) in its Parquet metadata; a rerun with the same fingerprint
skips the partitions that are there, and a folder holding another run's partitions is refused rather than
mixed.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

#: Parquet metadata key holding the fingerprint of the run that wrote a partition
FINGERPRINT_KEY = b"critmin.run"
#: the manifest of a run in its output folder
MANIFEST = "_manifest.json"


class PartitionError(ValueError):
    """The output folder holds another run's partitions (or an unreadable one)."""


class PartitionDir:
    """The partitions of one run in ``folder``, identified by ``fingerprint``."""

    def __init__(self, folder: Path, fingerprint: str, count: int) -> None:
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        self.count = count

    def path(self, index: int) -> Path:
        """The final path of partition ``index``."""
        return self.folder / f"part-{index:05d}.parquet"

    def prepare(self, about: dict[str, object]) -> None:
        """Create the folder, check it holds no other run, write the manifest and remove dead temporaries.

        Raises :class:`PartitionError` if the folder holds partitions of a run with another fingerprint.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        manifest = self.folder / MANIFEST
        if manifest.exists():
            try:
                previous = json.loads(manifest.read_text(encoding="utf-8")).get("fingerprint")
            except (json.JSONDecodeError, AttributeError):
                previous = None
            if previous != self.fingerprint and any(self.folder.glob("part-*.parquet")):
                raise PartitionError(
                    f"{self.folder} holds the partitions of another run (other inputs or options); "
                    "give an empty folder or remove it"
                )
        elif any(self.folder.glob("part-*.parquet")):
            raise PartitionError(f"{self.folder} holds partitions without a {MANIFEST}; give an empty folder")
        for stale in self.folder.glob(".part-*.tmp-*"):
            stale.unlink(missing_ok=True)
        for extra in self.folder.glob("part-*.parquet"):
            if not extra.stem.removeprefix("part-").isdigit() or int(extra.stem[5:]) >= self.count:
                raise PartitionError(f"{extra} is not a partition of this run; give an empty folder")
        _write_atomic_text(manifest, json.dumps({"fingerprint": self.fingerprint, **about}, indent=1))

    def complete(self, index: int) -> bool:
        """Whether partition ``index`` is there, readable and written by this run."""
        path = self.path(index)
        if not path.exists():
            return False
        try:
            meta = pq.read_schema(path).metadata or {}
        except (OSError, pa.ArrowInvalid):
            return False
        return meta.get(FINGERPRINT_KEY) == self.fingerprint.encode()

    def missing(self) -> list[int]:
        """Indices of the partitions still to compute."""
        return [i for i in range(self.count) if not self.complete(i)]

    def write(self, index: int, table: pa.Table) -> Path:
        """Write partition ``index`` atomically (temporary file, then rename) with the run's fingerprint."""
        final = self.path(index)
        tmp = self.folder / f".{final.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        meta = dict(table.schema.metadata or {})
        meta[FINGERPRINT_KEY] = self.fingerprint.encode()
        try:
            pq.write_table(table.replace_schema_metadata(meta), tmp)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        return final

    def read(self, columns: Iterable[str] | None = None) -> pa.Table:
        """All partitions in index order as one table."""
        cols = list(columns) if columns is not None else None
        tables = [pq.read_table(self.path(i), columns=cols) for i in range(self.count)]
        return pa.concat_tables(tables).replace_schema_metadata(None)


def _write_atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
