"""The offline HTML report of a scenario run: ``critmin scenario run SPEC --out DIR`` writes ``DIR/report.html``.

:func:`build_report` turns a :class:`~critmin.scenario.ScenarioResult` into sections of charts and tables
(the brief's :class:`~critmin.report.brief.Section`, :class:`~critmin.report.brief.Figure` and
:class:`~critmin.report.brief.Table`); :func:`write_report` renders them with the brief's page machinery
(:func:`critmin.report.brief.render_page`: styles, section layout and the Vega JavaScript inlined from
vl-convert), so the file loads nothing from the network.

Charts (each states its unit and the inputs it was computed from in its subtitle):

* baseline vs shocked flows at the restricted stage, a flow diagram drawn from Vega-Lite ``area`` and
  ``rect`` marks (Vega-Lite has no Sankey mark: bands between a column of supplies and a column of importers,
  as wide as the volume they carry, the same scale in both panels);
* shortfall by importer: the total over the run (run at median parameters) and month by month with the 5–95 %
  band of the Monte Carlo draws;
* price fan chart inside and outside the restricting country (median of the draws, 5–95 % band);
* the notes table (where each input came from, which allocations are proportional) and the parameters.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import altair as alt
import numpy as np
import pandas as pd

from critmin.report import charts
from critmin.report.brief import Figure, Section, Table, render_page

if TYPE_CHECKING:
    from critmin.scenario import Scenario, ScenarioResult
    from critmin.scenario.spec import Param

#: importers drawn in the month-by-month shortfall panels
TOP_IMPORTERS = 8
#: height of one flow panel in pixels
FLOW_HEIGHT = 250
#: x range of the flow diagram (the two node columns sit at 0 and 1, labels outside) and node width
_FLOW_DOMAIN = [-0.62, 1.62]
_NODE_WIDTH = 0.025
#: sources of supply in the flow table besides the issuer, in drawing order
OTHERS = "other producers, stocks, substitution"
UNSERVED = "unserved"
_SOURCE_COLORS = {OTHERS: charts.OTHER_COLOR, UNSERVED: "#e08a2c"}
#: flow-table targets that are groups, drawn after the named importers
_GROUPS = ("other targets", "non-targets", "ROW")
#: why the flow chart is not a Sankey diagram (shown in the report)
NO_SANKEY = (
    "Vega-Lite, which draws every chart of this page offline, has no Sankey mark, so the flows are drawn as a"
    " two-column flow diagram from its area and rect marks: each band runs from a source of supply (left) to an"
    " importer (right) and is as wide as the volume it carries, on one scale for both panels."
)


@dataclass
class ScenarioReport:
    """Everything the report page shows: title, header items and sections."""

    title: str
    meta: list[str]
    sections: list[Section]

    @property
    def figures(self) -> list[Figure]:
        """All figures of all sections, in page order."""
        return [f for s in self.sections for f in s.figures]


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------
def _name(iso3: str) -> str:
    """Display name of an importer (``ROW`` stays the rest of the world)."""
    from critmin import vocab

    if iso3 == "ROW":
        return "rest of world (pooled)"
    try:
        return vocab.country_name(iso3)
    except vocab.UnknownNameError:
        return iso3


def _commodity_name(cid: str) -> str:
    from critmin import vocab

    return vocab.commodity(cid).name


def _per_month(unit: str) -> str:
    return unit if unit.endswith("per month") else f"{unit} per month"


def _total_unit(unit: str) -> str:
    return unit.removesuffix(" per month")


def _inputs(notes: pd.DataFrame, cid: str, stage: str) -> tuple[str, list[str]]:
    """A short label of the inputs behind a commodity's results at ``stage`` and their full source strings."""
    rows = notes[(notes["commodity"] == cid) & notes["stage"].isin(["all", stage])]
    label = [
        str(m)
        for m, item in zip(rows["method"], rows["item"], strict=True)
        if item in ("world volume", "output by country")
    ]
    for m, s, item in zip(rows["method"], rows["source"], rows["item"], strict=True):
        if item == "cross-border flows" and str(s):
            label.append(str(s).split(":")[0] if str(s).startswith("BACI") else str(m).split(";")[0])
    sources = list(dict.fromkeys(str(s) for s in rows["source"] if str(s).strip()))
    return "; ".join(dict.fromkeys(label)), sources


def _restricted_stage(short: pd.DataFrame) -> str:
    return str(short["stage"].iloc[0])


# --------------------------------------------------------------------------------------------------
# charts
# --------------------------------------------------------------------------------------------------
def _flow_layout(
    links: pd.DataFrame, value: str, scale: float, sources: list[str], targets: list[str]
) -> Any:
    """Node extents and link curves of one flow panel (y in volume units from the top, with gaps)."""
    links = links[links[value] > 0].copy()
    gap = 0.04 * FLOW_HEIGHT / scale
    rank_s = {s: i for i, s in enumerate(sources)}
    rank_t = {t: i for i, t in enumerate(targets)}
    nodes = []
    tops: dict[tuple[str, str], float] = {}
    for side, order, col in (("left", sources, "source"), ("right", targets, "target")):
        y = 0.0
        for node in order:
            total = float(links.loc[links[col] == node, value].sum())
            if total <= 0:
                continue
            tops[(side, node)] = y
            nodes.append({"side": side, "node": node, "y": y, "y2": y + total, "total": total})
            y += total + gap
    links["rs"], links["rt"] = links["source"].map(rank_s), links["target"].map(rank_t)
    links["y0"] = links.sort_values(["rs", "rt"]).groupby("source")[value].cumsum() - links[value]
    links["y1"] = links.sort_values(["rt", "rs"]).groupby("target")[value].cumsum() - links[value]
    links["y0"] += [tops[("left", s)] for s in links["source"]] + links[value] / 2
    links["y1"] += [tops[("right", t)] for t in links["target"]] + links[value] / 2
    steps = np.linspace(0.0, 1.0, 25)
    smooth = 3 * steps**2 - 2 * steps**3
    points = []
    for k, (y0, y1, volume, source, target) in enumerate(
        zip(links["y0"], links["y1"], links[value], links["source"], links["target"], strict=True)
    ):
        half = max(float(volume), 1.0 / scale) / 2
        for x, s in zip(steps, smooth, strict=True):
            mid = float(y0) + (float(y1) - float(y0)) * float(s)
            points.append(
                {
                    "link": k,
                    "x": float(x),
                    "top": mid - half,
                    "bottom": mid + half,
                    "source": source,
                    "target": target,
                    "volume": float(volume),
                }
            )
    return pd.DataFrame(nodes), pd.DataFrame(points)


def flow_chart(flows: pd.DataFrame, *, commodity_name: str, issuer_name: str, source_label: str) -> Any:
    """Baseline and shocked flows at the restricted stage as a two-column flow diagram (see :data:`NO_SANKEY`).

    ``flows`` is one commodity's rows of the result's ``flows`` table (source, target, baseline, shocked,
    unit). The issuer's domestic use is left out (it is not exposed to the measure and would dwarf the
    cross-border flows); the caption gives its volume.
    """
    unit = _per_month(str(flows["unit"].iloc[0]))
    links = flows[~flows["target"].str.endswith("(domestic)")].copy()
    multiplier, shown = charts.quantity_scale(links[["baseline", "shocked"]].to_numpy().ravel(), unit)
    shown = _per_month(shown)
    links[["baseline", "shocked"]] = links[["baseline", "shocked"]] * multiplier
    sources = [issuer_name, OTHERS, UNSERVED]
    sources += [s for s in links["source"].unique() if s not in sources]
    totals = links.groupby("target")["baseline"].sum().sort_values(ascending=False)
    targets = [t for t in totals.index if t not in _GROUPS] + [t for t in _GROUPS if t in totals.index]
    most = max(len(sources), len(targets))
    extent = max(links["baseline"].sum(), links["shocked"].sum())
    scale = FLOW_HEIGHT * (1 - 0.04 * (most - 1)) / extent if extent > 0 else 1.0
    domain = [0.0, FLOW_HEIGHT / scale]
    colors = alt.Scale(
        domain=sources, range=[charts.CHINA_COLOR, charts.OTHER_COLOR, "#e08a2c", *charts.COUNTRY_PALETTE]
    )
    fmt = f",.{0 if links[['baseline', 'shocked']].max().max() >= 100 else 2}f"
    yscale = alt.Scale(domain=domain, reverse=True, nice=False, zero=False)
    xscale = alt.Scale(domain=_FLOW_DOMAIN)
    x = alt.X("x:Q", scale=xscale, axis=None)
    y = alt.Y("y:Q", scale=yscale, axis=None)
    panels = []
    for value, heading in (
        ("baseline", "Baseline"),
        ("shocked", "Shocked: mean month while the measure is in force"),
    ):
        nodes, points = _flow_layout(links, value, scale, sources, targets)
        nodes["x"] = np.where(nodes["side"] == "left", -_NODE_WIDTH, 1.0)
        nodes["x2"] = nodes["x"] + _NODE_WIDTH
        nodes["label_x"] = np.where(nodes["side"] == "left", -0.05, 1.05)
        nodes["mid"] = (nodes["y"] + nodes["y2"]) / 2
        nodes["label"] = [f"{n} · {t:{fmt}}" for n, t in zip(nodes["node"], nodes["total"], strict=True)]
        nodes["color_key"] = np.where(nodes["side"] == "left", nodes["node"], "")
        bands = (
            alt.Chart(points)
            .mark_area(opacity=0.5, interpolate="monotone")
            .encode(
                x=x,
                y=alt.Y("top:Q", scale=yscale, axis=None, stack=None),
                y2="bottom:Q",
                detail="link:N",
                color=alt.Color(
                    "source:N", scale=colors, title="Supply", legend=alt.Legend(labelLimit=320, orient="top")
                ),
                tooltip=[
                    alt.Tooltip("source:N", title="From"),
                    alt.Tooltip("target:N", title="To"),
                    alt.Tooltip("volume:Q", title=shown, format=fmt),
                ],
            )
        )
        rects = (
            alt.Chart(nodes)
            .mark_rect(color=charts.INK, opacity=0.8)
            .encode(x=x, x2="x2:Q", y=y, y2="y2:Q", tooltip=[alt.Tooltip("label:N", title=shown)])
        )
        left = (
            alt.Chart(nodes[nodes["side"] == "left"])
            .mark_text(align="right", baseline="middle", fontSize=11, color=charts.INK)
            .encode(
                x=alt.X("label_x:Q", scale=xscale, axis=None), y=alt.Y("mid:Q", scale=yscale), text="label:N"
            )
        )
        right = (
            alt.Chart(nodes[nodes["side"] == "right"])
            .mark_text(align="left", baseline="middle", fontSize=11, color=charts.INK)
            .encode(
                x=alt.X("label_x:Q", scale=xscale, axis=None), y=alt.Y("mid:Q", scale=yscale), text="label:N"
            )
        )
        panels.append(
            alt.layer(bands, rects, left, right).properties(
                width=charts.WIDTH, height=FLOW_HEIGHT, title=alt.TitleParams(heading, fontSize=12)
            )
        )
    chart = alt.vconcat(*panels, spacing=18).properties(
        title=charts._title(
            f"{commodity_name}: where the importers' supply comes from, before and during the measure",
            f"Unit: {shown}. Band height ∝ volume (at least 1 px), one scale for both panels.",
            "Model output (critmin.scenario); inputs: " + charts.short_source(source_label, 110),
        )
    )
    return charts._config(chart)


def shortfall_totals_chart(short: pd.DataFrame, *, commodity_name: str, source_label: str) -> Any:
    """Unserved volume over the whole run by importer at the restricted stage (run at median parameters),
    labelled with its share of the importer's demand."""
    stage = _restricted_stage(short)
    rows = short[short["stage"] == stage]
    unit = _total_unit(str(rows["unit"].iloc[0]))
    agg = rows.groupby("importer", as_index=False)[["unserved", "demand"]].sum()
    agg = agg[agg["unserved"] > 0].sort_values("unserved", ascending=False).head(15)
    multiplier, shown = charts.quantity_scale(agg["unserved"], unit)
    agg["name"] = agg["importer"].map(_name)
    agg["value"] = agg["unserved"] * multiplier
    agg["share"] = 100 * agg["unserved"] / agg["demand"]
    agg["text"] = [
        f"{v:,.{0 if v >= 100 else 1}f} · {s:.0f}% of demand"
        for v, s in zip(agg["value"], agg["share"], strict=True)
    ]
    base = alt.Chart(agg).encode(y=alt.Y("name:N", sort=list(agg["name"]), title=None))
    bars = base.mark_bar(color=charts.OTHER_COLOR).encode(
        x=alt.X(
            "value:Q", title=f"Unserved over the run ({shown})", axis=alt.Axis(format=charts.AXIS_NUMBER)
        ),
        tooltip=[
            alt.Tooltip("name:N", title="Importer"),
            alt.Tooltip("value:Q", title=f"Unserved ({shown})", format=",.1f"),
            alt.Tooltip("share:Q", title="Share of demand (%)", format=".1f"),
        ],
    )
    text = base.mark_text(align="left", dx=4, fontSize=11, color=charts.INK).encode(
        x="value:Q", text="text:N"
    )
    months = rows["month"].nunique()
    chart = (bars + text).properties(
        width=charts.WIDTH - 200,
        height=max(60, 22 * len(agg)),
        title=charts._title(
            f"{commodity_name}: shortfall by importer, {charts.STAGE_NAMES.get(stage, stage).lower()} stage",
            f"Unit: {shown} over {months} months (run at median parameters); labels: share of demand.",
            "Model output (critmin.scenario); inputs: " + charts.short_source(source_label, 110),
        ),
    )
    return charts._config(chart)


def shortfall_months_chart(short: pd.DataFrame, *, commodity_name: str, source_label: str, draws: int) -> Any:
    """Unserved volume per month for the importers short the most: median of the draws and 5–95 % band."""
    stage = _restricted_stage(short)
    rows = short[short["stage"] == stage].copy()
    unit = _per_month(str(rows["unit"].iloc[0]))
    totals = rows.groupby("importer")["unserved_p95"].sum().sort_values(ascending=False)
    keep = [str(i) for i, v in totals.items() if v > 0][:TOP_IMPORTERS]
    rows = rows[rows["importer"].isin(keep)]
    multiplier, shown = charts.quantity_scale(rows["unserved_p95"], unit)
    shown = _per_month(shown)
    data = pd.DataFrame(
        {
            "name": rows["importer"].map(_name),
            "month": rows["month"] + "-01",
            "median": rows["unserved_median"] * multiplier,
            "p05": rows["unserved_p05"] * multiplier,
            "p95": rows["unserved_p95"] * multiplier,
            "share": 100 * rows["unserved_median"] / rows["demand"],
        }
    )
    order = [_name(i) for i in keep]
    xenc = alt.X("month:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0, tickCount=4))
    band = alt.Chart().mark_area(opacity=0.25, color=charts.OTHER_COLOR).encode(x=xenc, y="p05:Q", y2="p95:Q")
    line = (
        alt.Chart()
        .mark_line(color=charts.OTHER_COLOR, point=alt.OverlayMarkDef(size=14))
        .encode(
            x=xenc,
            y=alt.Y("median:Q", title=None, axis=alt.Axis(format=charts.AXIS_NUMBER)),
            tooltip=[
                alt.Tooltip("name:N", title="Importer"),
                alt.Tooltip("month:T", title="Month", format="%Y-%m"),
                alt.Tooltip("median:Q", title=f"Median ({shown})", format=",.1f"),
                alt.Tooltip("p05:Q", title="5 %", format=",.1f"),
                alt.Tooltip("p95:Q", title="95 %", format=",.1f"),
                alt.Tooltip("share:Q", title="Share of demand (%)", format=".0f"),
            ],
        )
    )
    band_text = f"5–95 % band of {draws:,} draws" if draws else "no draws: the band is the run itself"
    chart = (
        alt.layer(band, line, data=data)
        .properties(width=150, height=110)
        .facet(facet=alt.Facet("name:N", sort=order, title=None), columns=4)
        .resolve_scale(y="independent")
        .properties(
            title=charts._title(
                f"{commodity_name}: unserved volume by month, {charts.STAGE_NAMES.get(stage, stage).lower()} stage",
                f"Unit: {shown} (scale per panel). Line: median of the draws; shaded: {band_text}.",
                "Model output (critmin.scenario); inputs: " + charts.short_source(source_label, 110),
            )
        )
    )
    return charts._config(chart)


def price_fan_chart(prices: pd.DataFrame, *, commodity_name: str, draws: int) -> Any:
    """Price paths inside and outside the restricting country: median of the draws and the 5–95 % band.

    In USD/kg of the price series the spec names when the store has one, else as a multiple of the baseline.
    """
    in_usd = "price_usd_per_kg" in prices and prices["price_usd_per_kg"].notna().all()
    col, unit = ("price_usd_per_kg", "USD/kg") if in_usd else ("multiple", "× baseline price")
    data = pd.DataFrame(
        {
            "market": [
                f"inside {_name(m.removeprefix('inside '))}" if m.startswith("inside ") else m
                for m in prices["market"]
            ],
            "month": prices["month"] + "-01",
            "median": prices[f"{col}_median"],
            "p05": prices[f"{col}_p05"],
            "p95": prices[f"{col}_p95"],
            "multiple": prices["multiple_median"],
        }
    )
    markets = list(dict.fromkeys(data["market"]))
    colors = alt.Scale(domain=markets, range=[charts.CHINA_COLOR, charts.OTHER_COLOR])
    xenc = alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0))
    band = (
        alt.Chart(data)
        .mark_area(opacity=0.2)
        .encode(x=xenc, y="p05:Q", y2="p95:Q", color=alt.Color("market:N", scale=colors, title="Market"))
    )
    line = (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=16))
        .encode(
            x=xenc,
            y=alt.Y("median:Q", title=unit, axis=alt.Axis(format=",~f")),
            color=alt.Color("market:N", scale=colors, title="Market", legend=alt.Legend(labelLimit=320)),
            tooltip=[
                alt.Tooltip("market:N", title="Market"),
                alt.Tooltip("month:T", title="Month", format="%Y-%m"),
                alt.Tooltip("median:Q", title=f"Median ({unit})", format=",.2f"),
                alt.Tooltip("p05:Q", title="5 %", format=",.2f"),
                alt.Tooltip("p95:Q", title="95 %", format=",.2f"),
                alt.Tooltip("multiple:Q", title="× baseline", format=".2f"),
            ],
        )
    )
    base_value = float(prices["base_price_usd_per_kg"].iloc[0]) if in_usd else 1.0
    rule = (
        alt.Chart(pd.DataFrame({"y": [base_value]}))
        .mark_rule(strokeDash=[4, 4], color=charts.MUTED)
        .encode(y="y:Q")
    )
    if in_usd:
        what = f"{prices['form'].iloc[0]}; dashed: {int(prices['base_year'].iloc[0])} price {base_value:,.0f} USD/kg"
        source = charts.short_source(str(prices["source"].iloc[0]), 90)
    else:
        what, source = "no base price in the store: multiple of the baseline price", "critmin.scenario"
    band_text = f"5–95 % band of {draws:,} draws" if draws else "no draws: the band is the run itself"
    chart = (band + line + rule).properties(
        width=charts.WIDTH,
        height=240,
        title=charts._title(
            f"{commodity_name}: price inside and outside the restricting country",
            f"Unit: {unit} ({what}). Line: median; shaded: {band_text}.",
            f"Model output (critmin.scenario, iso-elastic price response); base price: {source}.",
        ),
    )
    return charts._config(chart)


# --------------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------------
def _allocation(method: str, source: str) -> str:
    text = f"{method} {source}".lower()
    if "proportional" in text:
        return "proportional"
    if "assum" in text:
        return "assumption"
    return ""


def notes_table(notes: pd.DataFrame) -> Table:
    """Where each input came from, per commodity and stage, with the proportional allocations marked."""
    several = notes["commodity"].nunique() > 1
    rows = []
    for r in notes.itertuples(index=False):
        method, source = str(r.method), str(r.source)
        cells = [str(r.stage), str(r.item), method, source, _allocation(method, source)]
        rows.append([_commodity_name(str(r.commodity)), *cells] if several else cells)
    columns = ["Stage", "Item", "Method", "Source", "Allocation"]
    classes = ["nowrap", "", "mid", "wide", "nowrap"]
    return Table(
        ["Commodity", *columns] if several else columns,
        rows,
        caption="Every input of the network and where it came from (the notes table of the run). 'proportional'"
        " marks flows or outputs allocated in proportion to other figures because the data are missing;"
        " 'assumption' marks values that no source gives.",
        classes=["nowrap", *classes] if several else classes,
    )


def _param_text(param: Param) -> str:
    if isinstance(param, int | float):
        return f"{param:g}"
    if param.dist == "uniform":
        return f"uniform {param.low:g} to {param.high:g}"
    return f"triangular {param.low:g} / {param.mode:g} / {param.high:g}"


def _comment_for(lines: list[str], line: int | None, key: str) -> str:
    """The comment a key carries in the spec: trailing, else the comment block right above it, else the nearest
    comment block above it in its table that names the key (one comment may cover several keys)."""
    if line is None:
        return ""
    own = lines[line - 1]
    if "#" in own and not own.lstrip().startswith("#"):
        tail = own.split("#", 1)[1].strip()
        if tail:
            return tail
    block: list[str] = []
    adjacent = True
    for text in reversed(lines[: line - 1]):
        stripped = text.strip()
        if stripped.startswith("#"):
            block.insert(0, stripped.lstrip("#").strip())
            continue
        if block:
            joined = " ".join(block)
            if adjacent or re.search(rf"\b{re.escape(key.replace('_', ' '))}|\b{re.escape(key)}\b", joined):
                return joined
            block = []
        if stripped.startswith("["):
            break
        adjacent = False
    return ""


def parameters_table(scenario: Scenario) -> Table:
    """The spec's parameters with their values or distributions and the source its comments give."""
    from critmin.scenario.spec import key_line

    spec = scenario.spec
    text = scenario.path.read_text(encoding="utf-8") if scenario.path and scenario.path.is_file() else ""
    lines = text.splitlines()
    items: list[tuple[tuple[str | int, ...], str, str]] = []
    for i, r in enumerate(spec.restriction):
        where = f"restriction {r.commodity}"
        for key in ("severity", "leakage", "licence_delay", "duration"):
            value = getattr(r, key)
            items.append((("restriction", i, key), f"{where}: {key}", _param_text(value)))
    for key in ("spare_capacity", "ramp", "rerouting", "substitution", "stocks_months"):
        items.append((("response", key), f"response: {key}", _param_text(getattr(spec.response, key))))
    for country, months in spec.response.stocks.items():
        items.append((("response", "stocks"), f"response: stocks {country} (months)", _param_text(months)))
    for key in ("demand_elasticity", "supply_elasticity", "cap_multiple"):
        items.append((("prices", key), f"prices: {key}", _param_text(getattr(spec.prices, key))))
    for k, d in enumerate(spec.demand):
        items.append(
            (
                ("demand", k, "quantity"),
                f"demand: {d.country} {d.commodity} {d.year}",
                f"{d.quantity:,g} {d.unit}",
            )
        )
    documented = {n["item"]: n["source"] for n in scenario.defaulted}
    rows = []
    for loc, label, value in items:
        line = key_line(text, loc) if text else None
        if line is not None and not re.search(rf"\b{loc[-1]}\b", lines[line - 1]):
            line = None  # the key is not in the file: key_line fell back to its table's header
        if loc[0] == "demand":
            comment = spec.demand[int(loc[1])].source
        elif f"{loc[0]}.{loc[-1]}" in documented:
            comment = f"not set in the spec: documented default; {documented[f'{loc[0]}.{loc[-1]}']}"
        elif line is None:
            comment = "not set in the spec: critmin's default (docs/scenario-model.md)"
        else:
            comment = _comment_for(lines, line, str(loc[-1])) or "no source given in the spec: an assumption"
        rows.append([label, value, comment])
    return Table(
        ["Parameter", "Value or distribution", "Source or assumption (from the spec file)"],
        rows,
        caption="Parameters of the run. Distributions are drawn in the Monte Carlo; the run at median parameters"
        " uses their medians (docs/scenario-model.md).",
        classes=["nowrap", "nowrap", "wide"],
    )


# --------------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------------
def _describe_restrictions(scenario: Scenario) -> list[str]:
    out = []
    for r in scenario.spec.restriction:
        targets = "every destination" if [t.lower() for t in r.targets] == ["all"] else ", ".join(r.targets)
        delay = (
            f", deliveries stopped for a licence delay of {r.licence_delay} months" if r.licence_delay else ""
        )
        event = f" (registry measure {r.event_id})" if r.event_id else ""
        out.append(
            f"{r.issuer} restricts exports of {r.commodity} at the {r.stage} stage to {targets} from {r.start} for"
            f" {r.duration} months{delay}; severity {_param_text(r.severity)}, leakage"
            f" {_param_text(r.leakage)}{event}."
        )
    return out


def _commodity_section(result: ScenarioResult, cid: str, draws: int) -> Section:
    name = _commodity_name(cid)
    short = result.shortfall[result.shortfall["commodity"] == cid]
    flows = result.flows[result.flows["commodity"] == cid]
    prices = result.prices[result.prices["commodity"] == cid]
    sec = Section(f"c-{cid}", name)
    if short.empty:
        sec.empty = f"No importer of {name.lower()} runs short in this scenario."
    stage = str(flows["stage"].iloc[0]) if len(flows) else _restricted_stage(short)
    label, sources = _inputs(result.notes, cid, stage)
    issuer_market = next((m for m in prices["market"] if m.startswith("inside")), "inside ?")
    issuer_name = _name(issuer_market.removeprefix("inside ").strip())
    if len(flows):
        domestic = flows[flows["target"].str.endswith("(domestic)")]
        unit = _per_month(str(flows["unit"].iloc[0]))
        dom = (
            charts.format_quantity(float(domestic["baseline"].sum()), _total_unit(unit))
            if len(domestic)
            else ""
        )
        sec.figures.append(
            Figure(
                f"{cid}-flows",
                flow_chart(
                    flows,
                    commodity_name=name,
                    issuer_name=str(flows["source"].iloc[0]) if len(flows) else issuer_name,
                    source_label=label,
                ),
                NO_SANKEY
                + f" Top: the baseline at the {stage} stage; bottom: the mean month while the measure is in force,"
                " where the issuer's blocked volume is replaced by other producers, stocks and substitution or"
                " stays unserved."
                + (f" {issuer_name}'s domestic use ({dom} per month) is left out." if dom else ""),
                sources,
            )
        )
    if len(short) and (short["unserved"] > 0).any():
        sec.figures.append(
            Figure(
                f"{cid}-shortfall",
                shortfall_totals_chart(short, commodity_name=name, source_label=label),
                "Unserved volume over the whole run by importer at the restricted stage, from the run at median"
                " parameters, with its share of the importer's demand over the same months.",
                sources,
            )
        )
    if len(short) and (short["unserved_p95"] > 0).any():
        sec.figures.append(
            Figure(
                f"{cid}-shortfall-months",
                shortfall_months_chart(short, commodity_name=name, source_label=label, draws=draws),
                f"Month by month for the {TOP_IMPORTERS} importers short the most (by the 95th percentile): how"
                " much, for how long, and how uncertain.",
                sources,
            )
        )
    if len(prices):
        src = [str(s) for s in prices.get("source", pd.Series(dtype=str)).dropna().unique()]
        sec.figures.append(
            Figure(
                f"{cid}-prices",
                price_fan_chart(prices, commodity_name=name, draws=draws),
                "Price inside the restricting country (its blocked exports stay at home: a surplus) and in the"
                " target markets (the shortfall), from the iso-elastic response of docs/scenario-model.md,"
                " capped at the spec's cap_multiple.",
                src or ["critmin.scenario (no price series in the store)"],
            )
        )
    return sec


def build_report(
    result: ScenarioResult, scenario: Scenario, files: list[Path] | None = None
) -> ScenarioReport:
    """The report of ``result``, the run of ``scenario`` (no I/O besides reading the spec for its comments)."""
    spec = scenario.spec
    from altair.utils.schemapi import debug_mode

    intro = Section("scenario", "Scenario")
    if spec.scenario.description:
        intro.intro.append(spec.scenario.description)
    intro.intro.extend(_describe_restrictions(scenario))
    draws = result.draws
    intro.intro.append(
        f"{draws:,} Monte Carlo draws (seed {result.seed}): lines are medians and shaded bands 5–95 % of the draws;"
        " totals are from the run at median parameters."
        if draws
        else "No Monte Carlo draws (--draws 0): every band collapses onto the run at median parameters."
    )
    intro.tables.append(parameters_table(scenario))
    with debug_mode(False):
        sections = [intro]
        for cid in dict.fromkeys(result.shortfall["commodity"].tolist() + result.flows["commodity"].tolist()):
            sections.append(_commodity_section(result, str(cid), draws))
    notes = Section("notes", "Notes and sources")
    notes.intro.append(
        "Which data each part of the network came from and where critmin had to allocate in proportion because"
        " data are missing. The method and its equations: docs/scenario-model.md."
    )
    notes.tables.append(notes_table(result.notes))
    if files:
        notes.notes.append(
            "Tables of this run beside this file (Parquet and CSV): "
            + ", ".join(sorted({p.stem for p in files}))
            + "."
        )
    start = spec.start_month()
    meta = [
        f"Spec {scenario.path.name}" if scenario.path else "Spec built in Python",
        f"{start:%Y-%m}, {spec.scenario.months} months",
        f"{draws:,} draws, seed {result.seed}",
        f"Generated {dt.datetime.now().replace(microsecond=0).isoformat(sep=' ')} by critmin",
    ]
    return ScenarioReport(f"What if: {result.name}", meta, [*sections, notes])


def write_report(report: ScenarioReport, out: Path) -> Path:
    """Write the report page to ``out`` (one self-contained HTML file); returns ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    html = render_page("scenario.html.j2", report.figures, report=report)
    out.write_text(html, encoding="utf-8")
    return out


__all__ = ["ScenarioReport", "build_report", "write_report"]
