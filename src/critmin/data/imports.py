"""Imports of official files into the store: parse every file, then write all rows in one upsert.

The ``critmin import`` commands and the ``POST /api/imports/{kind}`` endpoint both call this module, so an
import means the same everywhere: any malformed file stops the import before the store is touched
(:class:`~critmin.data.importers.ImportFormatError` naming file, line and column, or
:class:`~critmin.vocab.UnknownNameError`), and the store's :class:`~critmin.store.StoreError` (locked, no rows)
leaves it unchanged. The result is an :class:`~critmin.data.import_summary.ImportSummary` with the reasons of
skipped rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from critmin.data.import_summary import ImportOrigin, ImportSummary, ReplaceMode

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from critmin.store import Store

ImportKind = Literal["usgs-mcs", "baci", "wgi"]

#: the store table each kind of import writes
TABLES: dict[str, str] = {"usgs-mcs": "usgs_mcs", "baci": "baci_trade", "wgi": "wgi"}

#: BACI's country codes as the data package embeds them (readable by :func:`read_baci_countries`)
EMBEDDED_BACI_COUNTRIES = Path(__file__).parent / "resources" / "baci_countries.csv"


@dataclass
class ParsedImport:
    """The rows of an import's files, not yet written: their table, files, editions and release date."""

    kind: str
    files: list[Path]
    parts: list[pd.DataFrame | pa.Table] = field(default_factory=list)
    editions: dict[str, None] = field(default_factory=dict)
    released: date | None = None
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def table(self) -> str:
        """The store table the rows go to."""
        return TABLES[self.kind]

    def write(self, store: Store, *, replace: ReplaceMode = "none", dry_run: bool = False) -> ImportSummary:
        """Upsert all rows into ``store`` in one transaction (``dry_run``: count only) and say what changed."""
        import pandas as pd
        import pyarrow as pa

        columns = store.columns(self.table)
        if isinstance(self.parts[0], pa.Table):
            frame: pd.DataFrame | pa.Table = pa.concat_tables(self.parts).select(columns)
        else:
            frame = pd.concat(self.parts, ignore_index=True)[columns]
        origin = ImportOrigin(
            tuple(p.name for p in self.files),
            tuple(self.editions),
            self.released.isoformat() if self.released else None,
        )
        summary = store.upsert(self.table, frame, origin=origin, replace=replace, dry_run=dry_run)
        summary.skipped = self.skipped
        return summary


def parse_files(
    kind: str,
    paths: list[Path],
    *,
    country_codes: Path | None = None,
    edition: str | None = None,
    released: date | None = None,
    commodity: str | None = None,
) -> ParsedImport:
    """Parse every file of an import of ``kind`` (``usgs-mcs``, ``baci`` or ``wgi``); nothing is written.

    ``commodity`` names the chapter of an MCS 2024 file whose name lacks it; ``country_codes`` is BACI's code
    file (default: the one next to each trade file); ``edition`` overrides the edition read from BACI file
    names or WGI's footer, and ``released`` WGI's release date. Raises :class:`ImportFormatError` or
    :class:`UnknownNameError` at the first malformed file, and ``ValueError`` for an unknown ``kind``.
    """
    from critmin.data.importers import read_baci_table, read_usgs_mcs, read_wgi_databank
    from critmin.data.importers.wgi import release_date

    if kind not in TABLES:
        raise ValueError(f"unknown import kind {kind!r}; one of {', '.join(TABLES)}")
    parsed = ParsedImport(kind, list(paths))
    for path in parsed.files:
        file_released: date | None = None
        rows: pd.DataFrame | pa.Table
        if kind == "usgs-mcs":
            rows = read_usgs_mcs(
                path, commodity=commodity, unknown_commodities="skip", skipped=parsed.skipped
            )
        elif kind == "baci":
            rows = read_baci_table(path, country_codes_path=country_codes, edition=edition)
        else:
            rows = read_wgi_databank(path, edition=edition, released=released, skipped=parsed.skipped)
            file_released = released or release_date(path)
        parsed.parts.append(rows)
        parsed.editions.update(dict.fromkeys(_editions(rows)))
        parsed.released = file_released or parsed.released
    return parsed


def run_import(
    kind: str,
    paths: list[Path],
    *,
    replace: ReplaceMode = "none",
    dry_run: bool = False,
    country_codes: Path | None = None,
    edition: str | None = None,
    released: date | None = None,
    commodity: str | None = None,
    store: Store | None = None,
) -> ImportSummary:
    """Parse ``paths`` (see :func:`parse_files`), then upsert their rows into ``store`` (default: the user's).

    Raises :class:`ImportFormatError` or :class:`UnknownNameError` before the store is touched, and
    :class:`~critmin.store.StoreError` (e.g. :class:`~critmin.store.StoreLockedError`) with the store unchanged.
    """
    from critmin.store import Store

    parsed = parse_files(
        kind, paths, country_codes=country_codes, edition=edition, released=released, commodity=commodity
    )
    return parsed.write(store or Store.open(), replace=replace, dry_run=dry_run)


def _editions(rows: pd.DataFrame | pa.Table) -> tuple[str, ...]:
    """The distinct editions of imported rows, as text."""
    import pyarrow as pa

    if isinstance(rows, pa.Table):
        values = rows["edition"].unique().to_pylist()
    else:
        values = list(rows["edition"].unique())
    return tuple(str(e) for e in values)
