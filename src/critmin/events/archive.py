"""News archives: JSON-lines or Parquet shards (local paths or fsspec URLs) extracted in partitions.

:func:`plan` cuts each shard into :class:`Part` s — byte ranges of about :data:`BLOCK_BYTES` of a JSON-lines
shard (a part reads the lines that start inside its range, so a line is read by exactly one part; a
compressed shard is one part), row groups of a Parquet shard — and :func:`extract_part` turns one part into
an Arrow table of candidate events, one row per event (:data:`SCHEMA`). A part is a pure function of the
shard's bytes, so the concatenated parts are the same table wherever and in whichever order they ran.

Lines and rows are checked as ``critmin news extract`` checks them (:mod:`critmin.events.newsfile`); one
that cannot be read is skipped with its reason and its position (byte offset of the line, or row number).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from critmin.data.importers import ImportFormatError
from critmin.events.extract import PATTERNS_FILE, extract
from critmin.events.newsfile import (
    MAX_LINE_BYTES,
    Article,
    Skipped,
    article_from_line,
    article_from_record,
    bounded_lines,
)

#: a JSON-lines shard is cut into parts of about this many bytes
BLOCK_BYTES = 32 * 1024 * 1024

#: the columns of the candidate-event partitions: ``critmin news extract --format json`` flattened — the
#: article's ``url``, then each event's fields (``evidence`` as ``evidence_start``/``evidence_end``; ``target``
#: always a list, ``["all"]`` for every destination), after the article's place in the archive: ``shard`` as
#: given, ``offset`` (byte offset of its line, or its row number in a Parquet shard) and ``event`` (0, 1, …
#: within the article). Names are a public contract.
SCHEMA = pa.schema(
    [
        ("shard", pa.string()),
        ("offset", pa.int64()),
        ("url", pa.string()),
        ("event", pa.int32()),
        ("country", pa.string()),
        ("measure", pa.string()),
        ("commodities", pa.list_(pa.string())),
        ("target", pa.list_(pa.string())),
        ("effective", pa.string()),
        ("status_change", pa.string()),
        ("confidence", pa.float64()),
        ("evidence_start", pa.int64()),
        ("evidence_end", pa.int64()),
    ]
)

_PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class Part:
    """A piece of one shard: bytes ``[start, end)`` of a JSON-lines shard (``end`` -1: to its end), or row
    groups ``[start, end)`` of a Parquet shard whose first row is row ``first_row``."""

    shard: str
    kind: str
    start: int
    end: int
    first_row: int = 0


@dataclass
class PartResult:
    """Candidate events of one part, how many articles it held and the lines it skipped."""

    table: pa.Table
    articles: int
    skipped: list[tuple[str, int, str]] = field(default_factory=list)


def _is_parquet(shard: str) -> bool:
    return shard.lower().endswith(_PARQUET_SUFFIXES)


def plan(shards: Sequence[str], block_bytes: int | None = None) -> list[Part]:
    """The parts of ``shards`` in archive order (JSON lines cut every ``block_bytes``, default
    :data:`BLOCK_BYTES`). Raises :class:`FileNotFoundError` for a missing shard and
    :class:`ImportFormatError` for one that is binary (JSON lines) or has no ``text`` column (Parquet)."""
    import fsspec
    import pyarrow.parquet as pq
    from fsspec.utils import infer_compression

    block = block_bytes or BLOCK_BYTES
    parts: list[Part] = []
    for shard in shards:
        fs, path = fsspec.core.url_to_fs(shard)
        if _is_parquet(shard):
            with fs.open(path, "rb") as handle:
                meta = pq.ParquetFile(handle).metadata
                if "text" not in meta.schema.names:
                    raise ImportFormatError(shard, None, "text", "no 'text' column in the Parquet shard")
                row = 0
                for group in range(meta.num_row_groups):
                    parts.append(Part(shard, "parquet", group, group + 1, row))
                    row += meta.row_group(group).num_rows
            continue
        with fsspec.open(shard, "rb", compression="infer") as handle:
            if b"\x00" in handle.read(8192):
                raise ImportFormatError(shard, None, None, "binary data, not a JSON-lines text file")
        if infer_compression(path):
            parts.append(Part(shard, "jsonl", 0, -1))
            continue
        size = fs.size(path)
        parts.extend(Part(shard, "jsonl", lo, min(lo + block, size)) for lo in range(0, max(size, 1), block))
    return parts


def fingerprint(parts: Sequence[Part]) -> str:
    """A hash of the shards' sizes and modification stamps, the plan, the extraction patterns and critmin's
    version: partitions written under one fingerprint belong to one run."""
    import fsspec

    from critmin import __version__

    digest = hashlib.blake2b(digest_size=16)
    for shard in dict.fromkeys(p.shard for p in parts):
        fs, path = fsspec.core.url_to_fs(shard)
        info = fs.info(path)
        stamp = next((info[k] for k in ("mtime", "LastModified", "ETag", "last_modified") if k in info), None)
        digest.update(json.dumps([shard, info.get("size"), stamp], default=str).encode())
    digest.update(json.dumps([vars(p) for p in parts]).encode())
    digest.update(PATTERNS_FILE.read_bytes())
    digest.update(__version__.encode())
    return digest.hexdigest()


def environment() -> dict[str, str]:
    """What a worker must share with the client to extract the same events: critmin's version, the embedded
    data package's hash and the extraction patterns' hash (a probe for
    :func:`critmin.compute.run_units`)."""
    from critmin.compute.environment import installation

    patterns = hashlib.sha256(PATTERNS_FILE.read_bytes()).hexdigest()[:16]
    return {**installation(), "extraction patterns": patterns}


def _jsonl_lines(part: Part) -> Iterator[tuple[int, Article | Skipped]]:
    """(byte offset, article) for the lines that start in the part's byte range."""
    import fsspec

    with fsspec.open(part.shard, "rb", compression="infer") as handle:
        pos = 0
        if part.start > 0:
            handle.seek(part.start - 1)
            pos = part.start - 1
            while True:  # finish the line the previous part reads (bounded pieces)
                piece = handle.readline(MAX_LINE_BYTES)
                pos += len(piece)
                if not piece or piece.endswith(b"\n"):
                    break
        if 0 <= part.end <= pos:
            return
        for size, raw in bounded_lines(handle, MAX_LINE_BYTES):
            offset, pos = pos, pos + size
            if raw is None:
                yield offset, Skipped(0, f"line longer than {MAX_LINE_BYTES:,} bytes")
            elif raw.strip():
                # "line 1" lets the file's first line carry a byte-order mark, as critmin news extract does
                yield offset, article_from_line(1 if offset == 0 else 0, raw)
            if 0 <= part.end <= pos:
                return


def _parquet_rows(part: Part) -> Iterator[tuple[int, Article | Skipped]]:
    """(row number, article) for the rows of the part's row groups."""
    import fsspec
    import pyarrow.parquet as pq

    fs, path = fsspec.core.url_to_fs(part.shard)
    with fs.open(path, "rb") as handle:
        pf = pq.ParquetFile(handle)
        columns = [c for c in ("text", "url", "published") if c in pf.schema_arrow.names]
        row = part.first_row
        for group in range(part.start, part.end):
            for record in pf.read_row_group(group, columns=columns).to_pylist():
                yield row, article_from_record(0, record)
                row += 1


def read_part(part: Part) -> Iterator[tuple[int, Article | Skipped]]:
    """The articles of one part with their position in the shard, in shard order."""
    return _parquet_rows(part) if part.kind == "parquet" else _jsonl_lines(part)


def extract_part(_context: Any, part: Part) -> PartResult:
    """Candidate events of the articles in ``part`` as a table of :data:`SCHEMA` (a work unit: the spaCy
    pipeline is built once per process and reused by every part that process runs)."""
    columns: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
    articles = 0
    skipped: list[tuple[str, int, str]] = []
    for offset, item in read_part(part):
        if isinstance(item, Skipped):
            skipped.append((part.shard, offset, item.reason))
            continue
        articles += 1
        for number, candidate in enumerate(extract(item.text, item.published, item.url)):
            record = candidate.to_json()
            target = record["target"]
            row = {
                "shard": part.shard,
                "offset": offset,
                "url": item.url,
                "event": number,
                **{k: record[k] for k in ("country", "measure", "commodities", "effective", "status_change")},
                "target": [target] if isinstance(target, str) else target,
                "confidence": record["confidence"],
                "evidence_start": record["evidence"]["start"],
                "evidence_end": record["evidence"]["end"],
            }
            for name in SCHEMA.names:
                columns[name].append(row[name])
    return PartResult(pa.table(columns, schema=SCHEMA), articles, skipped)
