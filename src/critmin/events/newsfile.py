"""Reading JSON-lines files of articles (``text``, ``url``, ``published``) with bounded memory.

A file that is binary or not UTF-8 at its start is refused whole; a bad line (malformed JSON, wrong field
types, a line over :data:`MAX_LINE_BYTES`, an undecodable line) is skipped with its reason, so one broken
article never hides the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from critmin.data.importers import ImportFormatError

#: one article line may hold at most this many bytes (a 100 MB line is skipped, never read whole)
MAX_LINE_BYTES = 5_000_000


@dataclass(frozen=True)
class Article:
    """One line of an article file: its text, address, publication date and (in a labelled set) gold events."""

    line: int
    text: str
    url: str | None
    published: date | None
    events: list[dict[str, Any]] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Skipped:
    """A line that was not read, and why."""

    line: int
    reason: str


def read_articles(path: Path) -> Iterator[Article | Skipped]:
    """Articles of a JSON-lines file, in order, with a :class:`Skipped` for each unusable line.

    Raises :class:`ImportFormatError` if the file is binary (a NUL byte in its first block).
    """
    with path.open("rb") as handle:
        head = handle.read(8192)
        if b"\x00" in head:
            raise ImportFormatError(path, None, None, "binary data, not a JSON-lines text file")
        handle.seek(0)
        for number, (_, raw) in enumerate(bounded_lines(handle, MAX_LINE_BYTES), start=1):
            if raw is None:
                yield Skipped(number, f"line longer than {MAX_LINE_BYTES:,} bytes")
            elif raw.strip():
                yield article_from_line(number, raw)


class Readable(Protocol):
    """A binary stream that reads a line of at most ``size`` bytes."""

    def readline(self, size: int = -1, /) -> bytes: ...


def bounded_lines(stream: Readable, cap: int) -> Iterator[tuple[int, bytes | None]]:
    """(bytes consumed, line) for each line of ``stream``, never holding more than ``cap`` bytes of one line:
    a longer line is drained in bounded pieces and given as ``None``."""
    while True:
        raw = stream.readline(cap + 1)
        if not raw:
            return
        size = len(raw)
        if size > cap and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(cap)
                size += len(raw)
            yield size, None
            continue
        yield size, raw


def article_from_line(number: int, raw: bytes) -> Article | Skipped:
    """The article of one raw JSON line (line ``number``; the first may start with a BOM), or why it was skipped."""
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        return Skipped(number, f"not UTF-8 text (byte {exc.start})")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return Skipped(number, f"malformed JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(record, dict):
        return Skipped(number, "not a JSON object")
    return article_from_record(number, record)


def article_from_record(number: int, record: dict[str, Any]) -> Article | Skipped:
    """The :class:`Article` of one decoded record (a JSON line or a Parquet row), or why it was skipped."""
    body, url, published = record.get("text"), record.get("url"), record.get("published")
    if not isinstance(body, str):
        return Skipped(number, "field 'text' missing or not a string")
    if url is not None and not isinstance(url, str):
        return Skipped(number, "field 'url' is not a string")
    day: date | None = None
    if published not in (None, ""):
        try:
            day = date.fromisoformat(str(published)[:10])
        except ValueError:
            return Skipped(number, f"field 'published' is not a date (YYYY-MM-DD): {published!r}")
    events = record.get("events")
    if events is not None and not (isinstance(events, list) and all(isinstance(e, dict) for e in events)):
        return Skipped(number, "field 'events' is not a list of objects")
    return Article(number, body, url, day, events)
