"""``critmin risk``: every method from the command line, JSON records, the ranking table and its chart."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from critmin.cli import risk_cmd

runner = CliRunner()


@pytest.fixture(scope="module")
def app(built_store) -> typer.Typer:
    """The ``risk`` group on an app of its own (``critmin.cli.main`` registers it the same way)."""
    app = typer.Typer()
    risk_cmd.register(app)

    @app.command()
    def noop() -> None:  # a second command keeps Typer from collapsing the group into the app
        """Nothing."""

    return app


def _json(app: typer.Typer, *args: str) -> list[dict]:
    result = runner.invoke(app, ["risk", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


LEAD = ["method", "commodity", "country", "year", "stage", "value"]


def test_hhi_json(app):
    records = _json(app, "--method", "hhi", "--commodity", "rare-earths")
    assert records and all(list(r)[:6] == LEAD for r in records)
    rec = records[-1]
    assert rec["method"] == "hhi" and rec["country"] is None and rec["commodity"] == "rare-earths"
    assert 0 < rec["value"] <= 1 and rec["value"] == rec["hhi"]
    assert isinstance(rec["shares"], dict) and rec["shares"]["CHN"] > 0.5


def test_eu_json_has_inputs(app):
    records = _json(app, "-m", "eu", "-c", "graphite")
    rec = records[0]
    assert rec["method"] == "eu_sr" and rec["stage"] == "extraction" and rec["year"] == 2024
    for key in ("hhi_wgi_t_gs", "import_reliance", "eol_rir", "si_sr", "gs_shares", "wgi_scaled"):
        assert key in rec


def test_geopolrisk_json(app):
    records = _json(app, "-m", "geopolrisk", "-c", "cobalt", "--country", "Japan", "--year", "2022")
    assert len(records) == 1
    rec = records[0]
    assert rec["country"] == "JPN" and rec["year"] == 2022 and 0 < rec["value"] < 1
    assert rec["value"] == rec["geopolrisk"] and rec["cf"] > 0


def test_usgs_json(app):
    records = _json(app, "-m", "usgs", "-c", "graphite", "--country", "USA", "--year", "2024")
    rec = records[0]
    assert rec["method"] == "usgs" and rec["country"] == "USA"
    assert rec["value"] == pytest.approx(rec["disruption_potential"] * rec["trade_exposure"])


def test_table_and_csv_formats(app):
    table = runner.invoke(app, ["risk", "-m", "hhi", "-c", "gallium"])
    assert table.exit_code == 0 and "hhi" in table.stdout
    csv = runner.invoke(app, ["risk", "-m", "hhi", "-c", "gallium", "--format", "csv"])
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0].startswith("method,commodity")


def test_unknown_commodity_is_a_clear_error(app):
    result = runner.invoke(app, ["risk", "-m", "eu", "-c", "unobtainium"])
    assert result.exit_code == 2
    assert "unknown commodity" in result.output and "did you mean" in result.output.lower()


def test_missing_input_is_a_clear_error(app):
    result = runner.invoke(app, ["risk", "-m", "usgs", "-c", "cobalt", "--year", "1999"])
    assert result.exit_code == 2 and "missing input" in result.output


def test_ranking_table_with_criticality_chart(app, tmp_path):
    chart = tmp_path / "matrix.html"
    result = runner.invoke(
        app, ["risk", "table", "--method", "eu", "--chart", str(chart), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    srs = [r["value"] for r in records if r["value"] is not None]
    assert srs == sorted(srs, reverse=True) and len(records) > 30
    assert {"sr", "ei", "critical", "sr_published", "ei_published"} <= set(records[0])
    html = chart.read_text(encoding="utf-8")
    assert "<script" in html and "EI = 2.8" in html and "SR = 1" in html
    assert "cdn.jsdelivr" not in html  # self-contained: vega is bundled


def test_ranking_png_chart(app, tmp_path):
    chart = tmp_path / "geo.png"
    result = runner.invoke(
        app, ["risk", "table", "-m", "geopolrisk", "--country", "JPN", "--chart", str(chart)]
    )
    assert result.exit_code == 0, result.output
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_main_app_registers_risk():
    from critmin.cli.main import app as main_app

    result = runner.invoke(main_app, ["risk", "--help"])
    assert result.exit_code == 0 and "--method" in result.output
