"""Altair charts of the brief: one small function per chart.

Every function takes tidy DataFrames (the shapes returned by :mod:`critmin.query`), computes nothing
but presentation (sorting, top-N, labels) and returns an Altair chart whose subtitle names its source,
so a chart exported on its own (``--png``) still carries it. The numbers themselves come from the data
API; the only calculation here is the concentration summary (:func:`hhi`, :func:`concentration`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

import altair as alt
import pandas as pd

# --------------------------------------------------------------------------------------------------
# palette and shared style
# --------------------------------------------------------------------------------------------------
CHINA = "CHN"
CHINA_COLOR = "#c8102e"
OTHER_COLOR = "#5b7fa6"
OTHER_LIGHT = "#a9bfd6"
REST_COLOR = "#d5dbe3"
INK = "#1f2a37"
MUTED = "#5c6b7a"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

#: colour per production source (USGS editions in blues, WMD in amber)
SOURCE_COLORS: dict[str, str] = {
    "USGS MCS 2024": "#9ecae1",
    "USGS MCS 2025": "#4292c6",
    "USGS MCS 2026": "#08519c",
    "World Mining Data": "#e6a100",
}
#: colour per HS code of rare earths (other codes get the fallback palette)
HS_PALETTE = ["#2b6f9e", "#e08a2c", "#5aa469", "#8e6bb8", "#c1666b", "#4fb0c6", "#9c8f6a"]
#: categorical palette for partner countries (China is always CHINA_COLOR)
COUNTRY_PALETTE = ["#2b6f9e", "#e08a2c", "#5aa469", "#8e6bb8", "#4fb0c6", "#b08d57", "#7f8c8d"]
#: colour per export-control measure type
MEASURE_COLORS: dict[str, str] = {
    "export_ban": "#c8102e",
    "export_quota": "#e08a2c",
    "export_licence": "#8e44ad",
    "export_tax": "#b08d57",
    "technology_export_ban": "#2b6f9e",
    "import_ban": "#16a085",
    "mining_quota": "#6d8a2f",
    "suspension_of_measure": "#7f8c8d",
    "other": "#a0a9b3",
}
STAGE_ORDER = ["mining", "refining", "metal", "magnet", "anode"]
STAGE_NAMES = {
    "mining": "Mining",
    "refining": "Separation/refining",
    "metal": "Metal",
    "magnet": "Magnets",
    "anode": "Anode material",
}
WIDTH = 620


def _config(chart: Any) -> Any:
    """Apply the brief's common look (fonts, muted axes, no chart border) to a top-level chart.

    The configuration is assigned in place (``chart.configure_*`` would copy the whole chart once per
    call, which costs more than building it).
    """
    chart.config = alt.Config(
        font=FONT,
        background="white",
        view=alt.ViewConfig(stroke=None),
        axis=alt.AxisConfig(
            labelColor=MUTED,
            titleColor=MUTED,
            labelFontSize=11,
            titleFontSize=11,
            titleFontWeight="normal",
            gridColor="#e8ecf0",
            domainColor="#c9d1d9",
            tickColor="#c9d1d9",
        ),
        legend=alt.LegendConfig(
            labelColor=INK, titleColor=MUTED, labelFontSize=11, titleFontSize=11, orient="bottom"
        ),
        title=alt.TitleConfig(
            anchor="start",
            color=INK,
            fontSize=15,
            fontWeight=600,
            subtitleColor=MUTED,
            subtitleFontSize=11,
            offset=12,
        ),
    )
    return chart


def _title(text: str, *subtitle: str) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=[s for s in subtitle if s])


# --------------------------------------------------------------------------------------------------
# small helpers (pure, tested)
# --------------------------------------------------------------------------------------------------
def hhi(shares_pct: Iterable[float]) -> float:
    """Herfindahl-Hirschman index on the 0-10,000 scale: ``HHI = sum_c s_c**2`` with ``s_c`` in percent.

    NaN shares are ignored. When the shares do not cover the whole market (a source lists only the
    largest producers) the result is a lower bound of the true index.
    """
    return float(sum(float(s) ** 2 for s in shares_pct if s is not None and not pd.isna(s)))


_TONNE_FACTORS = {"t": 1.0, "kt": 1e3, "Mt": 1e6, "kg": 1e-3, "metr.": 1.0}


def _split_unit(unit: str) -> tuple[float | None, str]:
    """``"t REO"`` → ``(1.0, "REO")``; ``"kg"`` → ``(0.001, "")``; unknown units → ``(None, unit)``."""
    base, _, suffix = (unit or "").partition(" ")
    if base == "metr." and suffix.startswith("t"):
        suffix = suffix[1:].strip()
    factor = _TONNE_FACTORS.get(base)
    return (factor, suffix) if factor is not None else (None, unit or "")


def quantity_scale(values: Iterable[float], unit: str) -> tuple[float, str]:
    """The one display unit of a chart's quantities in ``unit``, chosen from the largest value, and the
    multiplier into it: ``(multiplier, display unit)``.

    Tonnage units (t, kt, kg, ``t REO``…) are shown in Mt when the largest value is at least 10 Mt,
    otherwise in tonnes (as USGS prints them); small kilogram figures (below 1 t) stay in kg. Other units
    are kept as given. Bar labels, tooltips and the axis all use it, so they never disagree.
    """
    factor, suffix = _split_unit(unit)
    if factor is None:
        return 1.0, unit or ""
    tail = f" {suffix}" if suffix else ""
    finite = [float(v) for v in values if v is not None and not pd.isna(v)]
    biggest = max((abs(v) for v in finite), default=0.0)
    if biggest * factor >= 1e7:
        return factor / 1e6, f"Mt{tail}"
    if unit.startswith("kg") and biggest < 1e3:
        return 1.0, "kg"
    return factor, f"t{tail}"


def quantity_formatter(values: Iterable[float], unit: str) -> Callable[[float | None], str]:
    """A formatter that writes every value of one chart in the display unit of :func:`quantity_scale`,
    with thousands separators (``"270,000 t REO"``, ``"44 Mt REO"``, ``"300 kg"``)."""
    multiplier, shown = quantity_scale(values, unit)

    def fmt(value: float | None) -> str:
        if value is None or pd.isna(value):
            return "n/a"
        return f"{_sig(float(value) * multiplier)} {shown}".strip()

    return fmt


#: d3 format of a quantity axis in its display unit: thousands separators, never an SI prefix ("k", "M")
#: that would read as part of the unit ("900k t" on an axis in kt)
AXIS_NUMBER = ",~f"


def format_quantity(value: float | None, unit: str) -> str:
    """One quantity in words: ``44000000, "t REO"`` → ``"44 Mt REO"``; ``750000, "kg"`` → ``"750 t"``."""
    return quantity_formatter([] if value is None else [value], unit)(value)


def _sig(x: float, digits: int = 3) -> str:
    """Round to ``digits`` significant digits, with thousands separators and no trailing zeros."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    mag = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - mag)
    rounded = round(x, decimals)
    if decimals == 0:
        return f"{round(rounded):,}"
    return f"{rounded:,.{decimals}f}".rstrip("0").rstrip(".")


def share_text(fraction: float) -> str:
    """A share as a whole percentage, ``"<1%"`` for small non-zero shares."""
    if 0 < fraction < 0.005:
        return "<1%"
    return f"{fraction:.0%}"


def format_usd_kusd(value_kusd: float) -> str:
    """Format a value in thousand USD as ``"$488.8 M"`` / ``"$12.3 k"``."""
    usd = float(value_kusd) * 1e3
    if abs(usd) >= 1e9:
        return f"${usd / 1e9:,.2f} B"
    if abs(usd) >= 1e6:
        return f"${usd / 1e6:,.1f} M"
    return f"${usd / 1e3:,.0f} k"


def usd_scale(values_kusd: Iterable[float]) -> tuple[float, str, Callable[[float], str]]:
    """One unit for a chart's USD values (given in thousand USD): million USD when the largest is at least
    1 million USD, else thousand USD. Returns the divisor from kUSD, the axis unit and a label formatter in
    the same unit (``"$489 M"``, ``"$0.012 M"``; ``"$99 k"``)."""
    finite = [abs(float(v)) for v in values_kusd if v is not None and not pd.isna(v)]
    divisor, unit, suffix = (
        (1e3, "million USD", "M") if max(finite, default=0.0) >= 1e3 else (1.0, "thousand USD", "k")
    )

    def fmt(value_kusd: float) -> str:
        return f"${_sig(float(value_kusd) / divisor)} {suffix}"

    return divisor, unit, fmt


_SHORT_SOURCES = [
    r"USGS Mineral Commodity Summaries \d{4}",
    r"USGS Open-File Report \d{4}-\d+",
    r"IEA Global Critical Minerals Outlook \d{4}",
    r"IEA GCMO \d{4}",
    r"MacroPolo",
    r"Adamas Intelligence",
    r"Research and Markets",
    r"World Mining Data",
    r"CEPII BACI",
]


def short_source(text: str | None, limit: int = 70) -> str:
    """A short label for a long ``source`` string (the publication's name when recognisable)."""
    if not text:
        return "unknown source"
    for pattern in _SHORT_SOURCES:
        m = re.search(pattern, text)
        if m:
            label = m.group(0)
            if re.search(r"secondary|as reported by|as summari[sz]ed", text):
                label += " (secondary report)"
            return label
    m = re.search(r"https?://([^/\s]+)", text)
    if m and text.lstrip().startswith("http"):
        return m.group(1)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _country_label(row: pd.Series) -> str:
    name = row.get("country")
    return str(name) if isinstance(name, str) and name else str(row.get("iso3") or "?")


def _highlight(iso3: Any) -> str:
    return "China" if iso3 == CHINA else "Other countries"


# --------------------------------------------------------------------------------------------------
# reserves
# --------------------------------------------------------------------------------------------------
def _bar_rows(frame: pd.DataFrame, top: int) -> pd.DataFrame:
    """Country rows sorted by value (largest first), the rest and USGS "Other countries" pooled last."""
    countries = frame[(frame["iso3"] != "WLD") & (frame["value"] > 0)]
    named = countries[countries["iso3"].notna()].sort_values("value", ascending=False)
    rest = countries[countries["iso3"].isna()]
    if len(named) > top:
        rest = pd.concat([rest, named.iloc[top:]])
        named = named.iloc[:top]
    rows = pd.DataFrame(
        {
            "label": named.apply(_country_label, axis=1) if len(named) else pd.Series(dtype=str),
            "iso3": named["iso3"],
            "value": named["value"].astype(float),
            "estimated": named["estimated"].astype("boolean").fillna(False).astype(bool)
            if "estimated" in named
            else False,
        }
    )
    if len(rest):
        other = {
            "label": "Other countries",
            "iso3": None,
            "value": float(rest["value"].sum()),
            "estimated": False,
        }
        rows = pd.concat([rows, pd.DataFrame([other])], ignore_index=True)
    rows = rows.reset_index(drop=True)
    rows["group"] = [("Rest" if not isinstance(c, str) else _highlight(c)) for c in rows["iso3"]]
    rows["order"] = range(len(rows))
    return rows


_GROUP_SCALE = alt.Scale(
    domain=["China", "Other countries", "Rest"], range=[CHINA_COLOR, OTHER_COLOR, REST_COLOR]
)


def _unit_of(frame: pd.DataFrame) -> str:
    units = frame["unit"].dropna()
    return str(units.iloc[0]) if len(units) else ""


def reserves_chart(reserves: pd.DataFrame, *, commodity_name: str, source_label: str, top: int = 15) -> Any:
    """Horizontal bars of reserves by country (China highlighted), world total in the subtitle.

    ``reserves`` has columns country, iso3, value, unit (one edition); the USGS world row has iso3
    ``WLD``; "Other countries" (iso3 NA) and countries beyond ``top`` are pooled and drawn last in grey.
    Each bar is labelled with its quantity and its share of the world total.
    """
    df = reserves.dropna(subset=["value"])
    unit = _unit_of(df)
    world = df.loc[df["iso3"] == "WLD", "value"]
    world_total = float(world.iloc[0]) if len(world) else None
    rows = _bar_rows(df, top)
    fmt = quantity_formatter([*rows["value"], world_total or 0.0], unit)
    multiplier, shown = quantity_scale([*rows["value"], world_total or 0.0], unit)
    rows["text"] = [fmt(v) for v in rows["value"]]
    if world_total:
        rows["text"] = [
            f"{t}  ({share_text(v / world_total)})" for t, v in zip(rows["text"], rows["value"], strict=True)
        ]
    sub_world = f"World total: {fmt(world_total)}" if world_total else "USGS publishes no world total"
    rows["value"] = rows["value"] * multiplier  # drawn in the unit the labels use
    data = rows[["label", "value", "group", "order", "text"]]
    base = alt.Chart(data).encode(
        y=alt.Y(
            "label:N",
            sort=alt.EncodingSortField("order", op="min"),
            title=None,
            axis=alt.Axis(labelLimit=160),
        ),
        x=alt.X("value:Q", title=f"Reserves ({shown})", axis=alt.Axis(format=AXIS_NUMBER, tickCount=6)),
        tooltip=[alt.Tooltip("label:N", title="Country"), alt.Tooltip("text:N", title="Reserves")],
    )
    bars = base.mark_bar(cornerRadiusEnd=2, height={"band": 0.72}).encode(
        color=alt.Color("group:N", scale=_GROUP_SCALE, legend=None)
    )
    labels = base.mark_text(align="left", dx=4, fontSize=11, color=INK).encode(text="text:N")
    chart = (bars + labels).properties(
        width=WIDTH,
        height=max(100, 24 * len(rows)),
        title=_title(f"{commodity_name}: reserves by country", sub_world, f"Source: {source_label}"),
    )
    return _config(chart)


def production_bar_chart(
    production: pd.DataFrame,
    *,
    commodity_name: str,
    source_label: str,
    what: str = "Mine production",
    top: int = 12,
) -> Any:
    """Horizontal bars of the latest year's production by country, with a tick at the previous year.

    ``production`` has columns year, country, iso3, value, unit, estimated (one edition, usually two
    years). China is highlighted; estimated values are marked "e" as USGS does.
    """
    df = production.dropna(subset=["value"])
    unit = _unit_of(df)
    years = sorted(int(y) for y in df["year"].unique())
    latest = years[-1]
    previous = years[-2] if len(years) > 1 else None
    now = df[df["year"] == latest]
    rows = _bar_rows(now, top)
    world = now.loc[now["iso3"] == "WLD", "value"]
    world_total = float(world.iloc[0]) if len(world) else None
    fmt = quantity_formatter([*rows["value"], world_total or 0.0], unit)
    multiplier, shown = quantity_scale([*rows["value"], world_total or 0.0], unit)
    rows["text"] = [fmt(v) for v in rows["value"]]
    all_estimated = bool(len(rows)) and bool(rows.loc[rows["iso3"].notna(), "estimated"].all())
    notes = [
        ", ".join(
            p
            for p in (
                share_text(v / world_total) if world_total else "",
                "est." if e and not all_estimated else "",
            )
            if p
        )
        for v, e in zip(rows["value"], rows["estimated"], strict=True)
    ]
    rows["text"] = [f"{t}  ({n})" if n else t for t, n in zip(rows["text"], notes, strict=True)]
    if previous is not None:
        before = _bar_rows(df[df["year"] == previous], 10_000)
        prev_by_label = dict(zip(before["label"], before["value"], strict=True))
        named_prev = {lab: v for lab, v in prev_by_label.items() if lab in set(rows["label"])}
        pooled = sum(v for lab, v in prev_by_label.items() if lab not in named_prev)
        rows["previous"] = [
            named_prev.get(lab, pooled if lab == "Other countries" and pooled else None)
            for lab in rows["label"]
        ]
    else:
        rows["previous"] = None
    rows["prev_text"] = [fmt(v) if v is not None and not pd.isna(v) else "n/a" for v in rows["previous"]]
    rows["label_x"] = [
        max(v, p) if p is not None and not pd.isna(p) else v
        for v, p in zip(rows["value"], rows["previous"], strict=True)
    ]
    world_txt = (
        f"World total {latest}: {fmt(world_total)}" if world_total else "USGS publishes no world total"
    )
    if previous is not None:
        world_txt += f"  ·  bars: {latest}, black ticks: {previous}"
    if all_estimated:
        world_txt += f"  ·  all {latest} figures are USGS estimates"
    for col in ("value", "previous", "label_x"):  # drawn in the unit the labels use
        rows[col] = pd.to_numeric(rows[col], errors="coerce") * multiplier
    data = rows[["label", "value", "group", "order", "text", "previous", "prev_text", "label_x"]]
    y = alt.Y(
        "label:N", sort=alt.EncodingSortField("order", op="min"), title=None, axis=alt.Axis(labelLimit=160)
    )
    tooltip = [
        alt.Tooltip("label:N", title="Country"),
        alt.Tooltip("text:N", title=str(latest)),
        alt.Tooltip("prev_text:N", title=str(previous or "")),
    ]
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    bars = base.mark_bar(cornerRadiusEnd=2, height={"band": 0.72}).encode(
        x=alt.X(
            "value:Q", title=f"{what}, {latest} ({shown})", axis=alt.Axis(format=AXIS_NUMBER, tickCount=6)
        ),
        color=alt.Color("group:N", scale=_GROUP_SCALE, legend=None),
    )
    labels = base.mark_text(align="left", dx=5, fontSize=11, color=INK).encode(x="label_x:Q", text="text:N")
    layers = bars + labels
    if previous is not None:
        ticks = (
            base.transform_filter("isValid(datum.previous)")
            .mark_tick(color=INK, thickness=2, size=16)
            .encode(x="previous:Q")
        )
        layers = layers + ticks
    chart = layers.properties(
        width=WIDTH,
        height=max(100, 24 * len(rows)),
        title=_title(
            f"{commodity_name}: {what.lower()} by country, {latest}", world_txt, f"Source: {source_label}"
        ),
    )
    return _config(chart)


def production_trend_chart(
    trend: pd.DataFrame, *, commodity_name: str, what: str = "Mine production", columns: int = 3
) -> Any:
    """Small multiples: production per country over time, one line per source (USGS editions, WMD).

    ``trend`` has columns panel (country name or "World"), year, value, unit, source_label; the panel
    order is the order of first appearance.
    """
    df = trend.dropna(subset=["value"]).copy()
    unit = str(df["unit"].dropna().iloc[0]) if df["unit"].notna().any() else ""
    panels = list(dict.fromkeys(df["panel"]))
    sources = list(dict.fromkeys(df["source_label"]))
    colors = [SOURCE_COLORS.get(s, "#7f8c8d") for s in sources]
    fmt = quantity_formatter(df["value"], unit)
    multiplier, shown = quantity_scale(df["value"], unit)
    df["text"] = [fmt(v) for v in df["value"]]
    df["value"] = df["value"] * multiplier  # every panel in the one unit of the labels
    base = alt.Chart(df[["panel", "year", "value", "source_label", "text"]]).encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0, labelOverlap="greedy")),
        y=alt.Y("value:Q", title=shown, axis=alt.Axis(format=AXIS_NUMBER, tickCount=4)),
        color=alt.Color(
            "source_label:N",
            title="Source",
            scale=alt.Scale(domain=sources, range=colors),
            legend=alt.Legend(),
        ),
        tooltip=[
            alt.Tooltip("panel:N", title="Country"),
            alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("text:N", title="Production"),
            alt.Tooltip("source_label:N", title="Source"),
        ],
    )
    layer = (base.mark_line(strokeWidth=2) + base.mark_point(filled=True, size=36)).properties(
        width=185, height=110
    )
    chart = (
        layer.facet(
            facet=alt.Facet(
                "panel:N", sort=panels, title=None, header=alt.Header(labelFontSize=12, labelColor=INK)
            ),
            columns=columns,
        )
        .resolve_scale(y="independent")
        .properties(
            title=_title(
                f"{commodity_name}: {what.lower()} trend by source",
                "Each USGS edition revises earlier years; World Mining Data has no world row (its 'World' line"
                " is the sum of countries)",
                "Sources: " + ", ".join(sources),
            )
        )
    )
    return _config(chart)


# --------------------------------------------------------------------------------------------------
# stage shares
# --------------------------------------------------------------------------------------------------
def concentration(shares: pd.DataFrame) -> pd.DataFrame:
    """Per stage: HHI (0-10,000), top-1 country and share, top-3 share, coverage of the listed shares.

    ``shares`` has columns stage, country, iso3, share_pct (one year and source per stage, see
    :func:`critmin.report.brief.select_stage_shares`). Rows without ISO3 ("Other", residuals) are not
    countries and are left out of HHI and top-k; ``hhi_lower_bound`` is true when the listed
    countries cover less than 99.5 % of the stage.
    """
    out = []
    for stage, grp in shares.groupby("stage", sort=False):
        countries = grp[grp["iso3"].notna()].sort_values("share_pct", ascending=False)
        coverage = float(grp["share_pct"].sum())
        top1 = countries.iloc[0] if len(countries) else None
        out.append(
            {
                "stage": stage,
                "hhi": hhi(countries["share_pct"]),
                "top1_country": None if top1 is None else _country_label(top1),
                "top1_iso3": None if top1 is None else top1["iso3"],
                "top1_pct": None if top1 is None else float(top1["share_pct"]),
                "top3_pct": float(countries["share_pct"].head(3).sum()),
                "n_countries": len(countries),
                "coverage_pct": coverage,
                "hhi_lower_bound": coverage < 99.5,
            }
        )
    return pd.DataFrame(out)


def stage_shares_chart(shares: pd.DataFrame, *, commodity_name: str) -> Any:
    """100 % stacked bars, one per stage, China highlighted; the unlisted remainder in light grey.

    ``shares`` has columns stage, stage_label (e.g. "Mining · 2024 · HHI 4,900"), country, iso3,
    share_pct, source_label.
    """
    df = shares.copy()
    labels = list(dict.fromkeys(df["stage_label"]))
    rows: list[dict[str, Any]] = []
    for label, grp in df.groupby("stage_label", sort=False):
        grp = grp.sort_values("share_pct", ascending=False)
        china = grp[grp["iso3"] == CHINA]
        others = grp[(grp["iso3"] != CHINA) & grp["iso3"].notna()]
        residual = grp[grp["iso3"].isna()]
        k = 0
        for _, r in pd.concat([china, others, residual]).iterrows():
            is_china = r["iso3"] == CHINA
            named = isinstance(r["iso3"], str) and r["iso3"]
            rows.append(
                {
                    "stage_label": label,
                    "country": _country_label(r),
                    "share": float(r["share_pct"]),
                    "group": "China" if is_china else ("Other countries" if named else "Other/unattributed"),
                    "k": k,
                    "source": r["source_label"],
                    "text": f"{_country_label(r)} {r['share_pct']:.0f}%",
                }
            )
            k += 1
        rest = 100.0 - float(grp["share_pct"].sum())
        if rest > 0.5:
            rows.append(
                {
                    "stage_label": label,
                    "country": "Not attributed by the source",
                    "share": rest,
                    "group": "Other/unattributed",
                    "k": k,
                    "source": grp["source_label"].iloc[0],
                    "text": "",
                }
            )
    data = pd.DataFrame(rows)
    # a label is drawn only where it fits inside its segment (about 6.5 px per character at 10 px)
    data["show"] = data["share"] * WIDTH / 100 >= data["text"].str.len() * 6.5 + 8
    base = alt.Chart(data).encode(
        y=alt.Y("stage_label:N", sort=labels, title=None, axis=alt.Axis(labelLimit=330, labelFontSize=12)),
        x=alt.X("share:Q", stack="zero", title="Share of world output (%)", scale=alt.Scale(domain=[0, 100])),
        order=alt.Order("k:Q"),
        tooltip=[
            alt.Tooltip("stage_label:N", title="Stage"),
            alt.Tooltip("country:N", title="Country"),
            alt.Tooltip("share:Q", title="Share (%)", format=".1f"),
            alt.Tooltip("source:N", title="Source"),
        ],
    )
    bars = base.mark_bar(stroke="white", strokeWidth=1, height={"band": 0.7}).encode(
        color=alt.Color(
            "group:N",
            title=None,
            scale=alt.Scale(
                domain=["China", "Other countries", "Other/unattributed"],
                range=[CHINA_COLOR, OTHER_COLOR, REST_COLOR],
            ),
        )
    )
    # centre the labels within their segment
    text = (
        alt.Chart(data)
        .transform_window(cum="sum(share)", frame=[None, 0], groupby=["stage_label"], sort=[{"field": "k"}])
        .transform_calculate(mid="datum.cum - datum.share / 2")
        .transform_filter(alt.datum.show)
        .mark_text(color="white", fontSize=10, fontWeight=600)
        .encode(y=alt.Y("stage_label:N", sort=labels), x="mid:Q", text="text:N")
    )
    chart = (bars + text).properties(
        width=WIDTH,
        height=max(90, 46 * len(labels)),
        title=_title(
            f"{commodity_name}: where each stage happens",
            "Latest year available per stage; shares as published (IEA/industry figures list only the largest"
            " countries)",
            "Sources: " + "; ".join(dict.fromkeys(df["source_label"])),
        ),
    )
    return _config(chart)


# --------------------------------------------------------------------------------------------------
# trade
# --------------------------------------------------------------------------------------------------
def trade_top_chart(
    flows: pd.DataFrame, *, side: str, commodity_name: str, year: int, source_label: str, top: int = 10
) -> Any:
    """Top exporters or importers (``side`` = "exporter" | "importer") in one year, stacked by HS code.

    ``flows`` has columns country (name), iso3, hs, hs_label, value_kusd (already restricted to ``year``
    and aggregated per country and HS code). China's name is drawn in red.
    """
    df = flows.copy()
    totals = df.groupby(["iso3", "country"])["value_kusd"].sum().reset_index()
    totals = totals.sort_values(by="value_kusd", ascending=False).head(top)
    keep = totals["iso3"].tolist()
    df = df[df["iso3"].isin(keep)].copy()
    df["order"] = df["iso3"].map({c: i for i, c in enumerate(keep)})
    divisor, axis_unit, usd = usd_scale(totals["value_kusd"])  # labels in the unit of the axis
    df["value_musd"] = df["value_kusd"] / divisor
    df["text"] = [usd(v) for v in df["value_kusd"]]
    tot = totals.assign(
        value_musd=totals["value_kusd"] / divisor,
        text=[usd(v) for v in totals["value_kusd"]],
        order=range(len(totals)),
    )
    hs_labels = list(dict.fromkeys(df.sort_values("hs")["hs_label"]))
    verb = "exporters" if side == "exporter" else "importers"
    sort = alt.EncodingSortField("order", op="min")
    y = alt.Y(
        "country:N",
        sort=sort,
        title=None,
        axis=alt.Axis(
            labelLimit=150,
            labelColor={"condition": {"test": "datum.value === 'China'", "value": CHINA_COLOR}, "value": INK},
            labelFontWeight={
                "condition": {"test": "datum.value === 'China'", "value": "bold"},
                "value": "normal",
            },
        ),
    )
    bars = (
        alt.Chart(df[["country", "hs_label", "value_musd", "order", "text"]])
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("sum(value_musd):Q", title=f"Trade value ({axis_unit})"),
            color=alt.Color(
                "hs_label:N",
                title="HS92 code",
                scale=alt.Scale(domain=hs_labels, range=HS_PALETTE[: max(1, len(hs_labels))]),
                legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=520),
            ),
            tooltip=[
                alt.Tooltip("country:N", title="Country"),
                alt.Tooltip("hs_label:N", title="Product"),
                alt.Tooltip("text:N", title="Value"),
            ],
        )
    )
    labels = (
        alt.Chart(tot[["country", "value_musd", "order", "text"]])
        .mark_text(align="left", dx=4, fontSize=10, color=INK)
        .encode(y=alt.Y("country:N", sort=sort), x="value_musd:Q", text="text:N")
    )
    chart = (bars + labels).properties(
        width=WIDTH - 140,
        height=max(120, 24 * len(totals)),
        title=_title(f"Top {verb} of {commodity_name.lower()}, {year}", f"Source: {source_label}"),
    )
    return _config(chart)


def importer_sources_chart(
    shares: pd.DataFrame, *, importer_name: str, commodity_name: str, source_label: str
) -> Any:
    """Normalised stacked bars per year: where an importer's imports come from (China in red).

    ``shares`` has columns year, partner (name; "Other" for the pooled rest), partner_iso3, value_kusd.
    """
    df = shares.copy()
    df["year"] = df["year"].astype(int)
    partners = (
        df[df["partner"] != "Other"]
        .groupby("partner")["value_kusd"]
        .sum()
        .sort_values(ascending=False)
        .index.tolist()
    )
    if "China" in partners:
        partners.remove("China")
        partners = ["China", *partners]
    domain = partners + (["Other"] if (df["partner"] == "Other").any() else [])
    palette = iter(COUNTRY_PALETTE)
    colors = [
        CHINA_COLOR if p == "China" else (REST_COLOR if p == "Other" else next(palette, OTHER_LIGHT))
        for p in domain
    ]
    df["k"] = df["partner"].map({p: i for i, p in enumerate(domain)})
    totals = df.groupby("year")["value_kusd"].transform("sum")
    df["share"] = df["value_kusd"] / totals
    df["text"] = [format_usd_kusd(v) for v in df["value_kusd"]]
    years = sorted(df["year"].unique())
    chart = (
        alt.Chart(df[["year", "partner", "value_kusd", "share", "k", "text"]])
        .mark_bar(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("share:Q", stack="normalize", title="Share of import value", axis=alt.Axis(format="%")),
            color=alt.Color("partner:N", title="Supplier", scale=alt.Scale(domain=domain, range=colors)),
            order=alt.Order("k:Q"),
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("partner:N", title="Supplier"),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
                alt.Tooltip("text:N", title="Value"),
            ],
        )
        .properties(
            width=WIDTH,
            height=220,
            title=_title(
                f"Where {importer_name} imports of {commodity_name.lower()} come from, {years[0]}–{years[-1]}",
                f"Source: {source_label}",
            ),
        )
    )
    return _config(chart)


# --------------------------------------------------------------------------------------------------
# export controls
# --------------------------------------------------------------------------------------------------
def measure_label(measure: str) -> str:
    """``"export_licence"`` → ``"Export licence"``."""
    return str(measure).replace("_", " ").capitalize()


def events_timeline_chart(events: pd.DataFrame, *, commodity_name: str, as_of: str, source_label: str) -> Any:
    """Timeline of measures: one dot per event at its effective (else announced) date, by country.

    ``events`` has columns event_id, date (ISO date string), country, measure, status, summary,
    in_force (bool, on ``as_of``). Filled dots are in force on ``as_of``; hollow ones are not; the dashed
    rule marks ``as_of``. Within a country the measure types are spread vertically so dots overlap less.
    """
    df = events.copy()
    df["date"] = pd.to_datetime(df["date"])
    df["in_force_label"] = [f"in force on {as_of}" if bool(b) else "not in force" for b in df["in_force"]]
    present = set(df["measure"])
    measures = [m for m in MEASURE_COLORS if m in present] + sorted(present - set(MEASURE_COLORS))
    labels = [measure_label(m) for m in measures]
    colors = [MEASURE_COLORS.get(m, "#a0a9b3") for m in measures]
    df["measure_label"] = df["measure"].map(measure_label)
    df["date_text"] = df["date"].dt.strftime("%Y-%m-%d")
    countries = (
        df.groupby("country")["date"].count().sort_values(ascending=False, kind="stable").index.tolist()
    )
    as_of_ts = pd.Timestamp(as_of)
    start = pd.Timestamp(year=int(min(df["date"].min(), as_of_ts).year), month=1, day=1)
    end = max(df["date"].max(), as_of_ts) + pd.Timedelta(days=200)
    recent_start = pd.Timestamp(year=end.year - 3, month=1, day=1)
    df["date"] = df["date"].dt.strftime("%Y-%m-%d")
    color_scale = alt.Scale(domain=labels, range=colors)
    legend = alt.Legend(columns=3, symbolStrokeWidth=2)
    fields = [
        "event_id",
        "date",
        "date_text",
        "country",
        "measure_label",
        "status",
        "summary",
        "in_force_label",
    ]
    rule_df = pd.DataFrame({"date": [as_of_ts.strftime("%Y-%m-%d")], "label": [f"as of {as_of}"]})
    height = max(70, min(44, 10 + 8 * len(measures)) * len(countries))

    def panel(first: pd.Timestamp, heading: str, step: int, rows_height: int = height) -> Any:
        x_scale = alt.Scale(domain=[first.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d")])
        shown = df[pd.to_datetime(df["date"]) >= first]
        points = (
            alt.Chart(shown[fields])
            .mark_point(size=90, strokeWidth=2, opacity=0.95, clip=True)
            .encode(
                x=alt.X(
                    "date:T",
                    title=None,
                    scale=x_scale,
                    axis=alt.Axis(
                        format="%Y" if step else "%b %Y",
                        tickCount={"interval": "year", "step": step}
                        if step
                        else {"interval": "month", "step": 6},
                        labelOverlap=True,
                    ),
                ),
                y=alt.Y(
                    "country:N", sort=countries, title=None, axis=alt.Axis(labelLimit=140, labelColor=INK)
                ),
                yOffset=alt.YOffset("measure_label:N", scale=alt.Scale(domain=labels, paddingOuter=0.5)),
                color=alt.Color("measure_label:N", title="Measure", scale=color_scale, legend=legend),
                fill=alt.condition(
                    alt.datum.in_force_label != "not in force",
                    alt.Fill("measure_label:N", title="Measure", scale=color_scale, legend=legend),
                    alt.value("white"),
                ),
                tooltip=[
                    alt.Tooltip("date_text:N", title="Date"),
                    alt.Tooltip("country:N", title="Country"),
                    alt.Tooltip("measure_label:N", title="Measure"),
                    alt.Tooltip("status:N", title="Status (latest)"),
                    alt.Tooltip("in_force_label:N", title="On the as-of date"),
                    alt.Tooltip("summary:N", title="Summary"),
                    alt.Tooltip("event_id:N", title="Event"),
                ],
            )
        )
        # an as-of date before this panel's start would be drawn left of the axis and stretch the figure
        rule_data = rule_df if as_of_ts >= first else rule_df.iloc[0:0]
        rule = (
            alt.Chart(rule_data)
            .mark_rule(color=INK, strokeDash=[4, 3])
            .encode(x=alt.X("date:T", scale=x_scale))
        )
        rule_text = (
            alt.Chart(rule_data)
            .mark_text(align="right", baseline="bottom", dx=-4, dy=-2, color=INK, fontSize=10)
            .encode(x=alt.X("date:T", scale=x_scale), y=alt.value(0), text="label:N")
        )
        return (rule + points + rule_text).properties(
            width=WIDTH,
            height=rows_height,
            title=alt.TitleParams(heading, fontSize=12, fontWeight="normal", color=MUTED, anchor="start"),
        )

    title = _title(
        f"Export controls and related measures affecting {commodity_name.lower()}",
        "Filled: in force on the as-of date; hollow: lifted, suspended, announced or not yet effective",
        f"Source: {source_label}",
    )
    if start < recent_start and (pd.to_datetime(df["date"]) >= recent_start).any():
        overview = panel(start, f"All measures, {start.year}–{end.year}", 2, max(60, 30 * len(countries)))
        detail = panel(recent_start, f"Since {recent_start.year}, in detail", 0)
        chart = alt.vconcat(overview, detail, spacing=28).properties(title=title)
    else:
        chart = panel(start, f"{start.year}–{end.year}", 1).properties(title=title)
    return _config(chart)


#: colours of the site types on the map (distinct from the blues of the choropleth)
_SITE_SCALE = alt.Scale(
    domain=["mine", "deposit", "district", "separation_plant", "refinery", "metal_plant", "magnet_plant"],
    range=["#c8102e", "#7a4fa3", "#b07aa1", "#e07b00", "#8c564b", "#2a7f62", "#111111"],
)


def world_topojson() -> dict[str, Any]:
    """Natural Earth 1:110m countries as TopoJSON (npm ``world-atlas``, vendored in ``critmin/data/geo``)."""
    import json
    from pathlib import Path

    path = Path(__file__).parents[1] / "data" / "geo" / "countries-110m.json"
    topo: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return topo


def world_map_chart(
    values: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    commodity_name: str,
    what: str,
    source_label: str,
    sites_label: str,
) -> Any:
    """A world choropleth of ``values`` by country with ``sites`` as points coloured by type (offline).

    ``values`` has iso3, country, value, unit (one edition; the world row ``WLD`` gives the shares);
    countries are joined to the map's shapes by ISO 3166 numeric code (:func:`critmin.vocab.iso_numeric_codes`).
    ``sites`` has name, site_type, status, country, latitude, longitude (may be empty). The world outline is
    inlined, so the chart needs no network.
    """
    from critmin import vocab

    df = values.dropna(subset=["value"])
    unit = _unit_of(df)
    world = df.loc[df["iso3"] == "WLD", "value"]
    world_total = float(world.iloc[0]) if len(world) else None
    codes = vocab.iso_numeric_codes()
    countries = df[df["iso3"].isin(list(codes))].copy()
    fmt = quantity_formatter(countries["value"], unit)
    multiplier, shown = quantity_scale(countries["value"], unit)
    countries["id"] = countries["iso3"].map(codes)
    countries["text"] = [
        fmt(v) + (f" ({share_text(v / world_total)} of the world)" if world_total else "")
        for v in countries["value"]
    ]
    countries["value"] = countries["value"] * multiplier
    lookup = countries[["id", "country", "value", "text"]]
    shapes = alt.InlineData(
        values=world_topojson(), format=alt.DataFormat(type="topojson", feature="countries")
    )
    # the outline is decoration (aria=False); the filled countries and the sites carry the data
    outline = alt.Chart(shapes).mark_geoshape(fill="#e6eaee", stroke="#ffffff", strokeWidth=0.4, aria=False)
    filled = (
        alt.Chart(shapes)
        .transform_lookup(lookup="id", from_=alt.LookupData(lookup, "id", ["country", "value", "text"]))
        .transform_filter("isValid(datum.value)")
        .mark_geoshape(stroke="#ffffff", strokeWidth=0.4)
        .encode(
            color=alt.Color(
                "value:Q",
                scale=alt.Scale(scheme="blues"),
                title=f"{what} ({shown})",
                legend=alt.Legend(format=AXIS_NUMBER),
            ),
            tooltip=[alt.Tooltip("country:N", title="Country"), alt.Tooltip("text:N", title=what)],
        )
    )
    layers = [outline, filled]
    points = sites.dropna(subset=["latitude", "longitude"]) if len(sites) else sites
    if len(points):
        data = points[["name", "site_type", "status", "country", "latitude", "longitude"]].copy()
        data["type"] = data["site_type"].str.replace("_", " ")
        rank = {t: i for i, t in enumerate(_SITE_SCALE.domain)}
        data["major"] = ~data["site_type"].isin(["deposit", "district"])  # mines and plants drawn on top
        data = data.sort_values("site_type", key=lambda col: col.map(rank).fillna(len(rank)))
        data = pd.concat([data[~data["major"]], data[data["major"]]])
        data["size"] = data["major"].map({True: 42, False: 14})
        layers.append(
            alt.Chart(data)
            .mark_point(filled=True, opacity=0.9, stroke="#ffffff", strokeWidth=0.5)
            .encode(
                longitude="longitude:Q",
                latitude="latitude:Q",
                color=alt.Color("site_type:N", scale=_SITE_SCALE, title="Sites by type"),
                size=alt.Size("size:Q", scale=None, legend=None),
                tooltip=[
                    alt.Tooltip("name:N", title="Site"),
                    alt.Tooltip("type:N", title="Type"),
                    alt.Tooltip("status:N", title="Status"),
                    alt.Tooltip("country:N", title="Country"),
                ],
            )
        )
    n_sites = f"{len(points):,} located sites" if len(points) else "no located sites"
    chart = (
        alt.layer(*layers)
        .resolve_scale(color="independent")
        .project(type="equalEarth")
        .properties(
            width=WIDTH,
            height=int(WIDTH * 0.5),
            title=_title(
                f"{commodity_name}: {what.lower()} by country and {n_sites}",
                f"Source, countries: {source_label}",
                f"Source, sites: {sites_label}",
            ),
        )
    )
    return _config(chart)
