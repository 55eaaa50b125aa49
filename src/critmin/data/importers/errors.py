"""The one error type of the importers: a malformed official file, located by file, line and column.

Users refresh critmin's data from files they download themselves, so a bad file must be reported in terms
they can act on (``mcs2025.csv, line 14, column PROD_2023: 'abc' is not a number``), never as a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


class ImportFormatError(ValueError):
    """An official data file that does not have the expected format.

    ``file`` is the file's name (``path`` keeps the full path), ``line`` the 1-based line number in the file
    (the header is line 1; ``None`` when the problem is not on one line), ``column`` the column name as
    written in the file (or ``None``) and ``message`` what is wrong.
    """

    def __init__(
        self, file: str | os.PathLike[str], line: int | None, column: str | None, message: str
    ) -> None:
        self.path = str(file)
        self.file = Path(file).name or self.path
        self.line = line
        self.column = column
        self.message = message
        super().__init__(self._text())

    def _text(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"

    def __str__(self) -> str:
        return self._text()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with the four constructor arguments (the default would pass only the text)."""
        return (type(self), (self.path, self.line, self.column, self.message))
