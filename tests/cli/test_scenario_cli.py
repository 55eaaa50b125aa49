"""``critmin scenario run``: tables and report.html from a spec, --from-event with known and unknown ids."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from critmin.cli import scenario_cmd

runner = CliRunner()
EXAMPLE = Path(__file__).parents[2] / "examples" / "scenarios" / "heavy-rare-earths-licensing-2025.toml"


@pytest.fixture(scope="module")
def app(built_store) -> typer.Typer:
    """The ``scenario`` group on an app of its own (``critmin.cli.main`` registers it the same way)."""
    app = typer.Typer()
    scenario_cmd.register(app)

    @app.command()
    def noop() -> None:  # a second command keeps Typer from collapsing the group into the app
        """Nothing."""

    return app


def _self_contained(html: str) -> bool:
    return not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", html, flags=re.IGNORECASE)


def test_run_writes_tables_and_report(app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["scenario", "run", str(EXAMPLE), "--draws", "30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert _self_contained(html) and "rare-earths-flows" in html
    assert (out / "shortfall.parquet").is_file() and (out / "notes.csv").is_file()
    # the example sets stocks and the price series only: the rest is named as documented defaults
    said = " ".join(result.output.split())
    assert "documented defaults" in said and "rerouting" in said and "ramp" in said
    assert "response.rerouting" in set(pd.read_csv(out / "notes.csv")["item"])


def test_from_event_licence_states_its_assumption(app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "ev"
    args = [
        "scenario",
        "run",
        "--from-event",
        "CHN-20250404-7-REE-LICENCE",
        "--draws",
        "20",
        "--out",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    notes = pd.read_csv(out / "notes.csv")
    shock = notes[notes["item"] == "restriction"].iloc[0]
    assert "assumption" in shock["method"] and "licence delay of 2 months" in shock["method"]
    assert "CHN-20250404-7-REE-LICENCE" in shock["source"]
    assert "covers samarium" in shock["method"]  # elements modelled on the rare-earth network, said so
    assert _self_contained((out / "report.html").read_text(encoding="utf-8"))


def test_from_event_ban_has_severity_one() -> None:
    from critmin.scenario.events import spec_from_event

    spec, notes = spec_from_event("CHN-20241203-US-GA-GE-SB-BAN")
    # germanium has a network since its world volume comes from the calibration capacity table
    assert {r.commodity for r in spec.restriction} == {"gallium", "germanium", "antimony"}
    assert all(r.severity == 1.0 and r.targets == ["USA"] and r.start == "2024-12" for r in spec.restriction)
    assert not any("not modelled" in n["method"] for n in notes)


def test_from_event_unknown_id_is_one_error_line_with_suggestions(app: typer.Typer, tmp_path: Path) -> None:
    args = ["scenario", "run", "--from-event", "CHN-20250404-7-REE-LICENSE", "--out", str(tmp_path / "x")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: unknown event id")
    assert "CHN-20250404-7-REE-LICENCE" in lines[0]


def test_spec_and_event_together_is_an_error(app: typer.Typer, tmp_path: Path) -> None:
    args = ["scenario", "run", str(EXAMPLE), "--from-event", "X", "--out", str(tmp_path / "x")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "error: give either" in result.output
