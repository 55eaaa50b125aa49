"""``critmin news ingest|review|accept|reject`` and ``critmin watch`` on a private store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.store import Store

runner = CliRunner()
ZW = {"title": "Zimbabwe bans lithium", "url": "https://news.example.org/zw1", "published": "2031-03-04",
      "text": "Zimbabwe's government on Tuesday banned exports of lithium concentrates with immediate effect, "
              "the mines ministry said in Harare."}  # fmt: skip


def _jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(ZW) + "\n" + "{broken\n", encoding="utf-8")
    return path


def test_ingest_review_accept(store: Store, tmp_path: Path) -> None:
    result = runner.invoke(app, ["news", "ingest", str(_jsonl(tmp_path))])
    assert result.exit_code == 0, result.output
    assert (
        "1 new article(s)" in result.stdout
        and "1 new" in result.stdout
        and "line 2: not JSON" in result.stderr
    )
    again = runner.invoke(app, ["news", "ingest", str(_jsonl(tmp_path))])
    assert "0 new article(s), 1 already stored" in again.stdout
    rows = json.loads(runner.invoke(app, ["news", "review", "--format", "json"]).stdout)
    (prop,) = rows
    assert prop["kind"] == "new" and prop["record"]["iso3"] == "ZWE" and "banned" in prop["evidence"]
    assert prop["candidate"]["commodities"] == ["lithium"]
    done = runner.invoke(
        app, ["news", "accept", prop["proposal_id"], "--by", "ana", "--set", "summary=checked"]
    )
    assert done.exit_code == 0, done.output
    event_id = done.stdout.split(" as ")[1].strip()
    shown = json.loads(runner.invoke(app, ["events", "show", event_id, "--format", "json"]).stdout)[0]
    assert shown["summary"] == "checked" and "https://news.example.org/zw1" in shown["sources"]
    assert json.loads(runner.invoke(app, ["news", "review", "--format", "json"]).stdout) == []
    twice = runner.invoke(app, ["news", "reject", prop["proposal_id"], "--by", "ana"])
    assert twice.exit_code == 2 and "already accepted" in twice.stderr


def test_review_table_is_plain_text_within_80_columns(store: Store, tmp_path: Path) -> None:
    """The terminal view prints the evidence whole, as text (console markup in news stays literal)."""
    article = dict(ZW, text=ZW["text"].replace("Tuesday", "Tuesday [bold]really[/bold]"))
    path = tmp_path / "b.jsonl"
    path.write_text(json.dumps(article) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["news", "ingest", str(path)]).exit_code == 0
    shown = runner.invoke(app, ["news", "review"], env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    text = " ".join(line.strip() for line in lines)
    assert "[bold]really[/bold]" in text and "ZWE export_ban (new): lithium" in text
    assert "https://news.example.org/zw1" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["news", "ingest", "file:///etc/passwd"], "only http and https"),
        (["news", "ingest", "http://127.0.0.1:9/feed"], "loopback"),
        (["news", "ingest", "missing.xml"], "no such file"),
        (["news", "ingest", "x.txt", "--kind", "pdf"], "--kind"),
        (["news", "accept", "PNOSUCH", "--by", "ana"], "proposal"),
        (["news", "accept", "PNOSUCH", "--by", "ana", "--set", "oops"], "FIELD=VALUE"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_2(store: Store, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output


def test_a_hostile_feed_leaves_the_store_as_it_was(store: Store, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                    "<rss><channel><item><title>&b;</title></item></channel></rss>", encoding="utf-8")  # fmt: skip
    before = len(store.imports())
    result = runner.invoke(app, ["news", "ingest", str(bomb)])
    assert result.exit_code == 2 and "refused XML" in result.stderr
    assert len(store.imports()) == before


def test_watch_once_alerts_once(store: Store, tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{_jsonl(tmp_path)}\n", encoding="utf-8")
    alerts = tmp_path / "alerts.jsonl"
    args = ["watch", "--feeds", str(feeds), "--once", "--alerts", str(alerts), "--min-confidence", "0.5"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "ALERT ZWE new export_ban" in first.stdout and "importers exposed" in first.stdout
    second = runner.invoke(app, args)
    assert "0 alert(s)" in second.stdout and len(alerts.read_text().splitlines()) == 1
    for bad, message in ((["--every", "1s"], "at least 1m"), (["--webhook", "ftp://x/y"], "only http")):
        result = runner.invoke(app, [*args[:3], *bad])
        assert result.exit_code == 2 and message in result.stderr
