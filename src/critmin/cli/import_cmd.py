"""``critmin import``: refresh the store from official files, each import in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from critmin.cli.common import console, ensure_store, fail

if TYPE_CHECKING:
    import pandas as pd

import_app = typer.Typer(
    help="Import official data files into the store (USGS MCS, CEPII BACI, World Bank WGI)."
)

FILES = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="files in the official format")


def _apply(table: str, by: list[str], files: list[Path], parse: Callable[[Path], pd.DataFrame]) -> None:
    """Parse every file first (any error stops before the store is touched), then replace rows at once."""
    import pandas as pd

    from critmin.data.importers import ImportFormatError
    from critmin.store import Store, StoreError
    from critmin.vocab import UnknownNameError

    frames = []
    for path in files:
        try:
            frames.append(parse(path))
        except (ImportFormatError, UnknownNameError) as exc:
            raise fail(f"{exc}; nothing was imported") from exc
    frame = pd.concat(frames, ignore_index=True)
    ensure_store()
    store = Store.open()
    columns = store.columns(table)
    try:
        rows = store.replace_rows(table, frame[columns], by=by, origin=";".join(p.name for p in files))
    except (StoreError, KeyError) as exc:
        raise fail(f"{exc}; nothing was imported") from exc
    console.print(f"imported {rows:,} rows into {table} from {len(files)} file(s) ({store.path})")


@import_app.command("usgs-mcs")
def usgs_mcs(files: list[Path] = FILES) -> None:
    """USGS MCS world tables: ``mcsYYYY-*_world.csv`` files or ``MCSYYYY_World_Data.csv``.

    Each (commodity, product, edition) in the files replaces the stored table of that edition.
    """
    from critmin.data.importers import read_usgs_mcs

    _apply(
        "usgs_mcs",
        ["commodity", "product", "edition"],
        files,
        lambda p: read_usgs_mcs(p, unknown_commodities="skip"),
    )


@import_app.command("baci")
def baci(
    files: list[Path] = FILES,
    country_codes: Path | None = typer.Option(
        None, "--country-codes", exists=True, dir_okay=False, help="BACI country_codes_VYYYYMMx.csv"
    ),
) -> None:
    """CEPII BACI yearly CSVs (columns t,i,j,k,v,q); each (year, HS code) in them replaces the stored flows."""
    from critmin.data.importers import read_baci

    _apply("baci_trade", ["year", "hs"], files, lambda p: read_baci(p, country_codes_path=country_codes))


@import_app.command("wgi")
def wgi(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="World Bank DataBank CSV export"),
) -> None:
    """World Bank WGI DataBank CSV export; each year in it replaces the stored estimates of that year."""
    from critmin.data.importers import read_wgi_databank

    _apply("wgi", ["year"], [file], read_wgi_databank)


def register(app: typer.Typer) -> None:
    """Add the ``import`` group to the main app."""
    app.add_typer(import_app, name="import")
