"""Watching feeds: ingest, extract, resolve, and alert on accepted or high-confidence new measures.

One round (:func:`run_once`) ingests the feeds the user listed, resolves the candidates of their articles and
writes an alert for every proposal that was accepted, or is a pending ``new``/``update`` with confidence of at
least ``min_confidence``, and has not been alerted before: the alert log (``news_alerts``, keyed by the
proposal id, itself derived from the article and the candidate) makes re-running over the same articles alert
nothing twice. An alert names the commodities, the issuer's share of world production (USGS, newest year),
the share of world production under export controls in force today before and with this measure (the
brief's headline number), and the importers exposed: the issuer's largest customers in CEPII BACI.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from critmin import vocab
from critmin.events import newsdb, resolve
from critmin.events.fetch import FetchError, post_json
from critmin.events.ingest import IngestResult, ingest
from critmin.store import Store

HIGH_CONFIDENCE = 0.8
TOP_IMPORTERS = 5
_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass
class Round:
    """What one round did: the ingest, the alerts written and any webhook failures."""

    ingest: IngestResult
    alerts: list[dict[str, Any]] = field(default_factory=list)
    webhook_errors: list[str] = field(default_factory=list)


def parse_every(text: str) -> float:
    """``90s``, ``30m``, ``1h``, ``1d`` (or seconds) as seconds; at least one minute."""
    match = _EVERY.match(text)
    if not match:
        raise ValueError(f"--every {text!r}: use a number with s, m, h or d (e.g. 1h)")
    seconds = float(match.group(1)) * _UNIT_S[match.group(2)]
    if seconds < 60:
        raise ValueError(f"--every {text!r}: at least 1m (feeds are not to be polled faster)")
    return seconds


def read_feeds(path: Path) -> list[str]:
    """The feeds file: one URL or path per line; blank lines and ``#`` comments are ignored."""
    lines = [line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    feeds = [line for line in lines if line]
    if not feeds:
        raise ValueError(f"{path}: no feeds listed (one URL or file per line)")
    return feeds


def _production_shares(cid: str) -> tuple[int, dict[str, float]] | None:
    """Newest year of USGS production and each country's share of the world total."""
    from critmin.query import NoDataError, production

    try:
        frame = production(cid)
    except (vocab.UnknownNameError, ValueError, NoDataError):
        return None
    frame = frame[frame["value"].notna()]
    if frame.empty:
        return None
    year = int(frame["year"].max())
    rows = frame[frame["year"] == year]
    world = rows.loc[rows["iso3"] == "WLD", "value"].sum()
    if not world:
        return None
    countries = rows[rows["iso3"].notna() & (rows["iso3"] != "WLD")]
    return year, {
        str(k): float(v) / float(world) for k, v in countries.groupby("iso3")["value"].sum().items()
    }


def _controlled_issuers(cid: str, today: date) -> set[str]:
    from critmin.query import events

    try:
        frame = events(commodity=cid, as_of=today.isoformat(), in_force=True)
    except (vocab.UnknownNameError, ValueError):
        return set()
    frame = frame[frame["measure"] != "suspension_of_measure"]
    return set(frame["iso3"].dropna())


def _importers(cid: str, issuer: str) -> list[dict[str, Any]]:
    """The issuer's largest importers in the newest BACI year (empty where BACI has no HS code for ``cid``)."""
    from critmin.query import NoDataError, trade

    try:
        flows = trade(commodity=cid, exporter=issuer)
    except (vocab.UnknownNameError, ValueError, NoDataError):
        return []
    if flows.empty:
        return []
    latest = flows[flows["year"] == flows["year"].max()]
    by = latest.groupby("importer")["value_kusd"].sum().sort_values(ascending=False)
    total = float(by.sum()) or 1.0
    year = int(latest["year"].iloc[0])
    return [
        {
            "iso3": str(k),
            "year": year,
            "value_kusd": round(float(v), 1),
            "share_of_issuer_exports": round(float(v) / total, 4),
        }
        for k, v in by.head(TOP_IMPORTERS).items()
    ]


def exposure(commodities: Iterable[str], issuer: str, today: date | None = None) -> list[dict[str, Any]]:
    """Per commodity: issuer's share of world production, controlled share before/with it, top importers."""
    today = today or date.today()
    out = []
    for cid in commodities:
        shares = _production_shares(cid)
        item: dict[str, Any] = {"commodity": cid, "importers_exposed": _importers(cid, issuer)}
        if shares is None:
            item.update(production_year=None, issuer_share_of_world_production=None,
                        controlled_share_before=None, controlled_share_after=None)  # fmt: skip
        else:
            year, by_country = shares
            controlled = _controlled_issuers(cid, today)
            before = sum(by_country.get(c, 0.0) for c in controlled)
            after = sum(by_country.get(c, 0.0) for c in controlled | {issuer})
            item.update(production_year=year, issuer_share_of_world_production=round(by_country.get(issuer, 0.0), 4),
                        controlled_share_before=round(before, 4), controlled_share_after=round(after, 4))  # fmt: skip
        out.append(item)
    return out


def _alert(prop: Mapping[Any, Any]) -> dict[str, Any]:
    cand = json.loads(prop["candidate"])
    return {
        "alert_key": prop["proposal_id"],
        "proposal_id": prop["proposal_id"],
        "status": prop["status"],
        "kind": prop["kind"],
        "event_id": prop["result_event_id"] or prop["event_id"] or None,
        "issuer": cand["country"],
        "measure": cand["measure"],
        "commodities": cand["commodities"],
        "target": cand["target"],
        "effective": cand["effective"],
        "status_change": cand["status_change"],
        "confidence": cand["confidence"],
        "url": prop["url"] or None,
        "evidence": prop["evidence"],
        "exposure": exposure(cand["commodities"], cand["country"]),
    }


def due(store: Store, min_confidence: float = HIGH_CONFIDENCE) -> pd.DataFrame:
    """Proposals to alert on now: accepted, or pending new/update with enough confidence, not yet alerted."""
    props = resolve.proposals(store=store).fillna("")
    sent = set(newsdb.read(store, "news_alerts")["alert_key"])
    wanted = (props["status"] == "accepted") | (
        (props["status"] == resolve.PENDING)
        & props["kind"].isin(["new", "update"])
        & (pd.to_numeric(props["confidence"]) >= min_confidence)
    )
    return props[wanted & ~props["proposal_id"].isin(sent)]


def run_once(
    feeds: Iterable[str],
    *,
    alerts_path: Path,
    webhook: str | None = None,
    min_confidence: float = HIGH_CONFIDENCE,
    allow_loopback: bool = False,
    store: Store | None = None,
    **ingest_options: Any,
) -> Round:
    """One round: ingest, resolve, and write the alerts that are due (log first, then file, then webhook)."""
    store = store or Store.open()
    result = Round(ingest(feeds, store=store, allow_loopback=allow_loopback, **ingest_options))
    if result.ingest.article_ids:
        resolve.process(result.ingest.article_ids, store=store)
    alerts = [_alert(p) for p in due(store, min_confidence).to_dict("records")]
    if not alerts:
        return result
    with store.connect(read_only=False) as con:
        con.execute("begin transaction")
        try:
            newsdb.ensure_tables(con)
            stamp = newsdb.now()
            con.executemany(
                "insert into news_alerts values (?, ?, ?, ?, ?)",
                [
                    [
                        a["alert_key"],
                        a["proposal_id"],
                        stamp,
                        json.dumps(a, ensure_ascii=False),
                        a["url"] or "news",
                    ]
                    for a in alerts
                ],
            )
            newsdb.log_import(con, "news_alerts", "news watch", len(alerts))
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    alerts_path.parent.mkdir(parents=True, exist_ok=True)
    with alerts_path.open("a", encoding="utf-8") as fh:
        for alert in alerts:
            fh.write(json.dumps(alert, ensure_ascii=False) + "\n")
    result.alerts = alerts
    if webhook:
        for alert in alerts:
            try:
                post_json(webhook, alert, allow_loopback=allow_loopback)
            except FetchError as exc:
                result.webhook_errors.append(f"{alert['alert_key']}: {exc}")
    return result


def watch(
    feeds: list[str],
    every_s: float | None,
    on_round: Callable[[Round], None],
    sleep: Callable[[float], None] = time.sleep,
    **options: Any,
) -> None:
    """Run rounds: once if ``every_s`` is None, else every ``every_s`` seconds until interrupted."""
    while True:
        started = time.monotonic()
        on_round(run_once(feeds, **options))
        if every_s is None:
            return
        sleep(max(0.0, every_s - (time.monotonic() - started)))
