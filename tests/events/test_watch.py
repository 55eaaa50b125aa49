"""Watch rounds: alerts for high-confidence new measures and accepted proposals, never twice; webhook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from critmin.events import resolve, watch
from critmin.store import Store

ZW = {"title": "Zimbabwe bans lithium", "url": "https://news.example.org/zw1", "published": "2031-03-04",
      "text": "Zimbabwe's government on Tuesday banned exports of lithium concentrates with immediate effect, "
              "the mines ministry said in Harare."}  # fmt: skip
PRICE = {"title": "p", "url": "https://news.example.org/px", "published": "2031-03-04",
         "text": "Lithium prices rose 3% on Tuesday in thin trading."}  # fmt: skip


def _feed(tmp_path: Path, *records: dict) -> str:
    path = tmp_path / "articles.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def test_parse_every_and_feeds_file(tmp_path: Path) -> None:
    assert watch.parse_every("1h") == 3600 and watch.parse_every("30m") == 1800
    for bad in ("fast", "10s", "1w"):
        with pytest.raises(ValueError):
            watch.parse_every(bad)
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("# mine\nhttps://a.example/rss\n\n feeds/b.xml  # local\n", encoding="utf-8")
    assert watch.read_feeds(feeds) == ["https://a.example/rss", "feeds/b.xml"]
    feeds.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no feeds"):
        watch.read_feeds(feeds)


def test_a_round_alerts_once_with_exposure(store: Store, tmp_path: Path) -> None:
    feed = _feed(tmp_path, ZW, PRICE)
    alerts = tmp_path / "alerts.jsonl"
    first = watch.run_once([feed], alerts_path=alerts, min_confidence=0.5, store=store)
    (alert,) = first.alerts
    assert (
        alert["issuer"] == "ZWE" and alert["measure"] == "export_ban" and alert["commodities"] == ["lithium"]
    )
    (lithium,) = alert["exposure"]
    assert 0 < lithium["issuer_share_of_world_production"] < 1
    assert lithium["controlled_share_after"] >= lithium["controlled_share_before"]
    assert lithium["importers_exposed"] and {"iso3", "value_kusd"} <= set(lithium["importers_exposed"][0])
    again = watch.run_once([feed], alerts_path=alerts, min_confidence=0.5, store=store)
    assert again.alerts == [] and len(alerts.read_text().splitlines()) == 1


def test_a_commodity_without_trade_codes_still_alerts(store: Store, tmp_path: Path) -> None:
    """Gallium has no HS code in BACI: the alert comes, with no importers listed, instead of stopping the round."""
    gallium = {"title": "g", "url": "https://news.example.org/ga", "published": "2031-03-04",
               "text": "China banned exports of gallium to the United States with immediate effect, the "
                       "commerce ministry said on Tuesday."}  # fmt: skip
    result = watch.run_once([_feed(tmp_path, gallium)], alerts_path=tmp_path / "a.jsonl", store=store)
    (alert,) = result.alerts
    (exposure,) = alert["exposure"]
    assert exposure["commodity"] == "gallium" and exposure["importers_exposed"] == []
    assert exposure["issuer_share_of_world_production"] > 0.5


def test_low_confidence_waits_for_accept_then_alerts(store: Store, tmp_path: Path) -> None:
    feed = _feed(tmp_path, ZW)
    alerts = tmp_path / "alerts.jsonl"
    assert watch.run_once([feed], alerts_path=alerts, min_confidence=1.0, store=store).alerts == []
    (pid,) = resolve.proposals(resolve.PENDING, store=store)["proposal_id"]
    resolve.accept(pid, by="user:ana", store=store)
    (alert,) = watch.run_once([feed], alerts_path=alerts, min_confidence=1.0, store=store).alerts
    assert alert["status"] == "accepted" and alert["event_id"].startswith("ZWE-20310304-NEWS-")


def test_webhook_gets_each_alert_and_its_failures_are_reported(
    store: Store, tmp_path: Path, local_server
) -> None:
    local_server.body("/hook", b"")
    feed = _feed(tmp_path, ZW)
    out = watch.run_once([feed], alerts_path=tmp_path / "a.jsonl", webhook=local_server.url("/hook"),
                         min_confidence=0.5, allow_loopback=True, store=store)  # fmt: skip
    assert out.webhook_errors == [] and local_server.requests[-1][0] == "POST"
    assert json.loads(local_server.requests[-1][2])["issuer"] == "ZWE"
    other = dict(ZW, url="https://news.example.org/zw2", text=ZW["text"].replace("Tuesday", "Monday"))
    out = watch.run_once([_feed(tmp_path, other)], alerts_path=tmp_path / "a.jsonl",
                         webhook=local_server.url("/missing"), min_confidence=0.5, allow_loopback=True,
                         store=store)  # fmt: skip
    assert out.alerts and "HTTP 404" in out.webhook_errors[0]


def test_watch_repeats_rounds_with_the_interval(store: Store, tmp_path: Path) -> None:
    rounds: list[watch.Round] = []
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        watch.watch([_feed(tmp_path, PRICE)], 3600, rounds.append, sleep=sleep,
                    alerts_path=tmp_path / "a.jsonl", store=store)  # fmt: skip
    assert len(rounds) == 2 and all(0 < w <= 3600 for w in waits)
