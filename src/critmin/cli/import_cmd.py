"""``critmin import``: refresh the store from official files, each import in one transaction.

By default rows are upserted by the table's primary key (new keys added, existing ones updated, every other row
kept); ``--replace years`` also removes the stored rows of the years the files touch, ``--replace all`` the
rest of the table. The command prints what changed (added, updated, removed, unchanged, skipped with reasons);
``--dry-run`` prints the same without writing.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from critmin.cli.common import ensure_store, fail

if TYPE_CHECKING:
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


def _apply(
    kind: str, files: list[Path], replace: Replace, dry_run: bool, fmt: SummaryFormat, **options: Any
) -> None:
    """Parse every file first (any error stops before the store is touched), then write all rows at once."""
    from critmin.data.importers import ImportFormatError
    from critmin.data.imports import parse_files
    from critmin.store import Store, StoreError
    from critmin.vocab import UnknownNameError

    try:
        parsed = parse_files(kind, files, **options)
    except (ImportFormatError, UnknownNameError) as exc:
        raise fail(f"{exc}; nothing was imported") from exc
    ensure_store()
    store = Store.open()
    try:
        summary = parsed.write(store, replace=replace.value, dry_run=dry_run)
    except StoreError as exc:
        raise fail(f"{exc}; nothing was imported") from exc
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
    _apply("usgs-mcs", files, replace, dry_run, fmt, commodity=commodity)


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
    _apply("baci", files, replace, dry_run, fmt, country_codes=country_codes, edition=edition)


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
    _apply("wgi", [file], replace, dry_run, fmt, edition=edition, released=_date(released))


def register(app: typer.Typer) -> None:
    """Add the ``import`` group to the main app."""
    app.add_typer(import_app, name="import")
