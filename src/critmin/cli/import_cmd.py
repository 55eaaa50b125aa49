"""``critmin import``: refresh the store from official files, each import in one transaction.

By default rows are upserted by the table's primary key (new keys added, existing ones updated, every other row
kept); ``--replace years`` also removes the stored rows of the years the files touch, ``--replace all`` the
rest of the table. The command prints what changed (added, updated, removed, unchanged, skipped with reasons);
``--dry-run`` prints the same without writing.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from critmin.cli.common import ensure_store, fail

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from critmin.data.import_summary import ImportSummary

import_app = typer.Typer(
    help="Import official data files into the store (USGS MCS, CEPII BACI, World Bank WGI)."
)

FILES = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="files in the official format")


class Replace(StrEnum):
    """What an import replaces besides the rows whose keys it holds."""

    none = "none"
    years = "years"
    all = "all"


class SummaryFormat(StrEnum):
    """How the import summary is printed."""

    table = "table"
    json = "json"


REPLACE = typer.Option(
    Replace.none,
    "--replace",
    help="none: add and update rows by primary key, keep all others (default); years: also remove stored rows "
    "of the years (USGS: editions and years) in the files that the files lack; all: the files become the table.",
)
DRY_RUN = typer.Option(False, "--dry-run", help="Print what the import would change; write nothing.")
FORMAT = typer.Option(SummaryFormat.table, "--format", help="table or json (the summary)")

Parsed = tuple["pd.DataFrame | pa.Table", tuple[str, ...], "date | None"]  # rows, editions, release date


def _apply(
    table: str,
    files: list[Path],
    parse: Callable[[Path, Counter[str]], Parsed],
    replace: Replace,
    dry_run: bool,
    fmt: SummaryFormat,
) -> None:
    """Parse every file first (any error stops before the store is touched), then write all rows at once."""
    import pandas as pd
    import pyarrow as pa

    from critmin.data.import_summary import ImportOrigin
    from critmin.data.importers import ImportFormatError
    from critmin.store import Store, StoreError
    from critmin.vocab import UnknownNameError

    skipped: Counter[str] = Counter()
    parts: list[pd.DataFrame | pa.Table] = []
    editions: dict[str, None] = {}
    released: date | None = None
    for path in files:
        try:
            rows, file_editions, file_released = parse(path, skipped)
        except (ImportFormatError, UnknownNameError) as exc:
            raise fail(f"{exc}; nothing was imported") from exc
        parts.append(rows)
        editions.update(dict.fromkeys(file_editions))
        released = file_released or released
    ensure_store()
    store = Store.open()
    try:
        columns = store.columns(table)
        if isinstance(parts[0], pa.Table):
            frame: pd.DataFrame | pa.Table = pa.concat_tables(parts).select(columns)
        else:
            frame = pd.concat(parts, ignore_index=True)[columns]
        origin = ImportOrigin(
            tuple(p.name for p in files), tuple(editions), released.isoformat() if released else None
        )
        summary = store.upsert(table, frame, origin=origin, replace=replace.value, dry_run=dry_run)
    except StoreError as exc:
        raise fail(f"{exc}; nothing was imported") from exc
    summary.skipped = skipped
    _print(summary, files, store.path, fmt)


def _print(summary: ImportSummary, files: list[Path], store: Path, fmt: SummaryFormat) -> None:
    """The summary: one count per line (reasons of skipped rows beneath), or a JSON object."""
    if fmt is SummaryFormat.json:
        out = {**summary.as_dict(), "files": [p.name for p in files], "store": str(store)}
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    how = {
        "none": f"upsert by {', '.join(summary.key)}",
        "years": "replace the years in the files",
        "all": "replace the whole table",
    }[summary.replace]
    typer.echo(f"{summary.table} from {', '.join(p.name for p in files)} ({how})")
    counts = summary.as_dict()
    for name in ("added", "updated", "removed", "unchanged", "skipped"):
        typer.echo(f"  {name:<10}{counts[name]:>12,}")
    for reason, n in summary.skipped.most_common():
        typer.echo(f"  {'':<10}{n:>12,}  {reason}")
    typer.echo(
        "dry run: nothing was written" if summary.dry_run else f"written in one transaction to {store}"
    )


def _editions(rows: pd.DataFrame | pa.Table) -> tuple[str, ...]:
    """The distinct editions of imported rows, as text."""
    import pyarrow as pa

    if isinstance(rows, pa.Table):
        values = rows["edition"].unique().to_pylist()
    else:
        values = list(rows["edition"].unique())
    return tuple(str(e) for e in values)


@import_app.command("usgs-mcs")
def usgs_mcs(
    files: list[Path] = FILES,
    commodity: str | None = typer.Option(
        None,
        "--commodity",
        help="chapter of an MCS 2024 file whose name lacks it, e.g. raree or 'Rare earths'",
    ),
    replace: Replace = REPLACE,
    dry_run: bool = DRY_RUN,
    fmt: SummaryFormat = FORMAT,
) -> None:
    """USGS MCS world tables: ``mcsYYYY-*_world.csv`` files or ``MCSYYYY_World_Data.csv``.

    Rows are keyed by commodity, product, edition, year and country; the edition is read from the files.
    """
    from critmin.data.importers import read_usgs_mcs

    def parse(path: Path, skipped: Counter[str]) -> Parsed:
        rows = read_usgs_mcs(path, commodity=commodity, unknown_commodities="skip", skipped=skipped)
        return rows, _editions(rows), None

    _apply("usgs_mcs", files, parse, replace, dry_run, fmt)


@import_app.command("baci")
def baci(
    files: list[Path] = FILES,
    country_codes: Path | None = typer.Option(
        None, "--country-codes", exists=True, dir_okay=False, help="BACI country_codes_VYYYYMMx.csv"
    ),
    edition: str | None = typer.Option(
        None, "--edition", help="BACI version, e.g. V202401b (default: from the file names)"
    ),
    replace: Replace = REPLACE,
    dry_run: bool = DRY_RUN,
    fmt: SummaryFormat = FORMAT,
) -> None:
    """CEPII BACI yearly CSVs (columns t,i,j,k,v,q); rows are keyed by year, exporter, importer and HS code."""
    from critmin.data.importers import read_baci_table

    def parse(path: Path, skipped: Counter[str]) -> Parsed:
        rows = read_baci_table(path, country_codes_path=country_codes, edition=edition)
        return rows, _editions(rows), None

    _apply("baci_trade", files, parse, replace, dry_run, fmt)


def _date(text: str | None) -> date | None:
    """``--released`` as a date (YYYY-MM-DD)."""
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date such as 2024-11-05") from None


@import_app.command("wgi")
def wgi(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="World Bank DataBank CSV export"),
    edition: str | None = typer.Option(
        None, "--edition", help="WGI edition, e.g. '2024 update' (default: from the 'Last Updated' footer)"
    ),
    released: str | None = typer.Option(
        None, "--released", help="release date YYYY-MM-DD, for a file whose footer was removed"
    ),
    replace: Replace = REPLACE,
    dry_run: bool = DRY_RUN,
    fmt: SummaryFormat = FORMAT,
) -> None:
    """World Bank WGI DataBank CSV export; rows are keyed by economy (ISO3) and year."""
    from critmin.data.importers import read_wgi_databank
    from critmin.data.importers.wgi import release_date

    day = _date(released)

    def parse(path: Path, skipped: Counter[str]) -> Parsed:
        rows = read_wgi_databank(path, edition=edition, released=day, skipped=skipped)
        return rows, _editions(rows), day or release_date(path)

    _apply("wgi", [file], parse, replace, dry_run, fmt)


def register(app: typer.Typer) -> None:
    """Add the ``import`` group to the main app."""
    app.add_typer(import_app, name="import")
