"""What an import brings (files, editions, release date) and what it changed (added, updated, ... skipped).

The store fills an :class:`ImportSummary` when it writes (or, in a dry run, counts) the rows of an import; the
CLI prints it and the ``datasets`` table records the :class:`ImportOrigin`, so both say exactly what happened.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

ReplaceMode = Literal["none", "years", "all"]


@dataclass(frozen=True)
class ImportOrigin:
    """The files an import reads, the editions their rows carry and the publisher's release date, if known."""

    files: tuple[str, ...]
    editions: tuple[str, ...]
    released: str | None = None


@dataclass
class ImportSummary:
    """Row counts of one import: ``skipped`` maps a reason to the number of file rows left out for it."""

    table: str
    replace: ReplaceMode
    key: tuple[str, ...] = ()
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The summary as the JSON object ``critmin import --format json`` prints (a public contract)."""
        return {
            "table": self.table,
            "replace": self.replace,
            "key": list(self.key),
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "skipped": sum(self.skipped.values()),
            "skipped_reasons": dict(self.skipped.most_common()),
            "dry_run": self.dry_run,
        }
