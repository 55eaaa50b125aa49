"""Opening official CSV files for streaming: encoding, delimiter and truncation checked before any row is read.

Files are read line by line (never whole into memory). A wrong encoding (UTF-16, invalid UTF-8) or delimiter
(semicolons, tabs) is named as such, and a file whose last line has no line break is refused as cut off, since a
record cut mid-number cannot be told from a complete one otherwise.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Iterator
from pathlib import Path

from critmin.data.importers.errors import ImportFormatError

_CHUNK = 1 << 20
_DELIMITERS = {";": "semicolons (';')", "\t": "tabs", "|": "vertical bars ('|')"}


def encoding_of(path: str | os.PathLike[str]) -> str:
    """``"utf-8-sig"`` for a valid UTF-8 file (official releases are); raises naming UTF-16, an empty or cut-off
    file, or the first line that is not valid UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    blank = True
    last = b""
    with Path(path).open("rb") as fh:
        head = fh.read(4)
        if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or (len(head) == 4 and b"\x00" in head):
            raise ImportFormatError(
                path, None, None, "file is UTF-16 encoded; save it as UTF-8 CSV (comma-separated)"
            )
        fh.seek(0)
        while chunk := fh.read(_CHUNK):
            blank = blank and not chunk.strip()
            last = chunk[-1:]
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = line + chunk.count(b"\n", 0, exc.start)
                raise ImportFormatError(
                    path,
                    bad,
                    None,
                    f"not valid UTF-8 (byte 0x{chunk[exc.start]:02x}); save the file as UTF-8 CSV",
                ) from None
            line += chunk.count(b"\n")
    if blank:
        raise ImportFormatError(path, None, None, "file is empty")
    if last not in (b"\n", b"\r"):
        raise ImportFormatError(
            path,
            line,
            None,
            "the file ends without a line break, so its last record may be cut off "
            "(an interrupted download or copy?); use the complete file",
        )
    return "utf-8-sig"


def csv_rows(path: str | os.PathLike[str], encoding: str) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with the 1-based line on which it starts (quoted line breaks handled), streamed."""
    with Path(path).open(encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        prev = 0
        for cells in reader:
            start, prev = prev + 1, reader.line_num
            yield start, cells


def check_delimiter(path: str | os.PathLike[str], header: list[str], expected: str) -> None:
    """Raise if a header read as comma-separated is one field holding another delimiter (e.g. semicolons).

    ``expected`` names a column the format must have, for the message.
    """
    if len(header) != 1:
        return
    for delimiter, name in _DELIMITERS.items():
        if delimiter in header[0]:
            raise ImportFormatError(
                path,
                1,
                None,
                f"fields are separated by {name}, not commas (the header reads {header[0][:60]!r}); "
                f"export the file as comma-separated CSV with a column {expected!r}",
            )


def read_text(path: str | os.PathLike[str]) -> str:
    """Whole decoded text of a small file (UTF-8 with or without BOM, else Windows-1252); empty is an error."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if not text.strip():
        raise ImportFormatError(path, None, None, "file is empty")
    return text
