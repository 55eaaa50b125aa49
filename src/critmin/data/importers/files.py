"""Reading official files as text: UTF-8 (with or without BOM), else Windows-1252 as older exports use."""

from __future__ import annotations

import os
from pathlib import Path

from critmin.data.importers.errors import ImportFormatError


def read_text(path: str | os.PathLike[str]) -> str:
    """Decoded text of ``path``; an empty (or blank) file is an :class:`ImportFormatError`."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if not text.strip():
        raise ImportFormatError(path, None, None, "file is empty")
    return text
