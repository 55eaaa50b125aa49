"""build_brief / write_brief: sections, empty-section messages, offline HTML, PNG export."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from critmin.report import brief as brief_mod
from critmin.report.brief import Brief, build_brief, select_stage_shares, write_brief

SECTION_IDS = ["reserves", "production", "stages", "trade", "controls", "risk", "whatif", "sources"]


def _section(b: Brief, sid: str) -> brief_mod.Section:
    return next(s for s in b.sections if s.id == sid)


def _facts(b: Brief) -> dict[str, str]:
    return {f.label: f.value for f in b.facts}


# --- with a stand-in API -------------------------------------------------------------------------------
def test_build_brief_sections_and_figures(fake_api: Any) -> None:
    b = build_brief("rare-earths", as_of="2025-06-01", api=fake_api)
    assert [s.id for s in b.sections] == SECTION_IDS
    names = [f.name for f in b.figures]
    assert names == [
        "reserves",
        "reserves-map",
        "production",
        "production-trend",
        "stage-shares",
        "trade-top-exporters",
        "trade-top-importers",
        "importer-sources",
        "controls-timeline",
    ]
    assert b.edition == 2025
    assert b.as_of == dt.date(2025, 6, 1)
    assert b.importer_name == "United States"
    facts = _facts(b)
    assert facts["China's share of reserves"] == "49%"
    assert facts["China's share of mine production"] == "69%"
    assert facts["Measures in force on 2025-06-01"] == "2"
    # every figure carries its source, both in the chart subtitle and as the rows' source strings
    for fig in b.figures:
        assert fig.sources, fig.name
        subtitle = " ".join(fig.spec(validate=True)["title"]["subtitle"])
        assert "Source" in subtitle, fig.name


def test_country_names_come_from_the_vocabulary(fake_api: Any) -> None:
    b = build_brief("rare-earths", as_of="2025-06-01", api=fake_api)
    text = json.dumps(_section(b, "production").figures[0].spec())
    assert "Myanmar" in text and "Burma" not in text


def test_stage_section_picks_latest_year_per_stage_and_skips_projections(fake_api: Any) -> None:
    b = build_brief("rare-earths", as_of="2025-06-01", api=fake_api)
    table = _section(b, "stages").tables[0]
    by_stage = {row[0]: row for row in table.rows}
    assert list(by_stage) == ["Mining", "Separation/refining", "Magnets"]
    assert by_stage["Mining"][2] == "2024"
    assert by_stage["Separation/refining"][2] == "2023"  # the 2030 projection is not used
    assert by_stage["Separation/refining"][5] == f"≥ {92**2 + 5**2:,}"
    assert by_stage["Mining"][5] == f"{68.5**2 + 11.4**2:,.0f}"


def test_select_stage_shares_reports_competing_same_year_figures() -> None:
    shares = pd.DataFrame(
        {
            "stage": ["anode", "anode", "mining"],
            "stage_detail": ["anode (report A)", "anode (report B)", "mining"],
            "country": ["China"] * 3,
            "iso3": ["CHN"] * 3,
            "share_pct": [90.0, 99.0, 77.0],
            "year": [2024, 2024, 2023],
            "source": ["IEA GCMO 2025 as reported by a", "IEA GCMO 2025 as reported by b", "USGS"],
        }
    )
    chosen, notes = select_stage_shares(shares, 2025)
    assert sorted(chosen["stage"]) == ["anode", "mining"]
    assert len(notes) == 1 and "China 90%" in notes[0]
    chosen_early, _ = select_stage_shares(shares, 2023)
    assert list(chosen_early["stage"]) == ["mining"]


def test_sections_without_data_say_so(make_api: Any) -> None:
    b = build_brief("rare-earths", as_of="2025-06-01", api=make_api(with_reserves=False, with_trade=False))
    assert _section(b, "reserves").empty == "No USGS reserves data for rare earths."
    assert "No BACI trade data for rare earths" in str(_section(b, "trade").empty)
    assert not _section(b, "reserves").figures


def test_gallium_has_no_hs_code_and_says_so(fake_api: Any) -> None:
    b = build_brief("gallium", as_of="2025-06-01", api=fake_api)
    assert "No HS92 code isolates gallium" in str(_section(b, "trade").empty)


def test_risk_hook_shows_what_critmin_risk_summary_returns(
    fake_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import critmin.risk

    seen: dict[str, Any] = {}

    def summary(commodity: str, importer: str | None = None) -> pd.DataFrame:
        seen.update(commodity=commodity, importer=importer)
        return pd.DataFrame(
            {
                "method": ["concentration", "concentration", "eu"],
                "metric": ["HHI", "CR1", "SR"],
                "country": [None, None, None],
                "value": [0.4924, 0.69, float("nan")],
                "notes": ["a; a; b", "", "no SI_SR"],
                "source": ["USGS MCS 2025", "USGS MCS 2025", "EU 2023"],
            }
        )

    monkeypatch.setattr(critmin.risk, "summary", summary, raising=False)
    b = build_brief("rare-earths", as_of="2025-06-01", api=fake_api, with_risk=True)
    risk = _section(b, "risk")
    assert seen == {"commodity": "rare-earths", "importer": "USA"}
    assert risk.empty is None
    concentration, eu = risk.tables
    assert concentration.title.startswith("Concentration") and not concentration.collapsed
    assert concentration.columns == ["Metric", "Value", "Notes"]  # the empty Importer column is dropped
    assert concentration.rows == [["HHI", "0.492", "a; b"], ["CR1", "0.690", ""]]
    assert eu.rows == [["SR", "n/a", "no SI_SR"]]
    assert concentration.sources == ["USGS MCS 2025"]


def test_risk_hook_failure_is_reported_not_raised(fake_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import critmin.risk

    def summary(commodity: str) -> pd.DataFrame:
        raise RuntimeError("boom")

    monkeypatch.setattr(critmin.risk, "summary", summary, raising=False)
    b = build_brief("rare-earths", as_of="2025-06-01", api=fake_api, with_risk=True)
    assert _section(b, "risk").empty == "Risk indicators could not be computed: RuntimeError: boom"
    assert len(b.figures) == 9  # the rest of the brief is intact


def test_without_risk_hook_the_section_says_so(fake_api: Any) -> None:
    b = build_brief("rare-earths", as_of="2025-06-01", api=fake_api)  # stand-in API: hook not called
    assert _section(b, "risk").empty == "Risk indicators are not available in this version of critmin."


def test_unknown_commodity_suggests_names(fake_api: Any) -> None:
    from critmin.vocab import UnknownNameError

    with pytest.raises(UnknownNameError) as info:
        build_brief("galium", api=fake_api)
    assert "gallium" in info.value.suggestions


def test_write_brief_is_self_contained(fake_api: Any, tmp_path: Path) -> None:
    b = build_brief("rare-earths", as_of="2025-06-01", api=fake_api)
    out = tmp_path / "deep" / "brief.html"
    written = write_brief(b, out)
    assert written == [out]
    text = out.read_text(encoding="utf-8")
    # no external resources in the markup (script bodies removed: the Vega bundle mentions <img src=)
    markup = re.sub(r"(<script[^>]*>).*?(</script>)", r"\1\2", text, flags=re.S | re.I)
    assert not re.search(r"<(script|img|iframe|source|video|audio)[^>]+src=", markup, re.I)
    assert not re.search(r"<link[^>]+href=", markup, re.I)
    assert "@import" not in markup and "url(" not in markup
    assert "window.vegaEmbed" in text  # the inlined bundle
    for fig in b.figures:
        assert f'id="chart-{fig.name}"' in text
    # the specs are embedded as JSON and parse back
    m = re.search(r'<script type="application/json" id="critmin-specs">(.*?)</script>', text, re.S)
    assert m is not None
    specs = json.loads(m.group(1))
    assert list(specs) == [f.name for f in b.figures]
    # sections without data stay, with their message
    import html

    for sec in b.sections:
        assert f'id="{sec.id}"' in text
        if sec.empty:
            assert html.escape(sec.empty) in text


def test_write_brief_escapes_text(fake_api: Any, tmp_path: Path) -> None:
    b = build_brief("rare-earths", as_of="2025-06-01", api=fake_api)
    b.sections[0].notes.append("<script>alert(1)</script>")
    text = (write_brief(b, tmp_path / "b.html")[0]).read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_write_brief_png(fake_api: Any, tmp_path: Path) -> None:
    b = build_brief("rare-earths", as_of="2025-06-01", api=fake_api)
    written = write_brief(b, tmp_path / "b.html", tmp_path / "png")
    pngs = written[1:]
    assert [p.name for p in pngs] == [f"rare-earths-{f.name}.png" for f in b.figures]
    for p in pngs:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert p.stat().st_size > 5_000


def test_script_safe_escapes_closing_tags() -> None:
    assert "</script" not in brief_mod._script_safe('x = "</script><b>";')


# --- against the real store ----------------------------------------------------------------------------
@pytest.mark.usefixtures("built_store")
def test_rare_earth_brief_from_the_store_mcs2025() -> None:
    b = build_brief("rare-earths", edition=2025, as_of="2025-06-01")
    facts = _facts(b)
    # MCS 2025: reserves China 44 Mt of >90 Mt; 2024 production China 270,000 of 390,000 t REO
    assert facts["China's share of reserves"] == "49%"
    assert facts["China's share of mine production"] == "69%"
    assert "270,000 t REO of 390,000 t REO" in next(f.detail for f in b.facts if "mine production" in f.label)
    assert all(s.empty is None for s in b.sections if s.id not in {"risk"})
    assert len(b.figures) >= 8
    for fig in b.figures:
        fig.spec(validate=True)  # valid Vega-Lite
    trade = _section(b, "trade")
    assert any("Largest exporter in 2024" in p for p in trade.intro)
    whatif = _section(b, "whatif")  # the default scenario (data/vocab/scenario_defaults.toml), run once
    assert [f.name for f in whatif.figures] == ["whatif-shortfall"]
    assert any(
        "would be short of" in p and "heavy-rare-earths-licensing-2025.toml" in p for p in whatif.intro
    )


@pytest.mark.usefixtures("built_store")
def test_commodity_without_default_scenario_says_so() -> None:
    sec = brief_mod._whatif_section("tungsten", "Tungsten", run=True)
    assert sec.empty and "No default scenario for tungsten" in sec.empty and not sec.figures


@pytest.mark.usefixtures("built_store")
@pytest.mark.filterwarnings(
    "error::FutureWarning", "error::DeprecationWarning", "error::RuntimeWarning", "ignore::UserWarning"
)
def test_risk_tables_carry_per_row_notes_and_no_library_warning() -> None:
    """The risk summary runs in a worker thread while the other sections are built: a pandas warning of
    either thread once became a note on every row, and every GeoPolRisk row carried the notes of 2010–2017."""
    b = build_brief("rare-earths", as_of="2025-06-01")
    risk = _section(b, "risk")
    assert risk.tables, risk.empty  # a library warning raised in the worker would have emptied it
    for table in risk.tables:
        notes = [row[table.columns.index("Notes")] for row in table.rows] if "Notes" in table.columns else []
        for note in notes:
            assert not re.search(r"Warning|Downcasting|deprecated|encountered in", note), note
        if table.title.startswith("GeoPolRisk"):
            years = {row[table.columns.index("Year")] for row in table.rows}
            assert len(years) == 1 and notes
            assert all("2010–2017" not in n and "2012←" not in n for n in notes), notes


@pytest.mark.usefixtures("built_store")
@pytest.mark.parametrize("commodity", ["gallium", "germanium", "graphite", "antimony", "tungsten"])
def test_other_commodities_build_and_render(commodity: str, tmp_path: Path) -> None:
    b = build_brief(commodity, as_of="2025-06-01")
    for sec in b.sections:
        assert sec.figures or sec.tables or sec.empty, sec.id
    for fig in b.figures:
        fig.spec(validate=True)  # valid Vega-Lite
    out = write_brief(b, tmp_path / f"{commodity}.html")[0]
    assert out.stat().st_size > 100_000


@pytest.mark.usefixtures("built_store")
def test_germanium_brief_says_what_is_missing() -> None:
    b = build_brief("germanium", as_of="2025-06-01")
    assert _section(b, "reserves").empty == "No USGS reserves data for germanium."


def test_hhi_uses_published_shares_when_a_source_lists_only_the_largest_countries() -> None:
    assert brief_mod._hhi([50.0, 50.0], complete=True) == pytest.approx(5_000)
    # incomplete: not renormalised to the listed countries (that would give 6,250)
    assert brief_mod._hhi([60.0, 20.0], complete=False) == pytest.approx(4_000)


@pytest.mark.usefixtures("built_store")
def test_group_member_points_to_the_group_brief() -> None:
    b = build_brief("neodymium", as_of="2025-06-01")
    assert "`critmin brief rare-earths`" in b.notice
    assert b.figures  # the export-control timeline still names neodymium measures


@pytest.mark.usefixtures("built_store")
def test_past_as_of_uses_end_dates_and_lists_undated_measures_apart() -> None:
    past = _section(build_brief("rare-earths", as_of="2011-03-01"), "controls")
    in_force = next(t for t in past.tables if t.caption.startswith("Measures in force"))
    assert any("14,446 t" in cell for row in in_force.rows for cell in row)  # the first-half 2011 quota
    assert not any("7,976 t" in cell for row in in_force.rows for cell in row)  # H2 2010 quota ended
    recent = _section(build_brief("rare-earths", as_of="2025-12-01"), "controls")
    unknown = next(t for t in recent.tables if "is unknown" in t.caption)
    assert any("IREL" in cell for row in unknown.rows for cell in row)  # no effective date
