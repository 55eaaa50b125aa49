"""``critmin data`` and ``critmin db`` through the Typer app."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.store import Store

runner = CliRunner()


def test_data_show_json_contract(built_store: Store) -> None:
    result = runner.invoke(
        app,
        [
            "data",
            "show",
            "rare-earths",
            "--what",
            "production",
            "--year",
            "2024",
            "--edition",
            "2025",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {"country", "iso3", "year", "value", "unit", "source"} <= set(rows[0])
    by_iso = {r["iso3"]: r for r in rows}
    assert by_iso["WLD"]["value"] == 390000
    assert by_iso["CHN"]["value"] == 270000
    assert all(r["year"] == 2024 for r in rows)


def test_data_show_reserves_csv(built_store: Store) -> None:
    result = runner.invoke(
        app, ["data", "show", "rare-earths", "--what", "reserves", "--edition", "2025", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert "China,CHN,2024,44000000" in result.stdout


def test_unknown_commodity_is_a_clear_error(built_store: Store) -> None:
    result = runner.invoke(app, ["data", "show", "galium"])
    assert result.exit_code == 2
    assert "unknown commodity 'galium'" in result.output
    assert "gallium" in result.output


def test_data_list_and_db_info(built_store: Store) -> None:
    listed = runner.invoke(app, ["data", "list", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    names = {r["name"] for r in json.loads(listed.stdout)}
    assert {"usgs_mcs", "baci_trade", "wgi", "events"} <= names
    info = runner.invoke(app, ["db", "info", "--format", "json"])
    assert info.exit_code == 0
    assert any(r["name"] == "usgs_mcs" for r in json.loads(info.stdout))
    path = runner.invoke(app, ["db", "path"])
    assert path.stdout.strip() == str(built_store.path)


def test_table_output_is_readable_with_sources_below(built_store: Store) -> None:
    result = runner.invoke(app, ["data", "show", "rare-earths", "--what", "reserves", "--edition", "2025"])
    assert result.exit_code == 0, result.output
    assert "44,000,000" in result.stdout
    assert "Source: https://doi.org/10.5066/P13XCP3R" in result.stdout


def test_reserves_not_published_are_said_so(built_store: Store) -> None:
    result = runner.invoke(app, ["data", "show", "gallium", "--what", "reserves"])
    assert result.exit_code == 0, result.output
    assert "No reserves figures published for gallium" in result.stdout


def test_data_commodities_lists_the_vocabulary(built_store: Store) -> None:
    result = runner.invoke(app, ["data", "commodities", "--format", "json"])
    assert result.exit_code == 0
    ids = {r["id"] for r in json.loads(result.stdout)}
    assert {"rare-earths", "gallium", "neodymium", "dysprosium"} <= ids


# --- terminal tables at 80 columns ------------------------------------------------------------------------
def _assert_fits_80_columns(stdout: str) -> None:
    """No line wider than 80 (but a URL alone on its line, kept whole), no exponent, no word cut."""
    lines = [line.rstrip() for line in stdout.splitlines()]
    wide = [line for line in lines if len(line) > 80 and not re.fullmatch(r"\s*\w+://\S+", line)]
    assert lines and not wide, wide
    assert not re.search(r"\d[eE][-+]?\d", stdout)
    assert "…" not in stdout


@pytest.mark.parametrize(
    "args",
    [
        ["data", "list"],
        ["data", "show", "rare-earths"],
        ["data", "show", "gallium", "--what", "reserves"],
        ["data", "show", "rare-earths", "--source", "wmd"],
        ["data", "commodities"],
        ["db", "info"],
    ],
)
def test_tables_fit_80_columns(built_store: Store, args: list[str]) -> None:
    result = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    _assert_fits_80_columns(result.stdout)


def test_data_list_keeps_every_url_whole(built_store: Store) -> None:
    listed = json.loads(runner.invoke(app, ["data", "list", "--format", "json"]).stdout)
    urls = {r["url"] for r in listed if r["url"]}
    table = runner.invoke(app, ["data", "list"], env={"COLUMNS": "80"})
    assert urls and table.exit_code == 0
    lines = {line.strip() for line in table.stdout.splitlines()}
    assert urls <= lines  # each on a line of its own, never split


def test_wide_shows_every_column(built_store: Store) -> None:
    key = runner.invoke(app, ["data", "commodities"], env={"COLUMNS": "80"})
    wide = runner.invoke(app, ["data", "commodities", "--wide"], env={"COLUMNS": "80"})
    assert key.exit_code == wide.exit_code == 0
    fields = json.loads(runner.invoke(app, ["data", "commodities", "--format", "json"]).stdout)[0]
    head = wide.stdout.splitlines()[1]
    assert all(f.replace("_", " ") in head for f in fields), head
    assert "hs codes" not in key.stdout.splitlines()[1]


def test_table_numbers_never_use_exponents() -> None:
    from critmin.cli.common import number_text

    assert number_text(1e-7) == "<0.000001" and number_text(-1e-9) == ">-0.000001"
    assert number_text(0.000123456) == "0.0001235"
    assert number_text(5.35678) == "5.357"
    assert number_text(2.5e12) == "2,500,000,000,000"
    assert number_text(2024, grouped=False) == "2024" and number_text(736659) == "736,659"
