"""``critmin risk``: the published supply-risk methods for any commodity, country and year, with inputs.

critmin risk --method hhi --commodity rare-earths
critmin risk --method eu --commodity graphite --format json
critmin risk --method geopolrisk --commodity cobalt --country Japan --year 2022
critmin risk --method usgs --commodity gallium --country USA
critmin risk table --method eu --chart out/criticality.html
"""

from __future__ import annotations

import warnings
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from critmin.cli.common import (
    QUIET,
    VERBOSE,
    WIDE,
    OutputFormat,
    check_output_file,
    emit,
    ensure_store,
    err_console,
    fail,
    reported_warnings,
)

if TYPE_CHECKING:
    import pandas as pd

risk_app = typer.Typer(
    help="Supply-risk methods: concentration (HHI), EU criticality, GeoPolRisk, USGS-style risk.",
    invoke_without_command=True,
    no_args_is_help=False,
)


class Method(StrEnum):
    """Which published method."""

    hhi = "hhi"
    eu = "eu"
    geopolrisk = "geopolrisk"
    usgs = "usgs"


class Source(StrEnum):
    """Data behind the concentration index."""

    usgs = "usgs"
    wmd = "wmd"
    trade = "trade"


#: the key columns of the terminal table per method, to fit 80 columns (--wide, csv and json: every column)
TABLE_COLUMNS: dict[str, list[str]] = {
    "hhi": ["commodity", "product", "stage", "year", "hhi", "cr1", "top3"],
    "eu": ["commodity", "stage", "sr", "bottleneck", "supply_basis", "import_reliance"],
    "geopolrisk": ["commodity", "country", "year", "geopolrisk", "cf", "import_risk", "top_supplier"],
    "usgs": ["commodity", "country", "year", "stage", "value", "disruption_potential", "trade_exposure"],
    "eu_table": ["commodity", "sr", "ei", "critical", "sr_published", "ei_published", "critical_published"],
}  # fmt: skip
#: the leading fields of every JSON record
LEAD = ["method", "commodity", "country", "year", "stage", "value"]


def _show(frame: pd.DataFrame, fmt: OutputFormat, columns: list[str], title: str, wide: bool) -> None:
    """Print ``frame``: a Rich table of ``columns`` (every column with ``wide``), or every column as CSV or
    JSON (``LEAD`` fields first)."""
    lead = frame.reindex(columns=[*LEAD, *(c for c in frame.columns if c not in LEAD)])
    emit(lead, fmt, title=title, table_columns=columns, wide=wide)


def _proxies(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise fail(f"--wgi-proxy takes COUNTRY=PROXY (e.g. NCL=FRA), not {item!r}")
        from critmin import vocab

        a, b = item.split("=", 1)
        out[vocab.resolve_country(a)] = vocab.resolve_country(b)
    return out


def _run(method: Method, **kw: Any) -> pd.DataFrame:
    """Compute ``method``; missing inputs become a clear error, warnings a summary on stderr."""
    from critmin import risk
    from critmin.query import NoDataError
    from critmin.vocab import UnknownNameError

    with reported_warnings(kw["quiet"], kw["verbose"]):
        try:
            if method is Method.hhi:
                out = risk.concentration(
                    kw["commodity"] or None, kw["year"] or None, source=kw["source"].value,
                    edition=kw["edition"], stage=kw["stage"],
                )  # fmt: skip
            elif method is Method.eu:
                years: Any = None
                if kw["year"]:
                    years = (
                        kw["year"]
                        if len(kw["year"]) > 1
                        else (kw["year"][0] - kw["window"] + 1, kw["year"][0])
                    )
                out = risk.eu_supply_risk(
                    kw["commodity"] or None, years=years, wgi_proxies=_proxies(kw["wgi_proxy"]),
                    parameters=kw["parameters"], trade_parameters=kw["trade_parameters"],
                )  # fmt: skip
            elif method is Method.geopolrisk:
                if not kw["commodity"] and not kw["country"] and not kw["year"]:
                    raise fail(
                        "geopolrisk: give at least --commodity, --country or --year (the full grid is large)"
                    )
                out = risk.geopolrisk(
                    kw["commodity"] or None,
                    kw["country"] or None,
                    kw["year"] or None,
                    suppliers=kw["suppliers"],
                )
                if not kw["year"]:
                    with_hhi = out[out["hhi"].notna()]
                    if len(with_hhi):
                        out = out[out["year"] == with_hhi["year"].max()]
            else:
                if not kw["commodity"]:
                    raise fail("usgs: give --commodity")
                out = risk.usgs_supply_risk(
                    kw["commodity"], kw["country"] or "USA", kw["year"] or None, edition=kw["edition"]
                )
        except UnknownNameError as exc:
            raise fail(str(exc)) from None
        except (risk.MissingInputError, NoDataError) as exc:
            raise fail(f"{method.value}: missing input: {exc}") from None
    return out


@risk_app.callback()
def risk(
    ctx: typer.Context,
    method: Method = typer.Option(Method.hhi, "--method", "-m", help="hhi, eu, geopolrisk or usgs."),
    commodity: list[str] | None = typer.Option(
        None, "--commodity", "-c", help="Commodity id or name; repeat for several (hhi/eu: default all)."
    ),
    country: list[str] | None = typer.Option(
        None,
        "--country",
        help="Importing country, name or ISO3 (geopolrisk, usgs); EU27 = the EU as a region.",
    ),
    year: list[int] | None = typer.Option(None, "--year", "-y", help="Year(s); repeat for several."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json."),
    source: Source = typer.Option(Source.usgs, "--source", help="hhi: usgs, wmd or trade (exports)."),
    edition: int | None = typer.Option(None, "--edition", help="USGS MCS edition (default: newest)."),
    stage: str | None = typer.Option(None, "--stage", help="hhi: stage (mining, refining, metal)."),
    window: int = typer.Option(5, "--window", help="eu: averaging window in years ending at --year."),
    wgi_proxy: list[str] | None = typer.Option(
        None, "--wgi-proxy", help="eu: COUNTRY=PROXY for a supplier without WGI, e.g. NCL=FRA."
    ),
    parameters: Path | None = typer.Option(
        None, "--parameters", help="eu: CSV overriding EU 2023 parameters."
    ),
    trade_parameters: Path | None = typer.Option(
        None, "--trade-parameters", help="eu: CSV overriding the trade factors t."
    ),
    suppliers: bool = typer.Option(
        False, "--suppliers", help="geopolrisk: add each supplier's imports and g."
    ),
    wide: bool = WIDE,
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
) -> None:
    """Compute one method with every input beside the result (JSON: method, commodity, country, year,
    stage, value, then the inputs)."""
    if ctx.invoked_subcommand is not None:
        return
    ensure_store()
    out = _run(
        method, commodity=commodity, country=country, year=year, source=source, edition=edition, stage=stage,
        window=window, wgi_proxy=wgi_proxy, parameters=parameters, trade_parameters=trade_parameters,
        suppliers=suppliers, quiet=quiet, verbose=verbose,
    )  # fmt: skip
    if out.empty:
        raise fail(f"{method.value}: no result for the selection")
    _show(out, fmt, TABLE_COLUMNS[method.value], f"{method.value}: {len(out)} row(s)", wide)


@risk_app.command("table")
def table(
    method: Method = typer.Option(
        Method.eu, "--method", "-m", help="Ranking by: eu, hhi, geopolrisk or usgs."
    ),
    country: str | None = typer.Option(
        None, "--country", help="geopolrisk: importer (default EU27); usgs: country (default USA)."
    ),
    year: int | None = typer.Option(None, "--year", "-y", help="Year (default: the latest with data)."),
    source: Source = typer.Option(Source.usgs, "--source", help="hhi: usgs, wmd or trade."),
    chart: Path | None = typer.Option(
        None, "--chart", help="Write the chart (.html self-contained, .png, .svg): EU = SR vs EI matrix."
    ),
    published: bool = typer.Option(
        True, "--published/--no-published", help="eu: also plot EU 2023 published."
    ),
    wgi_proxy: list[str] | None = typer.Option(None, "--wgi-proxy", help="eu: COUNTRY=PROXY, e.g. NCL=FRA."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json."),
    wide: bool = WIDE,
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
) -> None:
    """Rank all commodities by a method; --chart draws the EU criticality matrix (SR vs EI, thresholds)."""
    if chart is not None:
        check_output_file(chart, "--chart")
    ensure_store()
    import pandas as pd

    from critmin import risk as risk_lib
    from critmin.query import check_years
    from critmin.risk import charts
    from critmin.risk._common import store_tables

    if year is not None:  # a year no dataset holds fails before any method runs (and warns)
        tables = store_tables()
        held = {*tables["usgs_mcs"]["year"], *tables["wmd_production"]["year"], *tables["baci_trade"]["year"]}
        check_years(year, held, "years of production and trade data")

    with reported_warnings(quiet, verbose):
        if method is Method.eu:
            years = None if year is None else (year - 4, year)
            out = risk_lib.eu_criticality(years=years, wgi_proxies=_proxies(wgi_proxy))
            out = out.sort_values("sr", ascending=False, na_position="last").reset_index(drop=True)
            columns, label, value = TABLE_COLUMNS["eu_table"], "material", "sr"
            figure = None
            if chart is not None:
                pts = out.assign(series="critmin (embedded data)")[["material", "sr", "ei", "series"]]
                if published:
                    pub = out.assign(
                        series="EU 2023 published", sr=out["sr_published"], ei=out["ei_published"]
                    )
                    pts = pd.concat([pts, pub[["material", "sr", "ei", "series"]]], ignore_index=True)
                figure = charts.criticality_matrix(pts, "Criticality matrix: EU method (SR ≥ 1.0, EI ≥ 2.8)")
        elif method is Method.hhi:
            out = risk_lib.concentration(source=source.value)
            check_years(year, out["year"].unique(), f"years of {source.value} concentration")
            latest = out.groupby(["commodity", "product", "stage"], dropna=False)["year"].transform("max")
            out = out[out["year"] == (year if year is not None else latest)]
            out = out.sort_values("hhi", ascending=False, na_position="last").reset_index(drop=True)
            columns, label, value = TABLE_COLUMNS["hhi"], "commodity", "hhi"
            figure = None
        elif method is Method.geopolrisk:
            importer = country or "EU27"
            out = risk_lib.geopolrisk(None, importer, year)
            if year is None:
                with_hhi = out[out["hhi"].notna()]
                out = out[out["year"] == with_hhi["year"].max()] if len(with_hhi) else out
            out = out.sort_values("geopolrisk", ascending=False, na_position="last").reset_index(drop=True)
            columns, label, value = TABLE_COLUMNS["geopolrisk"], "material", "geopolrisk"
            figure = None
        else:
            importer = country or "USA"
            check_years(year, store_tables()["usgs_mcs"]["year"].unique(), "years of USGS MCS production")
            frames = []
            for cid in sorted(store_tables()["usgs_mcs"]["commodity"].dropna().unique()):
                try:
                    frames.append(risk_lib.usgs_supply_risk(cid, importer, year))
                except (risk_lib.MissingInputError, LookupError) as exc:
                    message = f"{cid} skipped: {exc}"
                    warnings.warn(
                        risk_lib.MissingInputWarning(message, "commodities skipped", f"{cid} ({exc})"),
                        stacklevel=1,
                    )
            out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
            if not out.empty:
                out = out.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)
            columns, label, value = TABLE_COLUMNS["usgs"], "commodity", "value"
            figure = None
    if out.empty:
        raise fail(f"{method.value}: nothing to rank")
    if chart is not None:
        if figure is None:
            titles = {"hhi": "HHI (0–1)", "geopolrisk": "GeoPolRisk score", "usgs": "DP × TE"}
            figure = charts.ranking_chart(
                out, label, value, f"Ranking by {method.value}", titles[method.value]
            )
        path = charts.save_chart(figure, chart)
        err_console.print(f"chart written to {path}")
    _show(out, fmt, columns, f"ranking by {method.value}: {len(out)} row(s)", wide)


def register(app: typer.Typer) -> None:
    """Add the ``risk`` command group to the main app."""
    app.add_typer(risk_app, name="risk")
