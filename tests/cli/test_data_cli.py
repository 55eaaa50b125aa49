"""``critmin data`` and ``critmin db`` through the Typer app."""

from __future__ import annotations

import json

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
