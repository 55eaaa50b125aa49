"""``critmin brief``: write the self-contained HTML brief of a commodity."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from critmin.cli.common import (
    QUIET,
    VERBOSE,
    check_output_dir,
    check_output_file,
    ensure_store,
    err_console,
    fail,
    progress_steps,
    reported_warnings,
)

if TYPE_CHECKING:
    from critmin.vocab import UnknownNameError


def brief(
    commodity: str = typer.Argument(
        "rare-earths", help="Commodity id or name, e.g. rare-earths, gallium, germanium, graphite, antimony."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="HTML file to write (default: out/<commodity>-brief.html)."
    ),
    edition: int | None = typer.Option(
        None, "--edition", help="USGS Mineral Commodity Summaries edition (default: newest with data)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Date (YYYY-MM-DD) for 'export controls in force' (default: today)."
    ),
    importer: str = typer.Option(
        "USA", "--importer", help="Importing country (name or ISO3) whose suppliers are shown."
    ),
    png: Path | None = typer.Option(None, "--png", help="Also save every chart as PNG into this directory."),
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
) -> None:
    """Write ONE self-contained HTML brief (works offline) and print its path.

    Sections: reserves, production and trend, shares by stage (HHI, top-1/top-3), trade (top exporters,
    importers, and the importer's suppliers), export controls in force on --as-of with a timeline, risk,
    and the sources of every figure.
    """
    from critmin import vocab

    try:
        com = vocab.commodity(commodity)
    except vocab.UnknownNameError as exc:
        raise fail(_unknown(exc, "commodity")) from None
    try:
        importer_iso = vocab.resolve_country(importer)
    except vocab.UnknownNameError as exc:
        raise fail(_unknown(exc, "importer")) from None
    day = None
    if as_of is not None:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            raise fail(f"--as-of must be a date as YYYY-MM-DD, not {as_of!r}") from None
    target = out or Path("out") / f"{com.id}-brief.html"
    check_output_file(target, "--out")
    if png is not None:
        check_output_dir(png, "--png")

    ensure_store()  # first run: builds the store, with its own progress bar
    from critmin.query import NoDataError, check_usgs_edition

    try:
        check_usgs_edition(com.id, edition)
    except NoDataError as exc:
        raise fail(str(exc)) from None

    from critmin.report.brief import build_brief, write_brief, write_pngs

    steps = ["gathering data and drawing charts", "writing HTML"]
    if png is not None:
        steps.append("saving PNGs")
    with reported_warnings(quiet, verbose), progress_steps(f"brief {com.id}", len(steps)) as step:
        step(steps[0])
        try:
            result = build_brief(com.id, edition=edition, as_of=day, importer=importer_iso)
        except vocab.UnknownNameError as exc:
            raise fail(_unknown(exc, exc.kind)) from None
        step(steps[1])
        written = write_brief(result, target, None)
        if png is not None:
            step(steps[2])
            written += write_pngs(result, png)
    if png is not None:
        err_console.print(f"{len(written) - 1} PNG file(s) written to {png}")
    typer.echo(str(target))


def _unknown(exc: UnknownNameError, what: str) -> str:
    """The error text for an unknown name, with why and the suggestions as a hint."""
    why = f" ({exc.detail})" if exc.detail else ""
    hint = f" Did you mean: {', '.join(exc.suggestions)}?" if exc.suggestions else ""
    listing = " (`critmin data commodities` lists them.)" if exc.kind == "commodity" else ""
    return f"unknown {what} {exc.name!r}{why}.{hint}{listing}"


def register(app: typer.Typer) -> None:
    """Add the ``brief`` command to the main app."""
    app.command("brief")(brief)
