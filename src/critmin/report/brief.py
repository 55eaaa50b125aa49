"""The commodity brief: one self-contained, offline HTML page (``critmin brief rare-earths``).

:func:`build_brief` gathers the data through the public data API (:mod:`critmin.query`) and builds the
charts (:mod:`critmin.report.charts`) without any I/O of its own; :func:`write_brief` renders the
Jinja2 template with the Vega, Vega-Lite and Vega-Embed JavaScript inlined (from vl-convert, no CDN)
and optionally saves every chart as PNG.

Sections: at a glance, reserves, production and trend, stage shares, trade, export controls, risk,
sources. A section without data stays in the page and says so.

Risk hook: if :mod:`critmin.risk` provides ``summary(commodity, **kwargs)``, its result is shown in
the Risk section. The function is called with the keyword arguments it accepts among ``edition``,
``as_of``, ``importer`` and ``year``; it may return a DataFrame (shown as a table), or an object or
dict with ``table`` (DataFrame), optional ``chart`` (Altair chart), ``notes`` (list of str) and
``source`` (str).
"""

from __future__ import annotations

import datetime as dt
import html
import importlib
import inspect
import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from critmin.report import charts

log = logging.getLogger(__name__)

#: first USGS edition tried when the data API cannot list the editions it holds
_FIRST_EDITION = 2020
#: number of exporters/importers shown in the trade charts
TOP_TRADERS = 10

_DATASET_LABELS = {
    "usgs_mcs": "USGS Mineral Commodity Summaries",
    "wmd": "World Mining Data",
    "wmd_production": "World Mining Data",
    "baci": "CEPII BACI",
    "baci_trade": "CEPII BACI",
}


# --------------------------------------------------------------------------------------------------
# the brief's content model
# --------------------------------------------------------------------------------------------------
@dataclass
class Figure:
    """One chart of the brief with its caption and the full source strings of the rows it shows."""

    name: str
    chart: Any
    caption: str
    sources: list[str] = field(default_factory=list)

    def spec(self, validate: bool = False) -> dict[str, Any]:
        """The Vega-Lite specification (JSON-able dict).

        Schema validation costs about 0.1 s per chart, so it is off when writing the page; the tests
        validate every chart of the brief (``validate=True``).
        """
        spec: dict[str, Any] = self.chart.to_dict(validate=validate)
        return spec


@dataclass
class Table:
    """A small HTML table: header, rows of already formatted cells, optional caption and source."""

    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    source: str = ""
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    #: CSS class per column ("nowrap", "narrow", "wide", "num"); missing entries get none
    classes: list[str] = field(default_factory=list)
    #: narrow tables are not stretched to the page width
    compact: bool = False
    #: full source strings of the rows, listed under the table
    sources: list[str] = field(default_factory=list)
    #: a heading; a titled table is collapsible (and starts closed when ``collapsed``)
    title: str = ""
    collapsed: bool = False

    def css(self, column: int) -> str:
        """The CSS class of ``column`` ("" if none)."""
        return self.classes[column] if column < len(self.classes) else ""


@dataclass
class Section:
    """A titled section; ``empty`` is the message shown when there is no data for it."""

    id: str
    title: str
    intro: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    empty: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Fact:
    """A headline number for the "at a glance" strip."""

    label: str
    value: str
    detail: str


@dataclass
class Brief:
    """Everything the page shows, built by :func:`build_brief` and written by :func:`write_brief`."""

    commodity_id: str
    commodity_name: str
    title: str
    edition: int | None
    as_of: dt.date
    importer: str
    importer_name: str
    generated: dt.datetime
    sections: list[Section]
    facts: list[Fact] = field(default_factory=list)
    #: a notice shown under the title (e.g. where to find the figures of a group member)
    notice: str = ""

    @property
    def figures(self) -> list[Figure]:
        """All figures of all sections, in page order."""
        return [f for s in self.sections for f in s.figures]


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------
def _country(iso3: Any, fallback: Any = None) -> str:
    """Display name for an ISO3 code (via critmin.vocab), else the source's own spelling."""
    from critmin import vocab

    if isinstance(iso3, str) and iso3:
        try:
            return vocab.country_name(iso3)
        except Exception:  # a code the converter does not know: keep the source's name
            pass
    return str(fallback) if isinstance(fallback, str) and fallback else str(iso3 or "?")


def _with_names(df: pd.DataFrame) -> pd.DataFrame:
    """Replace the source's country spelling by the vocabulary name (``Burma`` → ``Myanmar``)."""
    out = df.copy()
    out["country"] = [
        ("Other countries" if not isinstance(i, str) or not i else _country(i, c))
        for i, c in zip(out["iso3"], out["country"], strict=True)
    ]
    return out


def _unique_sources(*frames: pd.DataFrame) -> list[str]:
    out: list[str] = []
    for frame in frames:
        if "source" in frame:
            out.extend(str(s) for s in frame["source"].dropna().unique() if str(s) not in out)
    return out


def _usgs_label(edition: Any) -> str:
    return f"USGS Mineral Commodity Summaries {int(edition)}"


def _usgs_short(edition: Any) -> str:
    return f"USGS MCS {int(edition)}"


def _pct(x: float | None, digits: int = 0) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{x:.{digits}f}%"


def _empty(df: pd.DataFrame | None, column: str = "value") -> bool:
    return df is None or len(df) == 0 or (column in df and df[column].notna().sum() == 0)


def _call(fn: Callable[..., pd.DataFrame], *args: Any, **kwargs: Any) -> pd.DataFrame:
    """Call a data-API function; "no such data" errors (LookupError/ValueError/KeyError) give an empty frame.

    Only these exception types are turned into an empty result (the API raises them for an edition or a
    commodity it has no rows for); anything else propagates.
    """
    try:
        result = fn(*args, **kwargs)
    except (LookupError, ValueError) as exc:
        log.debug("no data from %s%s: %s", getattr(fn, "__name__", fn), args, exc)
        return pd.DataFrame()
    return result if isinstance(result, pd.DataFrame) else pd.DataFrame(result)


def _stage_what(df: pd.DataFrame) -> str:
    """What a USGS production table measures ("Mine production", "Refinery production", …)."""
    product = next((str(p) for p in df.get("product", pd.Series(dtype=str)).dropna() if str(p).strip()), "")
    stage = next((str(s) for s in df.get("stage", pd.Series(dtype=str)).dropna()), "mining")
    if product:
        text = product[0].upper() + product[1:]
        return text if "production" in text.lower() else f"{text} production"
    return "Mine production" if stage == "mining" else f"{charts.STAGE_NAMES.get(stage, stage)} production"


def _hhi(shares_pct: Iterable[float], complete: bool) -> float:
    """HHI on the 0-10,000 scale of percentage shares of world output.

    When the shares cover the whole stage (``complete``) this is ``critmin.risk.hhi(..., scale="points")``,
    the project's published-method implementation. When a source lists only the largest countries,
    ``critmin.risk.hhi`` would renormalise the listed shares to 100 % and overstate the index, so the
    brief uses ``Σ s²`` of the shares as published, a lower bound (:func:`charts.hhi`).
    """
    values = [float(s) for s in shares_pct if s is not None and not pd.isna(s)]
    if complete and values:
        try:
            from critmin.risk import hhi as risk_hhi
        except ImportError:
            return charts.hhi(values)
        return float(risk_hhi(values, scale="points"))
    return charts.hhi(values)


# --------------------------------------------------------------------------------------------------
# sections
# --------------------------------------------------------------------------------------------------
def _reserves_section(api: Any, cid: str, name: str, edition: int | None, facts: list[Fact]) -> Section:
    sec = Section("reserves", "Reserves")
    df = _call(api.reserves, cid, edition=edition)
    if _empty(df):
        which = f" in MCS {edition}" if edition else ""
        sec.empty = f"No USGS reserves data for {name.lower()}{which}."
        if not df.empty and "note" in df:
            notes = [str(n) for n in df["note"].dropna().unique() if str(n).strip()][:3]
            sec.notes.extend(notes)
        return sec
    df = _with_names(df.dropna(subset=["value"]))
    ed = int(df["edition"].dropna().iloc[0]) if "edition" in df and df["edition"].notna().any() else edition
    label = _usgs_label(ed) if ed else "USGS Mineral Commodity Summaries"
    unit = str(df["unit"].dropna().iloc[0])
    world = df.loc[df["iso3"] == "WLD", "value"]
    countries = df[(df["iso3"] != "WLD") & df["iso3"].notna()].sort_values("value", ascending=False)
    fmt = charts.quantity_formatter(df["value"], unit)
    sec.figures.append(
        Figure(
            "reserves",
            charts.reserves_chart(df, commodity_name=name, source_label=label),
            f"Reserves by country as published in {label} (economically extractable reserves, not resources).",
            _unique_sources(df),
        )
    )
    sites = _call(api.sites, cid, collapse=True) if callable(getattr(api, "sites", None)) else pd.DataFrame()
    site_sources = _site_datasets(sites)
    sec.figures.append(
        Figure(
            "reserves-map",
            charts.world_map_chart(
                df,
                sites,
                commodity_name=name,
                what="Reserves",
                source_label=label,
                sites_label=_sites_label(site_sources),
            ),
            "Reserves by country on the map, with the located mines, deposits and plants of the sites layer "
            "(one point per physical site; hover for name, type and status).",
            [*_unique_sources(df), *site_sources],
        )
    )
    if len(world) and len(countries):
        top = countries.iloc[0]
        share = 100 * float(top["value"]) / float(world.iloc[0])
        sec.intro.append(
            f"World reserves are {fmt(float(world.iloc[0]))}; {top['country']} holds {fmt(float(top['value']))}"
            f" ({share:.0f}% of the world total)."
        )
        china = countries[countries["iso3"] == charts.CHINA]
        if len(china):
            facts.append(
                Fact(
                    "China's share of reserves",
                    _pct(100 * float(china["value"].iloc[0]) / float(world.iloc[0])),
                    f"{fmt(float(china['value'].iloc[0]))} of {fmt(float(world.iloc[0]))} · {_usgs_short(ed)}",
                )
            )
    usgs_notes = df["note"].dropna().astype(str) if "note" in df else pd.Series(dtype=str)
    if usgs_notes.str.contains("lower bound").any():
        sec.notes.append("Some figures are lower bounds (USGS prints them with '>').")
    return sec


def _sites_label(datasets: list[str]) -> str:
    """The sites' sources in a few words for a chart subtitle (the full list is under the chart)."""
    usgs = [d for d in datasets if d.startswith("USGS")]
    parts = [f"USGS ({len(usgs)} data release{'s' if len(usgs) != 1 else ''})"] if usgs else []
    if len(usgs) < len(datasets):
        parts.append("critmin's curated rows with their sources")
    return " and ".join(parts) or "none in the store"


def _site_datasets(sites: pd.DataFrame) -> list[str]:
    """The datasets behind the sites shown: each USGS release once, the curated rows as one entry."""
    if sites.empty or "source" not in sites:
        return []
    out: list[str] = []
    for text in sites["source"].dropna().astype(str):
        key, _, rest = text.partition(": ")
        label = (
            "critmin curated supply-chain sites (each row cites its sources)"
            if key == "curated"
            else re.split(r"; |, layer |, row ", rest or text)[0]
        )
        label += ")" * (label.count("(") - label.count(")"))  # a citation cut inside its parentheses
        if label not in out:
            out.append(label)
    return out


def _editions(api: Any, cid: str, last: int, current: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """USGS production per edition, oldest first (each edition separately; editions are never mixed).

    Uses ``api.usgs_editions`` when the API has it (else tries every edition up to ``last + 1``) and
    reuses ``current`` (the edition already fetched) instead of querying it again.
    """
    lister = getattr(api, "usgs_editions", None)
    try:
        editions = sorted(int(e) for e in lister(cid)) if callable(lister) else None
    except (LookupError, ValueError):
        editions = None
    if editions is None:
        editions = list(range(_FIRST_EDITION, last + 2))
    have = int(current["edition"].dropna().iloc[0]) if not _empty(current) else None
    out: dict[int, pd.DataFrame] = {}
    for ed in editions:
        df = current if ed == have else _call(api.production, cid, edition=ed)
        if not _empty(df) and "edition" in df and (df["edition"].astype(int) == ed).all():
            out[ed] = df
    return out


def _convert(values: pd.Series, unit_from: str, unit_to: str) -> pd.Series | None:
    """Convert between tonnage units (t, kt, kg, ``metr. t``); ``None`` when they are not comparable."""
    f_from, suffix_from = charts._split_unit(unit_from)
    f_to, suffix_to = charts._split_unit(unit_to)
    if f_from is None or f_to is None or (suffix_from and suffix_to and suffix_from != suffix_to):
        return None
    return values * (f_from / f_to)


def _production_section(
    api: Any, cid: str, name: str, edition: int | None, as_of: dt.date, facts: list[Fact]
) -> Section:
    sec = Section("production", "Production and trend")
    current = _call(api.production, cid, edition=edition)
    wmd = _call(api.production, cid, source="wmd")
    if _empty(current) and _empty(wmd):
        sec.empty = f"No production data (USGS or World Mining Data) for {name.lower()}."
        return sec
    wmd_stage = str(wmd["stage"].dropna().iloc[0]) if "stage" in wmd and wmd["stage"].notna().any() else ""
    what = "Mine production" if wmd_stage in ("", "mining") else "Production"
    unit = ""
    if _empty(current):
        sec.notes.append(
            f"No USGS production figures for {name.lower()}" + (f" in MCS {edition}." if edition else ".")
        )
        if not current.empty and "note" in current:
            sec.notes.extend(str(n) for n in current["note"].dropna().unique()[:2] if str(n).strip())
    else:
        current = _with_names(current)
        ed = int(current["edition"].dropna().iloc[0])
        sec.meta["edition"] = ed
        what = _stage_what(current)
        unit = str(current["unit"].dropna().iloc[0])
        latest = int(current.dropna(subset=["value"])["year"].max())
        label = _usgs_label(ed)
        sec.figures.append(
            Figure(
                "production",
                charts.production_bar_chart(current, commodity_name=name, source_label=label, what=what),
                f"{what} by country in {latest} (bars) and {latest - 1} (ticks), {label}. Shares are of the"
                " USGS world total; 'est.' marks USGS estimates when only some values are estimated.",
                _unique_sources(current),
            )
        )
        now = current[(current["year"] == latest)].dropna(subset=["value"])
        world = now.loc[now["iso3"] == "WLD", "value"]
        countries = now[(now["iso3"] != "WLD") & now["iso3"].notna()].sort_values("value", ascending=False)
        fmt = charts.quantity_formatter(now["value"], unit)
        if len(world) and len(countries):
            top3 = countries.head(3)
            parts = ", ".join(
                f"{c} {charts.share_text(float(v) / float(world.iloc[0]))}"
                for c, v in zip(top3["country"], top3["value"], strict=True)
            )
            sec.intro.append(
                f"{what} in {latest}: {fmt(float(world.iloc[0]))} worldwide ({label}). Largest producers: {parts}."
            )
            china = countries[countries["iso3"] == charts.CHINA]
            if len(china):
                facts.append(
                    Fact(
                        f"China's share of {what.lower()}",
                        _pct(100 * float(china["value"].iloc[0]) / float(world.iloc[0])),
                        f"{latest} · {fmt(float(china['value'].iloc[0]))} of {fmt(float(world.iloc[0]))} ·"
                        f" {_usgs_short(ed)}",
                    )
                )
        flags = (
            current["estimated"].astype("boolean").fillna(False).astype(bool)
            if "estimated" in current
            else None
        )
        if flags is not None and flags.any():
            years_est = sorted({int(y) for y in current.loc[flags, "year"]})
            sec.notes.append(
                f"{label} marks {int(flags.sum())} of its {len(current)} values for these years as estimates"
                f" (years: {', '.join(map(str, years_est))})."
            )
    trend = _trend_frame(api, cid, edition, as_of, current, wmd, unit, sec)
    if trend is not None and len(trend):
        srcs = list(dict.fromkeys(trend["source_label"]))
        sec.figures.append(
            Figure(
                "production-trend",
                charts.production_trend_chart(trend, commodity_name=name, what=what),
                "Production of the largest producers over time, one line per source: each USGS edition (which"
                " revises the previous year) and World Mining Data 2018–2024. Sources: "
                + ", ".join(srcs)
                + ".",
                list(dict.fromkeys(trend["source"].dropna())),
            )
        )
    return sec


def _trend_frame(
    api: Any,
    cid: str,
    edition: int | None,
    as_of: dt.date,
    current: pd.DataFrame,
    wmd: pd.DataFrame,
    unit: str,
    sec: Section,
) -> pd.DataFrame | None:
    """Rows (panel, year, value, unit, source_label, source) for the trend small multiples."""
    frames: list[pd.DataFrame] = []
    last = max(as_of.year, int(edition or 0))
    for ed, df in _editions(api, cid, last, current).items():
        df = _with_names(df.dropna(subset=["value"]))
        if unit and str(df["unit"].dropna().iloc[0]) != unit:
            converted = _convert(df["value"], str(df["unit"].dropna().iloc[0]), unit)
            if converted is None:
                sec.notes.append(
                    f"MCS {ed} is in {df['unit'].iloc[0]}, not comparable with {unit}; not drawn."
                )
                continue
            df = df.assign(value=converted)
        frames.append(df.assign(source_label=_usgs_short(ed)))
        unit = unit or str(df["unit"].dropna().iloc[0])
    if not _empty(wmd):
        w = _with_names(wmd.dropna(subset=["value"]))
        w_unit = str(w["unit"].dropna().iloc[0]).replace("metr. t", "t")
        converted = _convert(w["value"], w_unit, unit) if unit else w["value"]
        if converted is None:
            sec.notes.append(f"World Mining Data is in {w_unit}, not comparable with USGS {unit}; not drawn.")
        else:
            w = w.assign(value=converted, unit=unit or w_unit, source_label="World Mining Data")
            world = w.groupby("year", as_index=False)["value"].sum()
            world = world.assign(
                iso3="WLD",
                country="World",
                unit=unit or w_unit,
                source_label="World Mining Data",
                source="World Mining Data (sum of the countries listed)",
            )
            frames.extend([w, world])
            unit = unit or w_unit
    if not frames:
        return None
    allrows = pd.concat([f.dropna(axis=1, how="all") for f in frames], ignore_index=True)
    allrows = allrows[allrows["iso3"].notna()]
    # panels: the five largest producers of the newest data, then the world
    rank_src = current.dropna(subset=["value"]) if not _empty(current) else allrows
    newest = rank_src[rank_src["year"] == rank_src["year"].max()]
    top = (
        newest[(newest["iso3"] != "WLD") & newest["iso3"].notna()]
        .sort_values("value", ascending=False)["iso3"]
        .head(5)
        .tolist()
    )
    keep = [*top, "WLD"]
    allrows = allrows[allrows["iso3"].isin(keep)].copy()
    allrows["panel"] = allrows["iso3"].map(lambda i: "World" if i == "WLD" else _country(i))
    order = {("World" if i == "WLD" else _country(i)): k for k, i in enumerate(keep)}
    allrows["k"] = allrows["panel"].map(order)
    allrows["unit"] = unit
    allrows = allrows.sort_values(["k", "source_label", "year"])
    return allrows[["panel", "year", "value", "unit", "source_label", "source"]]


def select_stage_shares(shares: pd.DataFrame, max_year: int) -> tuple[pd.DataFrame, list[str]]:
    """Pick, per stage, the latest year (≤ ``max_year``, projections excluded) of one source.

    Rows of one source share a ``stage_detail`` and a publication (:func:`charts.short_source` of the
    ``source`` text, which may differ row by row). Within the latest year the source with the largest
    coverage is used; the other same-year figures are returned as notes so nothing is hidden.
    """
    if shares.empty:
        return shares, []
    df = shares.copy()
    df["year"] = pd.to_numeric(df["year"], errors="coerce")
    df["stage_detail"] = df["stage_detail"].fillna("") if "stage_detail" in df else ""
    df["publication"] = [charts.short_source(str(s)) for s in df["source"]]
    df = df[(df["year"] <= max_year) & ~df["stage_detail"].str.contains("projection", case=False)]
    picked: list[pd.DataFrame] = []
    notes: list[str] = []
    order = {s: i for i, s in enumerate(charts.STAGE_ORDER)}
    for stage in sorted(df["stage"].unique(), key=lambda s: order.get(str(s), len(order))):
        grp = df[df["stage"] == stage]
        year = grp["year"].max()
        cands = grp[grp["year"] == year]
        groups = sorted(
            ((key, rows) for key, rows in cands.groupby(["stage_detail", "publication"], sort=False)),
            key=lambda kv: (-float(kv[1]["share_pct"].sum()), -len(kv[1])),
        )
        picked.append(groups[0][1])
        for (detail, publication), other in groups[1:]:
            china = other.loc[other["iso3"] == charts.CHINA, "share_pct"]
            figure = f"China {float(china.iloc[0]):.0f}%" if len(china) else f"{len(other)} country shares"
            notes.append(
                f"{charts.STAGE_NAMES.get(str(stage), str(stage))} {int(year)}: another source gives {figure}"
                f" ({detail}; {publication})."
            )
    out = pd.concat(picked, ignore_index=True) if picked else df.iloc[0:0]
    return out.drop(columns=["publication"]), notes


def _stages_section(api: Any, cid: str, name: str, as_of: dt.date, facts: list[Fact]) -> Section:
    sec = Section("stages", "Shares by stage")
    raw = _call(api.stage_shares, cid)
    chosen, notes = select_stage_shares(raw, as_of.year)
    if _empty(chosen, "share_pct"):
        sec.empty = f"No stage-share data for {name.lower()}."
        return sec
    chosen = _with_names(chosen)
    conc = charts.concentration(chosen)
    stats: list[dict[Any, Any]] = conc.to_dict("records")
    labels: dict[str, str] = {}
    rows: list[list[str]] = []
    for st in stats:
        stage = str(st["stage"])
        part = chosen[chosen["stage"] == stage]
        first = part.iloc[0]
        year, detail, source = int(first["year"]), str(first["stage_detail"] or ""), str(first["source"])
        bound = bool(st["hhi_lower_bound"])
        named = part.loc[part["iso3"].notna(), "share_pct"]
        # complete: countries only (no residual row) covering the stage up to rounding
        value = _hhi(named, complete=len(named) == len(part) and float(named.sum()) >= 99.5)
        labels[stage] = (
            f"{charts.STAGE_NAMES.get(stage, stage)} · {year} · HHI {'≥' if bound else ''}{value:,.0f}"
        )
        rows.append(
            [
                charts.STAGE_NAMES.get(stage, stage),
                detail,
                str(year),
                f"{st['top1_country']} {_pct(st['top1_pct'])}" if st["top1_country"] else "n/a",
                _pct(st["top3_pct"]) + (" (≥)" if bound else ""),
                ("≥ " if bound else "") + f"{value:,.0f}",
                _pct(st["coverage_pct"]),
                charts.short_source(source),
            ]
        )
    chosen["stage_label"] = chosen["stage"].map(labels)
    chosen["source_label"] = [charts.short_source(str(s)) for s in chosen["source"]]
    sec.figures.append(
        Figure(
            "stage-shares",
            charts.stage_shares_chart(chosen, commodity_name=name),
            "Country shares of world output at each stage of the supply chain, latest year per stage, one"
            " source per stage (named in the table). China in red; grey = not attributed by the source.",
            _unique_sources(chosen),
        )
    )
    sec.tables.append(
        Table(
            ["Stage", "As published", "Year", "Top-1", "Top-3", "HHI (0–10,000)", "Listed share", "Source"],
            rows,
            caption="Concentration per stage. HHI = Σ share² with shares in percent (10,000 = one country); "
            "'≥' marks a lower bound where the source lists only the largest countries. Residual 'Other' rows "
            "are not countries and are left out of HHI and top-k.",
        )
    )
    sec.notes.extend(notes)
    china_rows = chosen[chosen["iso3"] == charts.CHINA]
    for stage in ("refining", "magnet"):
        hit = china_rows[china_rows["stage"] == stage]
        if len(hit):
            facts.append(
                Fact(
                    f"China's share of {charts.STAGE_NAMES[stage].lower()}",
                    _pct(float(hit["share_pct"].iloc[0])),
                    f"{int(hit['year'].iloc[0])} · {charts.short_source(str(hit['source'].iloc[0]))}",
                )
            )
    return sec


def _hs_labels(codes: Iterable[str]) -> dict[str, str]:
    from critmin import vocab

    desc = {r["hs"]: r["description"] for r in vocab.hs_codes()}
    out = {}
    for code in codes:
        text = desc.get(code, "")
        short = text if len(text) <= 60 else text[:59].rstrip() + "…"
        out[code] = f"{code} {short}".strip()
    return out


def _trade_section(
    api: Any, cid: str, name: str, importer: str, importer_name: str, as_of: dt.date, facts: list[Fact]
) -> Section:
    from critmin import vocab

    sec = Section("trade", "Trade")
    codes = vocab.hs_for(cid)
    if not codes:
        sec.empty = (
            f"No HS92 code isolates {name.lower()} in CEPII BACI, so there are no trade figures for it."
        )
        if cid == "gallium":
            sec.empty += " (Gallium is traded inside HS 8112.91/8112.99 together with other metals.)"
        return sec
    df = _call(api.trade, commodity=cid)
    if _empty(df, "value_kusd"):
        sec.empty = f"No BACI trade data for {name.lower()} (HS {', '.join(codes)})."
        return sec
    year = int(df["year"].max())
    edition = str(df["edition"].dropna().iloc[0]) if "edition" in df and df["edition"].notna().any() else ""
    label = f"CEPII BACI HS92 {edition}".strip()
    labels = _hs_labels(sorted(df["hs"].unique()))
    now = df[df["year"] == year]
    total = float(now["value_kusd"].sum())
    sec.intro.append(
        f"World trade in HS {', '.join(sorted(df['hs'].unique()))} was {charts.format_usd_kusd(total)} in"
        f" {year}, the latest year with data ({label}; values FOB as reconciled by BACI)."
    )
    if year < as_of.year - 3:
        sec.notes.append(
            f"BACI records no trade in HS {', '.join(labels)} after {year}: these figures do not describe"
            " current trade."
        )
    for side in ("exporter", "importer"):
        agg = now.groupby([side, "hs"])["value_kusd"].sum().reset_index()
        agg.columns = pd.Index(["iso3", "hs", "value_kusd"])
        totals = agg.groupby("iso3")["value_kusd"].sum().sort_values(ascending=False)
        agg = agg[agg["iso3"].isin(totals.index[:TOP_TRADERS])].copy()  # name only what is shown
        agg["country"] = agg["iso3"].map(_country)
        agg["hs_label"] = agg["hs"].map(labels)
        top_iso = str(totals.index[0])
        sec.intro.append(
            f"Largest {side} in {year}: {_country(top_iso)} with {charts.format_usd_kusd(float(totals.iloc[0]))}"
            f" ({100 * float(totals.iloc[0]) / total:.0f}% of world {side.replace('er', '')}s)."
        )
        sec.figures.append(
            Figure(
                f"trade-top-{side}s",
                charts.trade_top_chart(
                    agg, side=side, commodity_name=name, year=year, source_label=label, top=TOP_TRADERS
                ),
                f"The ten largest {side}s of HS {', '.join(labels)} in {year}, by value, split by product.",
                _unique_sources(now),
            )
        )
        if side == "exporter" and charts.CHINA in totals.index:
            facts.append(
                Fact(
                    "China's share of world exports",
                    _pct(100 * float(totals[charts.CHINA]) / total),
                    f"{year} · HS {', '.join(labels)} · {label}",
                )
            )
    imp = df[df["importer"] == importer]
    if imp.empty:
        sec.notes.append(f"No BACI imports of these products recorded for {importer_name}.")
        return sec
    by = imp.groupby(["year", "exporter"], as_index=False)["value_kusd"].sum()
    recent = by[by["year"] >= year - 4].groupby("exporter")["value_kusd"].sum().sort_values(ascending=False)
    keep = recent.head(6).index.tolist()
    by["partner"] = [(_country(e) if e in keep else "Other") for e in by["exporter"]]
    by["partner_iso3"] = [e if e in keep else None for e in by["exporter"]]
    shares = by.groupby(["year", "partner", "partner_iso3"], as_index=False, dropna=False)["value_kusd"].sum()
    sec.figures.append(
        Figure(
            "importer-sources",
            charts.importer_sources_chart(
                shares, importer_name=importer_name, commodity_name=name, source_label=label
            ),
            f"Suppliers of {importer_name} imports of HS {', '.join(labels)} by year, share of import value"
            " (the six largest suppliers of the last five years; the rest pooled as 'Other').",
            _unique_sources(imp),
        )
    )
    last = by[by["year"] == year].groupby("exporter")["value_kusd"].sum().sort_values(ascending=False)
    if len(last):
        tot = float(last.sum())
        rows = [
            [_country(e), charts.format_usd_kusd(float(v)), _pct(100 * float(v) / tot, 1)]
            for e, v in last.head(8).items()
        ]
        sec.tables.append(
            Table(
                ["Supplier", "Import value", "Share"],
                rows,
                classes=["", "num", "num"],
                compact=True,
                caption=f"Largest suppliers of {importer_name} imports in {year} (total {charts.format_usd_kusd(tot)}).",
                source=label,
            )
        )
        china = float(last.get(charts.CHINA, 0.0))
        facts.append(
            Fact(
                f"China's share of {importer_name} imports",
                _pct(100 * china / tot),
                f"{year} · {charts.format_usd_kusd(china)} of {charts.format_usd_kusd(tot)} · {label}",
            )
        )
    return sec


def _event_date(row: pd.Series) -> str | None:
    """Effective date, else announced date, as ``YYYY-MM-DD`` (month-only dates → first of the month)."""
    for col in ("effective_from", "effective", "announced"):
        value = row.get(col)
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        text = str(value)[:10]
        if re.fullmatch(r"\d{4}-\d{2}", text):
            text += "-01"
        elif re.fullmatch(r"\d{4}", text):
            text += "-01-01"
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return text
    return None


def _event_start(r: Any) -> str:
    """Effective date of a measure row (``effective_from``), else its announcement date, else blank."""
    for value in (getattr(r, "effective_from", None), getattr(r, "effective", None), r.announced):
        if isinstance(value, str) and value:
            return value
    return ""


def _events_table(events: pd.DataFrame, caption: str, label: str) -> Table:
    """A table of measures: date, country, measure, commodities, target, summary and a link to the source."""
    rows, links = [], {}
    for i, r in enumerate(events.itertuples(index=False)):
        rows.append(
            [
                str(_event_start(r)),
                str(r.country),
                charts.measure_label(str(r.measure)),
                str(r.commodities or "").replace(";", ", "),
                str(r.target or ""),
                str(r.summary or ""),
                "source",
            ]
        )
        if isinstance(r.source_url, str) and r.source_url.startswith("http"):
            links[(i, 6)] = r.source_url
    return Table(
        ["Effective", "Country", "Measure", "Commodities", "Target", "Summary", "Source"],
        rows,
        caption=caption,
        source=label,
        links=links,
        classes=["nowrap", "nowrap", "narrow", "narrow", "nowrap", "wide", "nowrap"],
    )


def _events_section(api: Any, cid: str, name: str, as_of: dt.date, facts: list[Fact]) -> Section:
    sec = Section("controls", "Export controls")
    df = _call(api.events, commodity=cid, provenance="critmin")
    if df.empty:
        sec.empty = f"No export controls or related measures affecting {name.lower()} in the registry."
        return sec
    label = "critmin export-control registry"
    on_day = _call(api.events, commodity=cid, as_of=as_of.isoformat(), provenance="critmin")
    status_then = on_day.get("in_force_on_as_of", pd.Series(False, index=on_day.index, dtype="boolean"))
    in_force_ids = set(on_day.loc[status_then.astype("boolean").fillna(False).astype(bool), "event_id"])
    maybe_ids = set(on_day.loc[status_then.isna(), "event_id"])
    df = df.copy()
    df["country"] = [_country(i, c) for i, c in zip(df["iso3"], df["country"], strict=True)]
    df["in_force"] = df["event_id"].isin(in_force_ids)
    df["date"] = [_event_date(row) for _, row in df.iterrows()]
    active = df[df["in_force"]].sort_values("date", ascending=False)
    maybe = df[df["event_id"].isin(maybe_ids)].sort_values("date", ascending=False)
    known = len(on_day)
    sec.intro.append(
        f"{len(active)} of the {known} measures affecting {name.lower()} that the registry knows of by"
        f" {as_of.isoformat()} are in force on that date (the registry holds {len(df)} in all, up to its"
        " latest information)."
    )
    facts.append(
        Fact(
            f"Measures in force on {as_of.isoformat()}",
            str(len(active)),
            f"of {known} announced by then · {label}",
        )
    )
    if len(active):
        sec.tables.append(
            _events_table(
                active,
                f"Measures in force on {as_of.isoformat()} (from their validity dates and the suspensions or liftings that point at them).",
                label,
            )
        )
    else:
        sec.notes.append(
            f"No measure affecting {name.lower()} is known to be in force on {as_of.isoformat()}."
        )
    if len(maybe):
        sec.tables.append(
            _events_table(
                maybe,
                f"Started by {as_of.isoformat()}, but whether they applied on that date is unknown: a date the"
                " registry needs is missing or known only to the month or year (`critmin events --as-of` gives the reason).",
                label,
            )
        )
    dated = df[df["date"].notna()]
    if len(dated) < len(df):
        sec.notes.append(f"{len(df) - len(dated)} measure(s) without a known date are not on the timeline.")
    if len(dated):
        sec.figures.append(
            Figure(
                "controls-timeline",
                charts.events_timeline_chart(
                    dated[["event_id", "date", "country", "measure", "status", "summary", "in_force"]],
                    commodity_name=name,
                    as_of=as_of.isoformat(),
                    source_label=label,
                ),
                "All measures in the registry affecting this commodity, at their effective date (else the"
                " announcement date), including those after the as-of date. Hover a dot for the summary.",
                _unique_sources(dated) or list(dict.fromkeys(str(u) for u in dated["source_url"].dropna())),
            )
        )
    return sec


_RISK_COLUMNS = {
    "method": "Method",
    "metric": "Metric",
    "country": "Importer",
    "stage": "Stage",
    "year": "Year",
    "value": "Value",
    "scale": "Scale",
    "inputs": "Inputs",
    "notes": "Notes",
}


def _risk_summary_function() -> Callable[..., Any] | None:
    """``critmin.risk.summary`` if the risk package provides it."""
    try:
        risk = importlib.import_module("critmin.risk")
    except ImportError:
        return None
    summary = getattr(risk, "summary", None)
    return summary if callable(summary) else None


def _call_risk_summary(cid: str, edition: int | None, as_of: dt.date, importer: str) -> Any:
    """Call the risk hook with the keyword arguments it accepts; an exception is returned, not raised.

    The hook belongs to another part of critmin; a failure there must not cost the user the rest of
    the brief, so it is reported in the Risk section (and logged) instead.
    """
    summary = _risk_summary_function()
    if summary is None:
        return None
    offered: dict[str, Any] = {"edition": edition, "as_of": as_of, "importer": importer}
    defaults = getattr(importlib.import_module(summary.__module__), "DEFAULT_IMPORTERS", ())
    if importer not in defaults:
        offered["country"] = [*defaults, importer] if defaults else importer
    try:
        params = inspect.signature(summary).parameters
        kwargs = {k: v for k, v in offered.items() if k in params and v is not None}
    except (TypeError, ValueError):
        kwargs = {}
    try:
        return summary(cid, **kwargs)
    except Exception as exc:  # see the docstring: shown in the page, logged with its traceback
        log.warning("critmin.risk.summary(%r) failed: %s: %s", cid, type(exc).__name__, exc)
        log.debug("traceback of the risk hook failure", exc_info=True)
        return exc


def _num(value: float) -> str:
    """A result value for a table: ``4,924``, ``14.11``, ``0.507``; NaN → ``n/a``."""
    if pd.isna(value):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _short(text: Any, limit: int = 220) -> str:
    """De-duplicate ``; ``-separated notes and cut to ``limit`` characters."""
    parts = list(dict.fromkeys(p.strip() for p in str(text or "").split(";") if p.strip()))
    joined = "; ".join(parts)
    return joined if len(joined) <= limit else joined[: limit - 1].rstrip() + "…"


_RISK_METHODS = {
    "concentration": "Concentration: HHI (0–1) and CR1",
    "eu": "EU supply risk (SR) and economic importance (EI)",
    "geopolrisk": "GeoPolRisk (importer-specific)",
    "usgs": "USGS-style supply risk",
}
#: risk tables longer than this are shown collapsed
_RISK_OPEN_ROWS = 12


def _risk_table(method: str, group: pd.DataFrame) -> Table:
    """One method's rows of the risk summary as a table (empty columns dropped)."""
    cols = [c for c in _RISK_COLUMNS if c in group.columns and c != "method"]
    cols = [c for c in cols if c in ("metric", "value") or group[c].notna().any()]
    cols = [c for c in cols if c in ("metric", "value") or group[c].astype(str).str.strip().ne("").any()]
    rows = []
    for rec in group[cols].to_dict("records"):
        cells = []
        for col in cols:
            value = rec[col]
            if col == "value":
                cells.append(_num(float(value)) if isinstance(value, int | float) else _fmt_cell(value))
            elif col in ("inputs", "notes"):
                cells.append(_short(value, 160))
            else:
                cells.append(_fmt_cell(value))
        rows.append(cells)
    classes = {"value": "num", "inputs": "mid", "notes": "mid", "year": "nowrap", "metric": "mid"}
    sources = [str(x) for x in group["source"].dropna().unique()] if "source" in group else []
    return Table(
        [_RISK_COLUMNS.get(c, str(c)) for c in cols],
        rows,
        classes=[classes.get(c, "") for c in cols],
        sources=sources,
        title=f"{_RISK_METHODS.get(method, method or 'Indicators')} ({len(rows)} row{'s' if len(rows) != 1 else ''})",
        collapsed=len(rows) > _RISK_OPEN_ROWS,
    )


def _risk_section(result: Any) -> Section:
    """The Risk section from what the hook returned (None: no hook; an exception: it failed)."""
    sec = Section("risk", "Risk")
    if result is None:
        sec.empty = "Risk indicators are not available in this version of critmin."
        return sec
    if isinstance(result, Exception):
        sec.empty = f"Risk indicators could not be computed: {type(result).__name__}: {result}"
        return sec
    notes: list[Any]
    if isinstance(result, pd.DataFrame):
        table, chart, notes = result, None, []
    else:
        table, chart, notes = _get(result, "table"), _get(result, "chart"), _get(result, "notes") or []
    if isinstance(table, pd.DataFrame) and len(table):
        sec.intro.append(
            "The published methods side by side, from critmin.risk.summary: concentration, the EU supply-risk"
            " method, GeoPolRisk and a USGS-style supply risk, each with its inputs. 'n/a' means the method"
            " cannot be computed from the embedded data (the notes say why). `critmin risk` gives every input."
        )
        groups = table.groupby("method", sort=False) if "method" in table else [("", table)]
        for method, group in groups:
            sec.tables.append(_risk_table(str(method), group))
    if chart is not None:
        source = str(_get(result, "source") or "critmin.risk")
        sec.figures.append(Figure("risk", chart, "Risk indicators side by side.", [source]))
    sec.notes.extend(str(n) for n in notes)
    if not sec.tables and not sec.figures:
        sec.empty = "No risk indicators for this commodity."
    return sec


def _whatif_section(cid: str, name: str, run: bool) -> Section:
    """The commodity's default scenario (``data/vocab/scenario_defaults.toml``), run once at median parameters:
    shortfall by importer and one sentence. ``run`` is False with a stand-in data API (scenarios read the store).
    """
    from critmin.scenario import Scenario
    from critmin.scenario.events import default_spec_path

    sec = Section("whatif", "What if")
    path = default_spec_path(cid)
    if path is None:
        sec.empty = (
            f"No default scenario for {name.lower()}: write a spec and run `critmin scenario run SPEC`."
        )
        return sec
    if not run:
        sec.empty = "The default scenario is run only against the data store."
        return sec
    from critmin.report.scenario import shortfall_totals_chart

    scenario = Scenario.from_toml(path)
    result = scenario.run(draws=0)
    first = result.flows["commodity"].iloc[0]
    short = result.shortfall[result.shortfall["commodity"] == first]
    stage = str(result.flows["stage"].iloc[0])
    rows = short[short["stage"] == stage]
    agg = rows.groupby("importer")[["unserved", "demand"]].sum().sort_values("unserved", ascending=False)
    spec = scenario.spec
    sec.intro.append(f"{spec.scenario.name}. {spec.scenario.description}".strip())
    if len(agg) and agg["unserved"].iloc[0] > 0:
        top = agg.index[0]
        unit = str(rows["unit"].iloc[0]).removesuffix(" per month")
        share = 100 * agg["unserved"].iloc[0] / agg["demand"].iloc[0]
        sec.intro.append(
            f"At median parameters {_country(top) if top != 'ROW' else 'the rest of the world'} would be short of"
            f" {charts.format_quantity(float(agg['unserved'].iloc[0]), unit)} ({share:.0f}% of its demand at the"
            f" {stage} stage) over {spec.scenario.months} months. `critmin scenario run {path.name}` gives the"
            " Monte Carlo bands, prices and flows in a report of their own."
        )
        label = "; ".join(
            str(m)
            for m, i in zip(result.notes["method"], result.notes["item"], strict=True)
            if i == "world volume"
        )
        sec.figures.append(
            Figure(
                "whatif-shortfall",
                shortfall_totals_chart(short, commodity_name=name, source_label=label),
                f"Default scenario {path.name}, deterministic run at median parameters (no bands).",
                list(dict.fromkeys(str(s) for s in result.notes["source"] if str(s).strip())),
            )
        )
    else:
        sec.empty = f"No importer runs short at median parameters in the default scenario ({path.name})."
    return sec


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def _fmt_cell(value: Any) -> str:
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return str(value)


#: store datasets behind each section of the brief
_SECTION_DATASETS = {
    "reserves": ["usgs_mcs"],
    "production": ["usgs_mcs", "wmd_production"],
    "stages": ["stage_shares"],
    "trade": ["baci_trade", "baci_countries", "hs_products"],
    "controls": ["events", "event_sources"],
}


def _sources_section(api: Any, brief_sections: list[Section]) -> Section:
    sec = Section("sources", "Sources")
    df = _call(api.sources)
    if df.empty:
        sec.empty = "The data store lists no datasets."
        return sec
    used = {d for s in brief_sections if s.figures or s.tables for d in _SECTION_DATASETS.get(s.id, [])}
    shown = df[df["name"].isin(used)] if used and df["name"].isin(used).any() else df
    rows, links = [], {}
    for i, r in enumerate(shown.to_dict("records")):
        url = str(r.get("url", "") or "")
        citation = str(r.get("citation", "") or "")
        if url and not url.startswith("http"):
            citation += f" (documentation: {url})"
        rows.append(
            [
                str(r.get("title", "")),
                str(r.get("edition", "") or ""),
                citation,
                str(r.get("licence", "") or "not stated"),
            ]
        )
        if url.startswith("http"):
            links[(i, 2)] = url
    sec.tables.append(
        Table(
            ["Dataset", "Edition", "Citation", "Licence"],
            rows,
            caption="Every dataset used in this brief, with its edition and licence (from critmin.sources()).",
            links=links,
            classes=["", "nowrap", "wide", ""],
        )
    )
    n = len({src for s in brief_sections for f in s.figures for src in f.sources})
    sec.intro.append(
        "Each chart names its source in its subtitle; the exact source strings of the rows behind each chart"
        f" ({n} distinct) are listed under it."
    )
    return sec


# --------------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------------
def build_brief(
    commodity: str = "rare-earths",
    edition: int | None = None,
    as_of: dt.date | str | None = None,
    importer: str = "USA",
    *,
    api: Any = None,
    with_risk: bool | None = None,
) -> Brief:
    """Gather the data and build every chart of the brief for ``commodity`` (no file I/O).

    ``edition`` is the USGS MCS edition (default: newest with data), ``as_of`` the date for "measures in
    force" (default today), ``importer`` a country name or ISO3 code whose import sources are shown.
    ``api`` is the data API (default :mod:`critmin.query`); tests pass a stand-in object.
    ``with_risk`` calls the ``critmin.risk.summary`` hook (default: only with the real data API). The hook
    runs in a worker thread while the other sections are built (it reads the same store).
    """
    from critmin import vocab

    com = vocab.commodity(commodity)
    importer_iso = vocab.resolve_country(importer)
    importer_name = _country(importer_iso)
    if as_of is None:
        as_of_date = dt.date.today()
    elif isinstance(as_of, str):
        as_of_date = dt.date.fromisoformat(as_of)
    else:
        as_of_date = as_of
    api_is_query = api is None
    if with_risk is None:
        with_risk = api is None
    if api is None:
        api = importlib.import_module("critmin.query")
        from critmin.store import Store

        Store.open().ensure()  # build before any thread reads the store
        api.check_usgs_edition(com.id, edition)  # an edition the store lacks is an error, not empty sections
    facts: list[Fact] = []
    name = com.name
    from altair.utils.schemapi import debug_mode

    # Altair validates every schema object as it is created; the finished specs are validated by the
    # tests instead (Figure.spec(validate=True)), which saves about 0.2 s per brief.
    with debug_mode(False), ThreadPoolExecutor(max_workers=1, thread_name_prefix="critmin-risk") as pool:
        risk_future = (
            pool.submit(_call_risk_summary, com.id, edition, as_of_date, importer_iso) if with_risk else None
        )
        sections = [
            _reserves_section(api, com.id, name, edition, facts),
            _production_section(api, com.id, name, edition, as_of_date, facts),
            _stages_section(api, com.id, name, as_of_date, facts),
            _trade_section(api, com.id, name, importer_iso, importer_name, as_of_date, facts),
            _events_section(api, com.id, name, as_of_date, facts),
        ]
        sections.append(_risk_section(risk_future.result() if risk_future else None))
        sections.append(_whatif_section(com.id, name, run=api_is_query))
    sections.append(_sources_section(api, sections))
    used_edition = edition if edition is not None else sections[1].meta.get("edition")
    notice = ""
    if com.groups and sections[0].empty and sections[1].empty:
        groups = [vocab.commodity(g) for g in com.groups]
        notice = (
            f"The production and reserves sources report {name.lower()} only as part of "
            + " / ".join(g.name.lower() for g in groups)
            + ": "
            + ", ".join(f"`critmin brief {g.id}`" for g in groups)
            + " shows those figures."
        )
    return Brief(
        commodity_id=com.id,
        commodity_name=name,
        title=f"{name}: supply-chain brief",
        edition=used_edition,
        as_of=as_of_date,
        importer=importer_iso,
        importer_name=importer_name,
        generated=dt.datetime.now().replace(microsecond=0),
        sections=sections,
        facts=facts,
        notice=notice,
    )


def _vl_version() -> str | None:
    """The Vega-Lite version of Altair's schema if vl-convert bundles it (e.g. ``"6.4"``)."""
    import altair as alt
    import vl_convert as vlc

    m = re.match(r"v?(\d+)\.(\d+)", alt.SCHEMA_VERSION)
    if not m:
        return None
    version = f"{m.group(1)}.{m.group(2)}"
    return version if version in vlc.get_vegalite_versions() else None


def _cache_dir() -> Path:
    override = os.environ.get("CRITMIN_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("critmin"))


def javascript_bundle() -> str:
    """Vega + Vega-Lite + Vega-Embed as one script (from vl-convert), cached on disk per version.

    Building the bundle takes about 1.5 s; it is kept in the user cache directory (``CRITMIN_CACHE_DIR``
    overrides it) keyed by the vl-convert and Vega-Lite versions. The cache is only an optimisation: if
    it cannot be written the bundle is simply rebuilt next time.
    """
    import vl_convert as vlc

    vl_version = _vl_version()
    from importlib.metadata import version

    key = f"vega-bundle-{version('vl-convert-python')}-vl{vl_version or 'default'}.js"
    path = _cache_dir() / key
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    options: dict[str, Any] = {"vl_version": vl_version} if vl_version else {}
    bundle: str = vlc.javascript_bundle(**options)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(bundle, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        log.debug("could not cache the Vega bundle at %s: %s", path, exc)
    return bundle


def _script_safe(text: str) -> str:
    """Make text safe inside an inline ``<script>`` element."""
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE).replace("<!--", "<\\!--")


def render_page(template_name: str, figures: list[Figure], **context: Any) -> str:
    """A self-contained page from ``templates/<template_name>``: the charts' specs and the Vega JavaScript
    inlined (``_embed.html.j2``), ``context`` passed to the template. Used by the brief and the scenario report.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("critmin.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template(template_name)
    specs = {f.name: f.spec() for f in figures}
    return template.render(
        specs_json=_script_safe(json.dumps(specs, separators=(",", ":"), allow_nan=False, default=str)),
        vega_js=_script_safe(javascript_bundle()),
        esc=html.escape,
        **context,
    )


def render_html(brief: Brief) -> str:
    """The complete self-contained HTML page of ``brief``."""
    return render_page("brief.html.j2", brief.figures, brief=brief)


def write_brief(brief: Brief, out: Path, png_dir: Path | None = None) -> list[Path]:
    """Write the HTML page to ``out`` (and each chart as ``<png_dir>/<commodity>-<chart>.png``).

    Returns the paths written, the HTML first.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(brief), encoding="utf-8")
    written = [out]
    if png_dir is not None:
        written.extend(write_pngs(brief, Path(png_dir)))
    return written


def write_pngs(brief: Brief, png_dir: Path, scale: float = 2.0) -> list[Path]:
    """Save every chart of ``brief`` as PNG through vl-convert (offline)."""
    import vl_convert as vlc

    png_dir.mkdir(parents=True, exist_ok=True)
    vl_version = _vl_version()
    paths = []
    for fig in brief.figures:
        kwargs: dict[str, Any] = {"scale": scale}
        if vl_version:
            kwargs["vl_version"] = vl_version
        png = vlc.vegalite_to_png(fig.spec(), **kwargs)
        path = png_dir / f"{brief.commodity_id}-{fig.name}.png"
        path.write_bytes(png)
        paths.append(path)
    return paths
