"""The methods side by side for one commodity: the "Risk" section of the brief, as one tidy table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from critmin.risk._common import MissingInputError, as_list

__all__ = ["SUMMARY_COLUMNS", "summary"]

SUMMARY_COLUMNS = [
    "method", "metric", "commodity", "country", "year", "stage", "value", "scale", "inputs", "notes",
    "source",
]  # fmt: skip
DEFAULT_IMPORTERS = ("EU27", "USA", "JPN")


def _run(label: str, fn: Callable[[], list[dict[str, Any]]], what: str = "") -> list[dict[str, Any]]:
    """Run one section; a missing input becomes a row that says so.

    Each row keeps the notes its method gave it, which speak of that row only; the methods' warnings pass
    through to the caller unchanged (recording them here would tie every note to every row, and would also
    catch other threads' warnings, since the warnings filters are process-wide).
    """
    from critmin.query import NoDataError

    try:
        return fn()
    except (MissingInputError, NoDataError) as exc:
        metric = f"{what or label}: not computed"
        return [{"method": label, "metric": metric, "value": np.nan, "notes": f"not computed: {exc}"}]


def _top(shares: Any, n: int = 3) -> str:
    if not isinstance(shares, dict):
        return ""
    return ", ".join(f"{k} {v:.0%}" for k, v in list(shares.items())[:n])


def summary(
    commodity: str,
    country: str | Sequence[str] | None = None,
    year: int | None = None,
    edition: int | None = None,
) -> pd.DataFrame:
    """Every method for ``commodity`` in one table, with its main inputs, for the brief's "Risk" section.

    Rows: concentration (HHI, CR1, from USGS MCS, World Mining Data and BACI exports), EU supply risk per
    stage (bottleneck flagged) with the EU 2023 published SR and EI, GeoPolRisk score and characterisation
    factor for each importer (default EU27, USA, JPN), and the USGS-style DP × TE for each importer.
    ``year`` defaults to each source's latest; ``edition`` is the USGS MCS edition for the USGS-based rows
    (default: newest). A method that cannot be computed gives a row saying why.
    Columns: method, metric, commodity, country, year, stage, value, scale, inputs, notes, source.
    """
    from critmin import vocab
    from critmin.risk.concentration import concentration
    from critmin.risk.eu import eu_supply_risk, published_eu2023
    from critmin.risk.geopolrisk import geopolrisk
    from critmin.risk.usgs import usgs_supply_risk

    cid = vocab.resolve_commodity(commodity)
    importers = [str(c) for c in as_list(country) or DEFAULT_IMPORTERS]
    rows: list[dict[str, Any]] = []

    def conc(source: str) -> Callable[[], list[dict[str, Any]]]:
        def run() -> list[dict[str, Any]]:
            df = concentration(cid, source=source, edition=edition if source == "usgs" else None)  # type: ignore[arg-type]
            if year is not None:
                df = df[df["year"] == year]
            df = df[df["year"] == df["year"].max()] if year is None else df
            out = []
            for r in df.to_dict("records"):
                label = {"usgs": "USGS MCS", "wmd": "World Mining Data", "trade": "BACI exports"}[source]
                ed = f" {r['edition']}" if source == "usgs" and not pd.isna(r["edition"]) else ""
                prod = f", {r['product']}" if r["product"] and source != "trade" else ""
                for metric, val, scale in (
                    ("HHI", r["hhi"], "0–1"),
                    ("CR1", r["cr1"], "share 0–1"),
                ):
                    out.append(
                        {
                            "method": "concentration",
                            "metric": f"{metric} ({label}{ed}{prod})",
                            "year": r["year"],
                            "stage": r["stage"],
                            "value": val,
                            "scale": scale,
                            "inputs": f"top producers: {_top(r['shares'])}; n = {r['n_producers']}",
                            "notes": r["notes"],
                            "source": r["source"],
                        }
                    )
            return out

        return run

    names = {"usgs": "HHI (USGS MCS)", "wmd": "HHI (World Mining Data)", "trade": "HHI (BACI exports)"}
    for src in ("usgs", "wmd", "trade"):
        rows += _run("concentration", conc(src), names[src])

    def eu() -> list[dict[str, Any]]:
        df = eu_supply_risk(cid)
        pub = published_eu2023().set_index("material")
        out = []
        for material, part in df.groupby("material", sort=True):
            top = part[part["bottleneck"]]
            r = (top if not top.empty else part).iloc[0]
            stages = "; ".join(
                f"{p['stage']} {p['sr']:.2f} ({p['supply_basis']})" for p in part.to_dict("records")
            )
            published = ""
            if material in pub.index:
                p_sr, p_ei = pub["sr"].get(material), pub["ei"].get(material)
                published = f"; EU 2023 published SR {p_sr:g}, EI {p_ei:g}"
            out.append(
                {
                    "method": "eu",
                    "metric": f"SR {material} (bottleneck stage)",
                    "year": r["year"],
                    "stage": r["stage"],
                    "value": r["sr"] if not top.empty else np.nan,
                    "scale": "SR (critical ≥ 1.0)",
                    "inputs": (
                        f"stages: {stages}; HHI_WGI,t GS {r['hhi_wgi_t_gs']:.2f}, EU {r['hhi_wgi_t_eu']:.2f}; "
                        f"IR {r['import_reliance']:.2f}; EoL-RIR {r['eol_rir']:.2f}; SI_SR {r['si_sr']:.2f}; "
                        f"years {r['years']}; GS: {_top(r['gs_shares'])}{published}"
                    ),
                    "notes": r["notes"],
                    "source": r["source"],
                }
            )
        return out

    rows += _run("eu", eu, "EU supply risk")

    def gpr() -> list[dict[str, Any]]:
        df = geopolrisk(cid, importers, year=year if year is not None else None)
        df = df[df["hhi"].notna()]
        if df.empty:
            raise MissingInputError("no year with both trade and world production")
        if year is None:
            df = df[df["year"] == df["year"].max()]
        out = []
        for r in df.to_dict("records"):
            for metric, val, scale in (
                (f"GeoPolRisk score ({r['material']})", r["geopolrisk"], "0–1"),
                (f"GeoPolRisk CF ({r['material']})", r["cf"], "eq. kg Cu/kg"),
            ):
                out.append(
                    {
                        "method": "geopolrisk",
                        "metric": metric,
                        "country": r["country"],
                        "year": r["year"],
                        "stage": r["stage"],
                        "value": val,
                        "scale": scale,
                        "inputs": (
                            f"HHI {r['hhi']:.3f}; imports {r['imports_t']:,.0f} t; domestic "
                            f"{r['domestic_production_t']:,.0f} t; import risk {r['import_risk']:.3f}; top "
                            f"supplier {r['top_supplier']} ({r['top_supplier_share']:.0%})"
                        ),
                        "notes": r["notes"],
                        "source": r["source"],
                    }
                )
        return out

    rows += _run("geopolrisk", gpr, "GeoPolRisk")

    def usgs() -> list[dict[str, Any]]:
        countries = [c for c in importers if c.upper() not in ("EU27", "EU")]
        if not countries:
            return []
        df = usgs_supply_risk(cid, countries, year=year, edition=edition)
        out = []
        for r in df.to_dict("records"):
            out.append(
                {
                    "method": "usgs",
                    "metric": "DP × TE (USGS-style; EV not available)",
                    "country": r["country"],
                    "year": r["year"],
                    "stage": r["stage"],
                    "value": r["dp_x_te"],
                    "scale": "0–1",
                    "inputs": (
                        f"DP {r['disruption_potential']:.3f}; NIR {r['net_import_reliance']:.2f}; "
                        f"TE {r['trade_exposure']:.2f}"
                    ),
                    "notes": "; ".join(n for n in (r["notes"], r["approximations"]) if n),
                    "source": r["source"],
                }
            )
        return out

    rows += _run("usgs", usgs, "USGS-style DP × TE")
    out = pd.DataFrame(rows)
    for col in SUMMARY_COLUMNS:
        if col not in out.columns:
            out[col] = pd.NA
    out["commodity"] = cid
    out["year"] = out["year"].astype("Int64")
    for col in ("inputs", "notes", "source", "scale", "stage"):
        out[col] = out[col].fillna("")
    return out[SUMMARY_COLUMNS]
