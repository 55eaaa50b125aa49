"""The HTML report of a scenario run: one self-contained file whose every chart has data, units and sources."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from critmin.report.scenario import ScenarioReport, build_report, parameters_table, write_report
from critmin.scenario import Scenario, ScenarioResult

EXAMPLE = Path(__file__).parents[2] / "examples" / "scenarios" / "heavy-rare-earths-licensing-2025.toml"


@pytest.fixture(scope="module")
def run(built_store: object) -> tuple[Scenario, ScenarioResult]:
    scenario = Scenario.from_toml(EXAMPLE)
    return scenario, scenario.run(draws=40, seed=3)


@pytest.fixture(scope="module")
def report(run: tuple[Scenario, ScenarioResult]) -> ScenarioReport:
    return build_report(run[1], run[0])


def test_every_chart_has_data_units_and_sources(report: ScenarioReport) -> None:
    names = {f.name for f in report.figures}
    assert {
        "rare-earths-flows",
        "rare-earths-shortfall",
        "rare-earths-shortfall-months",
        "rare-earths-prices",
    } <= names
    for fig in report.figures:
        spec = fig.spec(validate=True)
        assert spec["datasets"] and all(len(rows) > 0 for rows in spec["datasets"].values()), fig.name
        subtitle = " ".join(spec["title"]["subtitle"])
        assert "Unit:" in subtitle, fig.name
        assert fig.sources, fig.name


def test_flows_explain_the_missing_sankey_and_balance(report: ScenarioReport, run) -> None:
    fig = next(f for f in report.figures if f.name == "rare-earths-flows")
    assert "no Sankey mark" in fig.caption
    flows = run[1].flows
    # mass is conserved per importer group between the panels
    by = flows.groupby("target")[["baseline", "shocked"]].sum()
    assert (abs(by["baseline"] - by["shocked"]) < 1e-6 * by["baseline"].max()).all()


def test_notes_mark_proportional_allocations(report: ScenarioReport) -> None:
    notes = next(s for s in report.sections if s.id == "notes")
    table = notes.tables[0]
    allocation = [row[-1] for row in table.rows]
    assert "proportional" in allocation  # the magnet stage has no BACI data


def test_parameters_carry_the_comments_of_the_spec(run) -> None:
    rows = {r[0]: r for r in parameters_table(run[0]).rows}
    assert "Sprecher" in rows["response: ramp"][2]
    assert "Sprecher" in rows["response: substitution"][2]  # the comment block above, in the same table
    assert rows["prices: cap_multiple"][2].startswith("not set in the spec")


EXAMPLES = sorted(EXAMPLE.parent.glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_runs(path: Path, built_store: object) -> None:
    result = Scenario.from_toml(path).run(draws=0)
    assert not result.flows.empty and not result.notes.empty


def test_report_file_is_self_contained(report: ScenarioReport, tmp_path: Path) -> None:
    out = write_report(report, tmp_path / "report.html")
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", html, flags=re.IGNORECASE)
    assert "vegaEmbed" in html
    specs = json.loads(re.search(r'id="critmin-specs">(.*?)</script>', html, flags=re.S).group(1))
    assert set(specs) == {f.name for f in report.figures}
    assert "Notes and sources" in html and "Which data each part" in html
