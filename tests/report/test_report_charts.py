"""Charts of the brief, on small frames: valid Vega-Lite, the right rows, China highlighted, sources named."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from critmin.report import charts


def _datasets(spec: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return list(spec.get("datasets", {}).values())


def _rows_with(spec: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The inline data rows (of any dataset in the spec) that have ``key``."""
    return [row for data in _datasets(spec) for row in data if key in row]


def _subtitle(spec: dict[str, Any]) -> str:
    title = spec.get("title", {})
    sub = title.get("subtitle", [])
    return " ".join(sub) if isinstance(sub, list) else str(sub)


# --- pure helpers ------------------------------------------------------------------------------------
def test_hhi_bounds_and_known_values() -> None:
    assert charts.hhi([100]) == 10_000
    assert charts.hhi([50, 50]) == 5_000
    assert charts.hhi([25] * 4) == 2_500
    assert charts.hhi([60, float("nan"), 40]) == 60**2 + 40**2
    assert charts.hhi([]) == 0


def test_hhi_is_permutation_invariant() -> None:
    shares = [68.5, 11.4, 7.9, 3.3, 3.3, 3.3, 0.7]
    assert charts.hhi(shares) == pytest.approx(charts.hhi(list(reversed(shares))))


@pytest.mark.parametrize(
    ("values", "unit", "value", "expected"),
    [
        ([44e6, 90e6], "t REO", 44e6, "44 Mt REO"),
        ([44e6, 90e6], "t REO", 890_000, "0.89 Mt REO"),
        ([270_000, 390_000], "t REO", 270_000, "270,000 t REO"),
        ([270_000], "t REO", 2_900, "2,900 t REO"),
        ([750_000], "kg", 750_000, "750 t"),
        ([300], "kg", 300, "300 kg"),
        ([1_230], "kt", 1_230, "1,230,000 t"),
        ([5], "metr. t", 5, "5 t"),
        ([5], "carats", 5, "5 carats"),
    ],
)
def test_quantity_formatter(values: list[float], unit: str, value: float, expected: str) -> None:
    assert charts.quantity_formatter(values, unit)(value) == expected


def test_format_helpers() -> None:
    assert charts.format_usd_kusd(488_800) == "$488.8 M"
    assert charts.format_usd_kusd(1_400_000) == "$1.40 B"
    assert charts.format_usd_kusd(99) == "$99 k"
    assert charts.share_text(0.004) == "<1%"
    assert charts.share_text(0.69) == "69%"
    assert charts.format_quantity(None, "t") == "n/a"


def test_short_source_names_the_publication() -> None:
    long = "derived: 270,000 / 393,950 t from USGS Mineral Commodity Summaries 2025, Rare Earths, https://x"
    assert charts.short_source(long) == "USGS Mineral Commodity Summaries 2025"
    assert charts.short_source(
        "IEA Global Critical Minerals Outlook 2024 as reported by https://a.b [secondary]"
    ) == ("IEA Global Critical Minerals Outlook 2024 (secondary report)")
    assert charts.short_source("x" * 100).endswith("…")
    assert charts.short_source(None) == "unknown source"


def test_concentration_leaves_residuals_out_and_flags_partial_coverage() -> None:
    shares = pd.DataFrame(
        {
            "stage": ["mining", "mining", "mining", "refining", "refining"],
            "country": ["China", "United States", "Other", "China", "Malaysia"],
            "iso3": ["CHN", "USA", None, "CHN", "MYS"],
            "share_pct": [70.0, 20.0, 10.0, 92.0, 5.0],
        }
    )
    out = charts.concentration(shares).set_index("stage")
    assert out.loc["mining", "hhi"] == 70**2 + 20**2
    assert out.loc["mining", "top1_country"] == "China"
    assert out.loc["mining", "top3_pct"] == 90.0
    assert not out.loc["mining", "hhi_lower_bound"]
    assert out.loc["refining", "hhi_lower_bound"]
    assert out.loc["refining", "coverage_pct"] == 97.0


# --- charts ------------------------------------------------------------------------------------------
RESERVES = pd.DataFrame(
    {
        "country": ["China", "Brazil", "India", "Australia", "Other countries", "World total"],
        "iso3": ["CHN", "BRA", "IND", "AUS", None, "WLD"],
        "value": [44e6, 21e6, 6.9e6, 5.7e6, 1e6, 90e6],
        "unit": "t REO",
    }
)


def test_reserves_chart_sorted_with_world_total_and_source() -> None:
    spec = charts.reserves_chart(
        RESERVES, commodity_name="Rare earths", source_label="USGS MCS 2025"
    ).to_dict()
    rows = sorted(_rows_with(spec, "order"), key=lambda r: r["order"])
    assert [r["label"] for r in rows] == ["China", "Brazil", "India", "Australia", "Other countries"]
    assert rows[0]["group"] == "China" and rows[-1]["group"] == "Rest"
    assert rows[0]["text"] == "44 Mt REO  (49%)"
    assert "World total: 90 Mt REO" in _subtitle(spec)
    assert "Source: USGS MCS 2025" in _subtitle(spec)
    assert charts.CHINA_COLOR in json.dumps(spec)


def test_reserves_chart_pools_countries_beyond_top() -> None:
    spec = charts.reserves_chart(RESERVES, commodity_name="X", source_label="S", top=2).to_dict()
    rows = sorted(_rows_with(spec, "order"), key=lambda r: r["order"])
    assert [r["label"] for r in rows] == ["China", "Brazil", "Other countries"]
    assert rows[-1]["value"] == pytest.approx((6.9e6 + 5.7e6 + 1e6) / 1e6)  # drawn in Mt, as labelled


def test_production_bar_chart_latest_year_with_previous_ticks() -> None:
    prod = pd.DataFrame(
        {
            "year": [2023, 2024, 2023, 2024, 2023, 2024],
            "country": ["China", "China", "Burma", "Burma", "World total", "World total"],
            "iso3": ["CHN", "CHN", "MMR", "MMR", "WLD", "WLD"],
            "value": [255e3, 270e3, 43e3, 31e3, 376e3, 390e3],
            "unit": "t REO",
            "estimated": [False, True, False, True, False, True],
        }
    )
    spec = charts.production_bar_chart(
        prod, commodity_name="Rare earths", source_label="USGS MCS 2025"
    ).to_dict()
    rows = {r["label"]: r for r in _rows_with(spec, "previous")}
    assert rows["China"]["value"] == 270e3 and rows["China"]["previous"] == 255e3
    assert rows["China"]["text"] == "270,000 t REO  (69%)"
    assert "all 2024 figures are USGS estimates" in _subtitle(spec)
    assert "2024" in spec["title"]["text"]


def test_trend_chart_one_colour_per_source() -> None:
    trend = pd.DataFrame(
        {
            "panel": ["China"] * 4 + ["World"] * 2,
            "year": [2022, 2023, 2023, 2024, 2018, 2019],
            "value": [210e3, 240e3, 255e3, 270e3, 2e5, 2.2e5],
            "unit": "t REO",
            "source_label": ["USGS MCS 2024"] * 2 + ["USGS MCS 2025"] * 2 + ["World Mining Data"] * 2,
        }
    )
    spec = charts.production_trend_chart(trend, commodity_name="Rare earths").to_dict()
    text = json.dumps(spec)
    for label in ("USGS MCS 2024", "USGS MCS 2025", "World Mining Data"):
        assert charts.SOURCE_COLORS[label] in text
    assert "Sources: USGS MCS 2024, USGS MCS 2025, World Mining Data" in _subtitle(spec)


# --- one unit per chart: the axis title, the drawn values and the labels agree -----------------------
def _encoding_titles(spec: Any) -> list[str]:
    """Every x/y encoding title in a (possibly layered or faceted) spec."""
    found: list[str] = []
    if isinstance(spec, dict):
        for channel in ("x", "y"):
            enc = spec.get("encoding", {}).get(channel)
            if isinstance(enc, dict) and isinstance(enc.get("title"), str):
                found.append(enc["title"])
        for value in spec.values():
            found += _encoding_titles(value)
    elif isinstance(spec, list):
        for item in spec:
            found += _encoding_titles(item)
    return found


def _axis_formats(spec: Any) -> list[str]:
    """Every axis number format in a spec."""
    if isinstance(spec, dict):
        own = [spec["format"]] if "format" in spec and "labelAngle" not in spec else []
        return own + [f for v in spec.values() for f in _axis_formats(v)]
    if isinstance(spec, list):
        return [f for v in spec for f in _axis_formats(v)]
    return []


def _label(text: str) -> tuple[float, str]:
    """``"900 t  (99%)"`` → ``(900.0, "t")``; ``"$1,230 M"`` → ``(1230.0, "M")``."""
    number, _, unit = text.split("  (")[0].lstrip("$").partition(" ")
    return float(number.replace(",", "")), unit


GALLIUM_KG = pd.DataFrame(
    {
        "year": [2024, 2025, 2024, 2025, 2024, 2025, 2024, 2025],
        "country": ["China", "China", "Russia", "Russia", "Japan", "Japan", "World total", "World total"],
        "iso3": ["CHN", "CHN", "RUS", "RUS", "JPN", "JPN", "WLD", "WLD"],
        "value": [750_000, 890_000, 5_000, 6_000, 3_000, 3_000, 760_000, 900_000],
        "unit": "kg",
        "estimated": False,
    }
)


def test_production_bars_in_kg_are_drawn_and_labelled_in_tonnes() -> None:
    """The gallium brief labelled bars "900 t" on an axis titled in kg with SI-prefixed ticks."""
    spec = charts.production_bar_chart(GALLIUM_KG, commodity_name="Gallium", source_label="S").to_dict()
    (title,) = [t for t in _encoding_titles(spec) if "production" in t.lower()]
    assert title.endswith("(t)")
    assert "~s" not in _axis_formats(spec) and charts.AXIS_NUMBER in _axis_formats(spec)
    rows = _rows_with(spec, "previous")
    assert len(rows) == 3
    for row in rows:
        number, unit = _label(row["text"])
        assert unit == "t" and number == pytest.approx(row["value"], rel=0.01)
        assert row["previous"] < row["label_x"] or row["previous"] == pytest.approx(row["label_x"])
    china = next(r for r in rows if r["label"] == "China")
    assert china["value"] == pytest.approx(890) and china["previous"] == pytest.approx(750)
    assert "World total 2025: 900 t" in _subtitle(spec)


@pytest.mark.parametrize(
    ("values", "unit", "axis_unit"),
    [
        ([44e6, 21e6, 1e6, 90e6], "t REO", "Mt REO"),
        ([4e5, 1e5, 5e3, 6e5], "t", "t"),
        ([300, 200, 1, 600], "kg", "kg"),
    ],
)
def test_reserves_axis_and_labels_share_one_unit(values: list[float], unit: str, axis_unit: str) -> None:
    frame = pd.DataFrame(
        {
            "country": ["China", "Brazil", "India", "World total"],
            "iso3": ["CHN", "BRA", "IND", "WLD"],
            "value": values,
            "unit": unit,
        }
    )
    spec = charts.reserves_chart(frame, commodity_name="X", source_label="S").to_dict()
    assert _encoding_titles(spec)[0] == f"Reserves ({axis_unit})"
    for row in _rows_with(spec, "order"):
        number, shown = _label(row["text"])
        assert shown == axis_unit and number == pytest.approx(row["value"], rel=0.01)


def test_trend_chart_panels_share_the_unit_of_their_labels() -> None:
    trend = pd.DataFrame(
        {
            "panel": ["China", "China", "Japan", "Japan", "World", "World"],
            "year": [2024, 2025, 2024, 2025, 2024, 2025],
            "value": [750_000, 890_000, 3_000, 3_000, 760_000, 900_000],
            "unit": "kg",
            "source_label": "USGS MCS 2026",
        }
    )
    spec = charts.production_trend_chart(trend, commodity_name="Gallium").to_dict()
    assert "t" in _encoding_titles(spec)
    rows = _rows_with(spec, "text")
    assert len(rows) == 6
    for row in rows:
        number, unit = _label(row["text"])
        assert unit == "t" and number == pytest.approx(row["value"], rel=0.01)


@pytest.mark.parametrize(("scale", "suffix"), [(1.0, "k"), (1e4, "M")])
def test_trade_labels_are_in_the_unit_of_the_axis(scale: float, suffix: str) -> None:
    flows = pd.DataFrame(
        {
            "country": ["China", "China", "Japan", "Estonia"],
            "iso3": ["CHN", "CHN", "JPN", "EST"],
            "hs": ["284690", "280530", "284690", "284690"],
            "hs_label": ["284690 compounds", "280530 metals", "284690 compounds", "284690 compounds"],
            "value_kusd": [v * scale for v in (120.0, 30.0, 0.5, 12.0)],
        }
    )
    spec = charts.trade_top_chart(
        flows, side="exporter", commodity_name="Rare earths", year=2024, source_label="BACI"
    ).to_dict()
    (title,) = [t for t in _encoding_titles(spec) if t.startswith("Trade value")]
    assert title.endswith("(million USD)" if suffix == "M" else "(thousand USD)")
    labelled = [r for r in _rows_with(spec, "text") if "hs_label" not in r]  # the bar-end totals
    assert {r["country"] for r in labelled} == {"China", "Japan", "Estonia"}
    assert {_label(r["text"])[1] for r in _rows_with(spec, "text")} == {suffix}
    for row in labelled:
        assert _label(row["text"])[0] == pytest.approx(row["value_musd"], rel=0.01)


def test_stage_shares_chart_china_first_and_remainder() -> None:
    shares = pd.DataFrame(
        {
            "stage": ["mining", "mining", "refining"],
            "stage_label": ["Mining · 2024", "Mining · 2024", "Refining · 2023"],
            "country": ["United States", "China", "China"],
            "iso3": ["USA", "CHN", "CHN"],
            "share_pct": [11.4, 68.5, 92.0],
            "source_label": ["USGS", "USGS", "IEA"],
        }
    )
    spec = charts.stage_shares_chart(shares, commodity_name="Rare earths").to_dict()
    rows = _rows_with(spec, "k")
    mining = sorted((r for r in rows if r["stage_label"] == "Mining · 2024"), key=lambda r: r["k"])
    assert mining[0]["group"] == "China"
    assert mining[-1]["country"] == "Not attributed by the source"
    assert mining[-1]["share"] == pytest.approx(100 - 68.5 - 11.4)
    assert "Sources: USGS; IEA" in _subtitle(spec)


def test_trade_top_chart_limits_to_top_and_highlights_china() -> None:
    flows = pd.DataFrame(
        {
            "country": [f"C{i}" for i in range(12)] + ["China"],
            "iso3": [f"C{i:02d}" for i in range(12)] + ["CHN"],
            "hs": "284690",
            "hs_label": "284690 compounds",
            "value_kusd": [float(i) for i in range(12)] + [100.0],
        }
    )
    spec = charts.trade_top_chart(
        flows, side="exporter", commodity_name="Rare earths", year=2024, source_label="BACI"
    ).to_dict()
    labelled = _rows_with(spec, "text")
    countries = {r["country"] for r in labelled}
    assert len(countries) == 10 and "China" in countries and "C0" not in countries
    assert "datum.value === 'China'" in json.dumps(spec)
    assert "Top exporters of rare earths, 2024" in spec["title"]["text"]


def test_importer_sources_chart_shares_sum_to_one_per_year() -> None:
    shares = pd.DataFrame(
        {
            "year": [2023, 2023, 2024, 2024, 2024],
            "partner": ["China", "Japan", "China", "Estonia", "Other"],
            "partner_iso3": ["CHN", "JPN", "CHN", "EST", None],
            "value_kusd": [100.0, 20.0, 120.0, 30.0, 5.0],
        }
    )
    spec = charts.importer_sources_chart(
        shares, importer_name="United States", commodity_name="Rare earths", source_label="BACI"
    ).to_dict()
    rows = _rows_with(spec, "share")
    for year in (2023, 2024):
        assert sum(r["share"] for r in rows if r["year"] == year) == pytest.approx(1.0)
    color = spec["encoding"]["color"]["scale"]
    assert color["domain"][0] == "China" and color["range"][0] == charts.CHINA_COLOR
    assert color["domain"][-1] == "Other"


def test_events_timeline_fills_only_measures_in_force() -> None:
    events = pd.DataFrame(
        {
            "event_id": ["a", "b"],
            "date": ["2010-07-01", "2025-04-04"],
            "country": ["China", "China"],
            "measure": ["export_quota", "export_licence"],
            "status": ["lifted", "in_force"],
            "summary": ["x", "y"],
            "in_force": [False, True],
        }
    )
    spec = charts.events_timeline_chart(
        events, commodity_name="Rare earths", as_of="2025-06-01", source_label="R"
    )
    out = spec.to_dict()
    rows = {r["event_id"]: r for r in _rows_with(out, "event_id")}
    assert rows["a"]["in_force_label"] == "not in force"
    assert rows["b"]["in_force_label"] == "in force on 2025-06-01"
    assert rows["b"]["measure_label"] == "Export licence"
    assert "as of 2025-06-01" in json.dumps(out)
    # events 15 years apart: an overview panel and a detail panel of the last years
    assert len(out["vconcat"]) == 2
    recent = charts.events_timeline_chart(
        events.iloc[1:], commodity_name="Rare earths", as_of="2025-06-01", source_label="R"
    ).to_dict()
    assert "vconcat" not in recent


def test_every_chart_compiles_with_vl_convert() -> None:
    """The specs are valid for the bundled Vega-Lite (vl-convert compiles them to Vega)."""
    import vl_convert as vlc

    from critmin.report.brief import _vl_version

    spec = charts.reserves_chart(RESERVES, commodity_name="X", source_label="S").to_dict()
    kwargs = {"vl_version": _vl_version()} if _vl_version() else {}
    vega = vlc.vegalite_to_vega(spec, **kwargs)
    assert vega["marks"]


def test_events_timeline_with_an_early_as_of_date_keeps_its_width() -> None:
    """An as-of date before the detail panel must not be drawn left of its axis (it stretched the SVG)."""
    import re

    import vl_convert as vlc

    events = pd.DataFrame(
        {
            "event_id": ["a", "b"],
            "date": ["2010-07-01", "2024-01-01"],
            "country": ["China", "China"],
            "measure": ["export_quota", "export_ban"],
            "status": ["lifted", "in_force"],
            "summary": ["x", "y"],
            "in_force": [False, True],
        }
    )
    widths = {}
    for as_of in ("2011-03-01", "2025-06-01"):
        chart = charts.events_timeline_chart(
            events, commodity_name="Rare earths", as_of=as_of, source_label="R"
        )
        svg = vlc.vegalite_to_svg(chart.to_dict())
        widths[as_of] = float(re.search(r'<svg[^>]* width="([\d.]+)"', svg).group(1))  # type: ignore[union-attr]
    assert widths["2011-03-01"] == pytest.approx(widths["2025-06-01"], abs=50)  # was 2,444 vs 666 px
