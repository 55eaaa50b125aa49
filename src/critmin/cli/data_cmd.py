"""``critmin data``: list the embedded datasets, show tables, rebuild the data package."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from critmin.cli.common import (
    WIDE,
    OutputFormat,
    check_output_dir,
    console,
    emit,
    ensure_store,
    fail,
    progress_steps,
)

data_app = typer.Typer(help="List, show and rebuild the embedded data.", no_args_is_help=True)

#: the key columns of the terminal tables (``--wide``, csv and json show every column)
LIST_TABLE_FIELDS = ["name", "edition", "rows", "licence"]
COMMODITY_TABLE_FIELDS = ["id", "name", "kind", "members"]
SHOW_TABLE_FIELDS = ["country", "iso3", "year", "value", "unit", "estimated"]
SHOW_JSON_FIELDS = [
    "commodity",
    "edition",
    "country",
    "iso3",
    "year",
    "value",
    "unit",
    "estimated",
    "note",
    "source",
]


class What(StrEnum):
    """Which USGS table ``data show`` prints."""

    production = "production"
    reserves = "reserves"


class ProductionSource(StrEnum):
    """Which production dataset."""

    usgs = "usgs"
    wmd = "wmd"


@data_app.command("list")
def list_datasets(
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json"),
    wide: bool = WIDE,
) -> None:
    """Every dataset in the store with its edition, citation, URL and licence."""
    from critmin.query import sources

    ensure_store()
    frame = sources()
    emit(frame, fmt, title="critmin datasets", table_columns=LIST_TABLE_FIELDS, wide=wide)
    if fmt is OutputFormat.table and not wide:
        from rich.padding import Padding
        from rich.text import Text

        console.print("\nCitations", style="bold")
        for rec in frame.drop_duplicates(["name", "edition", "citation", "url"]).to_dict("records"):
            console.print(Text(f"{rec['name']} {rec.get('edition') or ''}".rstrip(), style="bold"))
            console.print(Padding(Text(str(rec["citation"])), (0, 0, 0, 2)))
            if rec.get("url"):  # whole, on its own line, so it stays one link even when the terminal wraps it
                console.print(Text(f"  {rec['url']}"), soft_wrap=True)


@data_app.command("show")
def show(
    commodity: str = typer.Argument(..., help="commodity id or name, e.g. rare-earths, gallium, Nd"),
    what: What = typer.Option(What.production, "--what", help="production or reserves"),
    year: list[int] | None = typer.Option(None, "--year", help="production year(s); repeat for several"),
    edition: int | None = typer.Option(
        None, "--edition", help="USGS MCS edition (default: newest with the data)"
    ),
    source: ProductionSource = typer.Option(
        ProductionSource.usgs, "--source", help="usgs or wmd (production only)"
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json"),
    wide: bool = WIDE,
) -> None:
    """Production or reserves of a commodity by country, world total included (iso3 WLD)."""
    from critmin import query, vocab

    if what is What.reserves and (year or source is ProductionSource.wmd):
        raise fail(
            "--year and --source are for production; reserves come from one USGS MCS edition (--edition)"
        )
    ensure_store()
    try:
        if what is What.reserves:
            frame = query.reserves(commodity, edition=edition)
        else:
            frame = query.production(commodity, year=year or None, edition=edition, source=source.value)
    except (vocab.UnknownNameError, query.NoDataError, ValueError) as exc:
        raise fail(str(exc)) from exc
    if frame.empty:
        raise fail(f"no {what.value} rows for {commodity} with these options")
    if fmt is not OutputFormat.table:
        emit(frame, fmt, columns=SHOW_JSON_FIELDS)
        return
    edition_text = f", USGS MCS {frame['edition'].iloc[0]}" if source is ProductionSource.usgs else ""
    emit(
        frame,
        fmt,
        columns=SHOW_JSON_FIELDS,
        title=f"{what.value} of {commodity}{edition_text}",
        table_columns=SHOW_TABLE_FIELDS,
        wide=wide,
    )
    if frame["value"].isna().all():
        console.print(
            f"No {what.value} figures published for {commodity} in this dataset; see the notes (--format csv)."
        )
    for source_text in frame["source"].drop_duplicates():
        console.print(f"[dim]Source: {source_text}[/]")
    console.print("[dim]Notes (USGS symbols, footnotes, conversions) are in --format csv or json.[/]")


@data_app.command("commodities")
def commodities(
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json"),
    wide: bool = WIDE,
) -> None:
    """The commodity vocabulary: ids to use in every command, names, symbols, group members, HS codes."""
    from critmin.query import commodities as vocabulary

    emit(vocabulary(), fmt, title="critmin commodities", table_columns=COMMODITY_TABLE_FIELDS, wide=wide)


@data_app.command("build")
def build(
    input_dir: Path | None = typer.Option(
        None, "--input", help="folder with the researched inputs (default ../shared/data)"
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", help="where to write the package (default: the installed package)"
    ),
) -> None:
    """Regenerate the embedded data package deterministically from the researched inputs."""
    from critmin.data import build as builder

    if out_dir is not None:
        check_output_dir(out_dir, "--out")
    source_dir = input_dir or builder.default_input_dir()
    if not source_dir.is_dir():
        raise fail(f"input folder not found: {source_dir} (pass --input or set CRITMIN_SHARED_DATA)")
    total = len(builder.load_spec()["resources"])
    try:
        with progress_steps("building data package", total) as step:
            path = builder.build_package(source_dir, out_dir or builder.DATA_DIR, progress=step)
    except builder.BuildError as exc:
        raise fail(str(exc)) from exc
    console.print(f"wrote {path}")


def register(app: typer.Typer) -> None:
    """Add the ``data`` group to the main app."""
    app.add_typer(data_app, name="data")
