"""The registry commands on a private store: list, add, edit, history, as-recorded reads, export/import."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.store import Store

runner = CliRunner()


def _json(args: list[str]) -> list[dict]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_contract_on_a_date(store: Store) -> None:
    rows = _json(["events", "--commodity", "holmium", "--as-of", "2026-03-01", "--format", "json"])
    rec = next(r for r in rows if r["event_id"] == "CHN-20251009-5-REE-LICENCE")
    for key in ("event_id", "iso3", "measure", "commodity_ids", "target", "announced", "effective_from",
                "effective_to", "status", "relations", "in_force", "in_force_reason", "sources"):  # fmt: skip
        assert key in rec
    assert rec["in_force"] is False and rec["target"] == "all" and "holmium" in rec["commodity_ids"]
    susp = next(r for r in rows if r["event_id"] == "CHN-20251107-SUSPENSION-OCT-CONTROLS")
    assert {"type": "suspends", "event_id": "CHN-20251009-5-REE-LICENCE"} in susp["relations"]
    assert any("chemradar" in u for u in susp["sources"])


def test_edit_is_recorded_and_past_reads_show_the_old_value(store: Store) -> None:
    result = runner.invoke(app, ["events", "edit", "NAM-20230608-UNPROCESSED-MINERALS-BAN", "--set",
                                 "effective_from=2023-06-08", "--source", "https://example.org/gazette",
                                 "--by", "alice"])  # fmt: skip
    assert result.exit_code == 0, result.output
    hist = _json(["events", "history", "NAM-20230608-UNPROCESSED-MINERALS-BAN", "--format", "json"])
    last = hist[-1]
    assert (last["field"], last["old_value"], last["new_value"], last["by"]) == (
        "effective_from", "", "2023-06-08", "user:alice")  # fmt: skip
    args = [
        "events",
        "--issuer",
        "NAM",
        "--provenance",
        "critmin",
        "--as-of",
        "2024-01-01",
        "--format",
        "json",
    ]
    assert _json(args)[0]["in_force"] is True
    before = _json([*args, "--as-recorded", "2026-11-30"])
    assert before[0]["in_force"] is None
    assert not store.imports().empty  # registry edits keep the store from being rebuilt


def test_malformed_file_is_refused_whole(store: Store, tmp_path: Path) -> None:
    good = {"event_id": "USA-20990101-TEST", "iso3": "USA", "measure": "export_ban", "target": "all",
            "status": "announced", "source_url": "https://example.org/x", "commodities": "gallium"}  # fmt: skip
    bad = {**good, "event_id": "USA-20990102-TEST", "effective_from": "2025-05-01", "effective_to": "2025-01-01",
           "relations": [{"type": "suspends", "event_id": "NOPE"}]}  # fmt: skip
    path = tmp_path / "new.json"
    path.write_text(json.dumps([good, bad]))
    result = runner.invoke(app, ["events", "add", str(path), "--by", "user:bob"])
    assert result.exit_code == 2
    assert "row 2 (USA-20990102-TEST): effective_to: 2025-01-01 is before effective_from" in result.output
    path.write_text(json.dumps([good, {**bad, "effective_to": "2025-06-01"}]))
    result = runner.invoke(app, ["events", "add", str(path), "--by", "user:bob"])
    assert (
        result.exit_code == 2
        and "row 2" in result.output
        and "suspends:NOPE points to no event" in result.output
    )
    assert not any(
        r["event_id"] == "USA-20990101-TEST" for r in _json(["events", "--issuer", "USA", "--format", "json"])
    )


def test_export_import_round_trip_with_schema(store: Store, tmp_path: Path) -> None:
    from frictionless import Resource, Schema

    out = tmp_path / "registry.csv"
    assert runner.invoke(app, ["events", "export", str(out), "--provenance", "critmin"]).exit_code == 0
    schema = json.loads((tmp_path / "registry.csv.schema.json").read_text())
    resource = Resource(path=out.name, basepath=str(tmp_path), schema=Schema.from_descriptor(schema))
    assert resource.validate().valid
    text = out.read_text().replace("export_quota", "export_quotaa", 1)
    broken = tmp_path / "broken.csv"
    broken.write_text(text)
    result = runner.invoke(app, ["events", "import", str(broken)])
    assert result.exit_code == 2 and "measure" in result.output
    result = runner.invoke(app, ["events", "import", str(out)])
    assert result.exit_code == 0 and "imported 0 new or changed" in result.output


def test_table_fits_80_columns_with_whole_ids(store: Store) -> None:
    """The terminal table keeps every event id whole and every line within 80 columns."""
    ids = [
        r["event_id"] for r in _json(["events", "--as-of", "2025-12-01", "--in-force", "--format", "json"])
    ]
    result = runner.invoke(app, ["events", "--as-of", "2025-12-01", "--in-force"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert all(any(line.startswith(i) for line in lines) for i in ids)
    assert "…" not in result.stdout


def test_as_recorded_before_the_history_starts_is_an_error(store: Store) -> None:
    """A recording date before the registry's first record names where its history starts (no empty list)."""
    result = runner.invoke(app, ["events", "--as-recorded", "2025-10-01", "--as-of", "2025-10-01"])
    assert result.exit_code == 2, result.output
    assert "history starts on 2026-11-28" in result.output
