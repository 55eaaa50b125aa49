"""``critmin risk``: every method from the command line, JSON records, the ranking table and its chart."""

from __future__ import annotations

import json
import re

import pytest
import typer
from typer.testing import CliRunner

from critmin import risk
from critmin.cli import risk_cmd
from critmin.cli.common import summarise_warnings
from critmin.risk import MissingInputWarning

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


# --- warnings: one line per kind, --quiet, --verbose ------------------------------------------------------
def _warning_lines(stderr: str) -> list[str]:
    return [line.removeprefix("warning: ") for line in stderr.splitlines() if line.startswith("warning: ")]


def test_warnings_of_one_kind_are_summarised_in_one_line():
    kind = [
        MissingInputWarning(f"{m} extraction: no data; skipped", "no data; stage skipped", f"{m} extraction")
        for m in "ABCDE"
    ]
    alone = MissingInputWarning("one of a kind")
    messages: list[Warning] = [*kind, alone, MissingInputWarning("one of a kind")]
    assert summarise_warnings(messages) == [
        "no data; stage skipped (5): A extraction; B extraction; C extraction; … and 2 more (--verbose lists them)",
        "one of a kind",
    ]
    assert summarise_warnings(messages, verbose=True) == [*(str(w) for w in kind), "one of a kind"]
    assert summarise_warnings(kind[:1]) == [str(kind[0])]  # a kind with one case keeps its full message


EU_SEVERAL = ["aluminium", "antimony", "beryllium", "boron", "cobalt"]


def test_eu_warnings_summarised_by_default_every_one_with_verbose_none_with_quiet(app):
    with pytest.warns(MissingInputWarning) as record:
        risk.eu_supply_risk(EU_SEVERAL)
    distinct = list(dict.fromkeys(str(w.message) for w in record))
    args = ["risk", "-m", "eu", *(a for c in EU_SEVERAL for a in ("-c", c))]
    default, verbose, quiet = (runner.invoke(app, [*args, *extra]) for extra in ([], ["-v"], ["-q"]))
    assert default.exit_code == verbose.exit_code == quiet.exit_code == 0, default.output
    assert sorted(_warning_lines(verbose.stderr)) == sorted(distinct)
    summary = _warning_lines(default.stderr)
    assert 0 < len(summary) < len(distinct) and len(set(summary)) == len(summary)
    assert "(--verbose lists them)" in default.stderr
    assert quiet.stderr == "" and quiet.stdout == default.stdout


def test_readme_eu_ranking_prints_a_short_warning_summary(app, tmp_path):
    """`critmin risk table --method eu --chart …` printed 110 warning lines, one per case."""
    result = runner.invoke(
        app, ["risk", "table", "--method", "eu", "--chart", str(tmp_path / "x.html")], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    lines = _warning_lines(result.stderr)
    assert 0 < len(lines) <= 12 and len(set(lines)) == len(lines)
    _assert_fits_80_columns(result.stdout, risk_cmd.TABLE_COLUMNS["eu_table"])


# --- terminal tables at 80 columns ------------------------------------------------------------------------
def _assert_fits_80_columns(stdout: str, key_columns: list[str]) -> None:
    """No line wider than 80, no exponent, no word cut ("…"), and every key column's header shown."""
    lines = stdout.splitlines()
    assert lines and max(len(line.rstrip()) for line in lines) <= 80, max(lines, key=len)
    assert not re.search(r"\d[eE][-+]?\d", stdout)
    assert "…" not in stdout
    header = stdout.split("─")[0]
    for column in key_columns:
        assert all(word in header for word in column.split("_")), column


@pytest.mark.parametrize(
    ("args", "method"),
    [
        (["risk", "-m", "hhi", "-c", "rare-earths", "-c", "platinum-group-metals"], "hhi"),
        (["risk", "-m", "eu", "-c", "cobalt", "-c", "heavy-rare-earths"], "eu"),
        (["risk", "-m", "geopolrisk", "-c", "cobalt", "--year", "2022"], "geopolrisk"),
        (["risk", "-m", "usgs", "-c", "gallium", "-c", "rare-earths", "--country", "JPN"], "usgs"),
        (["risk", "table", "-m", "geopolrisk"], "geopolrisk"),
        (["risk", "table", "-m", "hhi"], "hhi"),
    ],
)
def test_risk_tables_fit_80_columns(app, args, method):
    result = runner.invoke(app, [*args, "--quiet"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    _assert_fits_80_columns(result.stdout, risk_cmd.TABLE_COLUMNS[method])


def test_wide_shows_every_column_uncut(app):
    records = _json(app, "-m", "usgs", "-c", "gallium")
    result = runner.invoke(
        app, ["risk", "-m", "usgs", "-c", "gallium", "--wide", "-q"], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[1]
    assert all(column.replace("_", " ") in header for column in records[0]), header
    assert "…" not in result.stdout
    assert not re.search(r"\d[eE][-+]?\d", result.stdout)
