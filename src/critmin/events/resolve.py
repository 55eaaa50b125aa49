"""From candidate measures in articles to the registry: known, update or new, and review of the proposals.

A candidate (:class:`critmin.events.extract.Candidate`) is matched to the registry's measures of the same
issuer whose commodities overlap (a group overlaps its members: ``rare-earths`` and ``dysprosium``) and whose
targets overlap (``all`` overlaps any). Then:

- ``new`` / ``tightened``: a measure of the same type starting within :data:`WINDOW_DAYS` of the candidate's
  date (its effective date, else the article's) is ``known``: the article becomes one more source of it. A
  ``tightened`` candidate with only earlier measures of that type is an ``update`` (a new measure that
  ``amends`` the latest). Otherwise it is ``new``.
- ``suspended`` / ``lifted`` / ``extended``: the latest measure of that type started by then is the target.
  If the registry already has a measure that suspends / lifts / extends it within the window, the candidate
  is ``known``; otherwise it is an ``update``: a ``suspension_of_measure`` (or, for ``extended``, a measure
  of the same type) pointing at the target, and the target's status set to ``suspended`` / ``lifted``.
  Without a target it is ``new``.

``update`` and ``new`` are stored as proposals (``news_proposals``) with the evidence sentence, for a person
to :func:`accept` or :func:`reject`; nothing reaches the registry until accepted, and then only through the
registry's own API (validated, append-only history, one transaction, ``by`` = ``news:URL``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from critmin import vocab
from critmin.events import newsdb, registry
from critmin.events.extract import Candidate, extract
from critmin.events.ingest import Article, articles
from critmin.events.model import RegistryError, parse_partial_date, split
from critmin.store import Store

WINDOW_DAYS = 120  # a restatement of a measure dates within four months of it
RELATION = {"suspended": "suspends", "lifted": "lifts", "extended": "extends"}
TARGET_STATUS = {"suspended": "suspended", "lifted": "lifted"}
PENDING = "pending"


@dataclass(frozen=True)
class Resolution:
    """What one candidate is to the registry: ``kind`` (known/update/new), the event it concerns, why, and
    for ``update``/``new`` the proposed registry record (plus, for ``update``, the target's changes)."""

    kind: str
    candidate: Candidate
    event_id: str | None
    reason: str
    record: dict[str, str] = field(default_factory=dict)
    target_changes: dict[str, str] = field(default_factory=dict)


@cache
def _expanded(cid: str) -> frozenset[str]:
    try:
        ids = set(vocab.expand_commodity(cid))
        ids |= set(vocab.commodity(cid).groups)
    except vocab.UnknownNameError:
        return frozenset({cid})
    return frozenset(ids)


def commodities_overlap(a: Iterable[str], b: Iterable[str]) -> bool:
    """True if the commodity id lists share a commodity, a group and its member counting as shared."""
    left: set[str] = set()
    for cid in a:
        left |= _expanded(cid) | {cid}
    return any(cid in left or _expanded(cid) & left for cid in b)


def targets_overlap(a: str | Iterable[str], b: str | Iterable[str]) -> bool:
    """True if either targets ``all`` or the ISO3 sets meet."""
    if a == "all" or b == "all":
        return True
    return bool(set(a) & set(b))


def _start(row: Mapping[Any, Any]) -> date | None:
    for key in ("effective_from", "announced"):
        if row.get(key):
            try:
                return parse_partial_date(str(row[key])).first
            except ValueError:
                continue
    return None


def _day(candidate: Candidate, published: date | None) -> date | None:
    if candidate.effective:
        try:
            return parse_partial_date(candidate.effective).first
        except ValueError:
            return published
    return published


def _near(a: date | None, b: date | None) -> bool:
    return a is None or b is None or abs((a - b).days) <= WINDOW_DAYS


def _target_of(row: Mapping[Any, Any]) -> str | list[str]:
    return "all" if row["target"] in ("", "all") else split(row["target"])


def proposal_id(article_id: str, candidate: Candidate) -> str:
    """A stable id of a candidate in an article (the same article read again gives the same id)."""
    key = json.dumps([article_id, candidate.to_json() | {"confidence": None}], sort_keys=True)
    return "P" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:9].upper()


def resolve(candidate: Candidate, article: Article, frame: pd.DataFrame) -> Resolution:
    """Match one candidate of ``article`` against the registry ``frame`` (:func:`registry.load`)."""
    published = parse_partial_date(article.published).first if article.published else None
    day = _day(candidate, published)
    rows = [
        r
        for r in frame[frame["iso3"] == candidate.country].to_dict("records")
        if commodities_overlap(candidate.commodities, split(r["commodity_ids"]))
        and targets_overlap(candidate.target, _target_of(r))
    ]
    rows.sort(key=lambda r: (_start(r) or date.min, r["event_id"]))
    same = [r for r in rows if r["measure"] == candidate.measure]
    if candidate.status_change in ("new", "tightened"):
        close = [r for r in same if _near(_start(r), day)]
        if close:
            best = min(close, key=lambda r: abs(((_start(r) or day or date.min) - (day or date.min)).days))
            return Resolution("known", candidate, best["event_id"], "same issuer, measure, commodities, "
                              "target and a date within the window")  # fmt: skip
        earlier = [r for r in same if day is None or (_start(r) or date.min) < day]
        if candidate.status_change == "tightened" and earlier:
            target = earlier[-1]
            rec = _record(candidate, article, relations=f"amends:{target['event_id']}")
            return Resolution("update", candidate, target["event_id"], "tightens a known measure", rec)
        return Resolution("new", candidate, None, "no measure of this issuer, type, commodities and "
                          "target near this date", _record(candidate, article))  # fmt: skip
    relation = RELATION[candidate.status_change]
    restrictive = [r for r in rows if r["measure"] != "suspension_of_measure"]
    pool = same if candidate.measure != "suspension_of_measure" else restrictive
    started = [r for r in pool if day is None or (_start(r) or date.min) <= day]
    if not started:
        return Resolution("new", candidate, None, f"{candidate.status_change} a measure not in the registry",
                          _record(candidate, article))  # fmt: skip
    target = started[-1]
    for row in frame.to_dict("records"):
        if f"{relation}:{target['event_id']}" in split(row["relations"]) and _near(_start(row), day):
            return Resolution("known", candidate, row["event_id"], f"already recorded: {relation} "
                              f"{target['event_id']}")  # fmt: skip
    measure = candidate.measure if candidate.status_change == "extended" else "suspension_of_measure"
    rec = _record(candidate, article, relations=f"{relation}:{target['event_id']}", measure=measure)
    status = TARGET_STATUS.get(candidate.status_change)
    changes = {"status": status} if status and target["status"] != status else {}
    return Resolution(
        "update", candidate, target["event_id"], f"{relation} {target['event_id']}", rec, changes
    )


def _record(
    candidate: Candidate, article: Article, relations: str = "", measure: str | None = None
) -> dict[str, str]:
    """The registry record a candidate proposes (validated by the registry when accepted)."""
    pid = proposal_id(article.article_id, candidate)
    announced = article.published or candidate.effective or ""
    stamp = (announced or "0000").replace("-", "")
    evidence = " ".join(article.text[candidate.evidence_start : candidate.evidence_end].split())
    future = bool(candidate.effective and announced and candidate.effective > announced)
    return {
        "event_id": f"{candidate.country}-{stamp}-NEWS-{pid[1:7]}",
        "provenance": "critmin",
        "iso3": candidate.country,
        "measure": measure or candidate.measure,
        "measure_detail": f"from the news: {candidate.status_change} {candidate.measure}",
        "commodities": ";".join(candidate.commodities),
        "target": candidate.target if isinstance(candidate.target, str) else ";".join(candidate.target),
        "announced": announced,
        "effective_from": candidate.effective or "",
        "status": "announced" if future else "in_force",
        "relations": relations,
        "date_note": "" if candidate.effective else "the article states no effective date",
        "summary": evidence[:500],
        "source_url": source_of(article),
    }


def source_of(article: Article) -> str:
    """The article's URL, or ``file:NAME`` for an article read from a local file without one."""
    return article.url or f"file:{article.origin.rsplit('/', 1)[-1]}"


def process(article_ids: Iterable[str], store: Store | None = None) -> pd.DataFrame:
    """Extract candidates from stored articles, resolve them and store the outcomes in one transaction.

    Returns the proposals of these articles (``news_proposals`` rows, known matches included with status
    ``matched``). A candidate already stored (same article, same content) is left as it is, so re-running
    changes nothing; a known match adds the article to the event's sources once.
    """
    store = store or Store.open()
    frame, _ = registry.load(store=store)
    rows: list[list[Any]] = []
    sources: list[list[Any]] = []
    ids = list(dict.fromkeys(article_ids))
    for art in articles(ids, store=store):
        published = parse_partial_date(art.published).first if art.published else None
        for cand in extract(art.text, published=published, url=art.url):
            res = resolve(cand, art, frame)
            evidence = " ".join(art.text[cand.evidence_start : cand.evidence_end].split())
            status = "matched" if res.kind == "known" else PENDING
            record = json.dumps(
                {"record": res.record, "target_changes": res.target_changes}, ensure_ascii=False
            )
            rows.append([proposal_id(art.article_id, cand), art.article_id, art.url, res.kind, res.event_id,
                         status, cand.confidence, evidence, json.dumps(cand.to_json(), ensure_ascii=False),
                         record, res.reason, newsdb.now(), None, None, None, source_of(art)])  # fmt: skip
            if res.kind == "known" and art.url:
                host = urlsplit(art.url).hostname or ""
                sources.append([res.event_id, "news", art.url, host, art.published or "",
                                "matched by critmin news", art.url])  # fmt: skip
    with store.connect(read_only=False) as con:
        con.execute("begin transaction")
        try:
            newsdb.ensure_tables(con)
            have = {r[0] for r in con.execute("select proposal_id from news_proposals").fetchall()}
            fresh = [r for r in rows if r[0] not in have]
            if fresh:
                con.executemany(f"insert into news_proposals values ({', '.join('?' * 16)})", fresh)
            known = set(con.execute("select event_id, url from event_sources").fetchall())
            new_sources = [
                s for s in {(s[0], s[2]): s for s in sources}.values() if (s[0], s[2]) not in known
            ]
            if new_sources:
                con.executemany("insert into event_sources values (?, ?, ?, ?, ?, ?, ?)", new_sources)
            if fresh or new_sources:
                newsdb.log_import(con, "news_proposals", "news resolve", len(fresh) + len(new_sources))
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return proposals(article_ids=ids, store=store)


def proposals(
    status: str | None = None, article_ids: Iterable[str] | None = None, store: Store | None = None
) -> pd.DataFrame:
    """Stored proposals (all, or with a status, or of some articles), oldest first."""
    store = store or Store.open()
    frame = newsdb.read(store, "news_proposals", "order by created_at, proposal_id")
    if status is not None:
        frame = frame[frame["status"] == status]
    if article_ids is not None:
        frame = frame[frame["article_id"].isin(set(article_ids))]
    return frame.reset_index(drop=True)


def get(pid: str, store: Store | None = None) -> dict[str, Any]:
    """One proposal by id; an unknown id raises ``UnknownNameError`` with the closest ids."""
    frame = proposals(store=store)
    hit = frame[frame["proposal_id"] == pid]
    if hit.empty:
        from rapidfuzz import process as fuzzy

        found = [m[0] for m in fuzzy.extract(pid, list(frame["proposal_id"]), limit=3, score_cutoff=60)]
        raise vocab.UnknownNameError("proposal", pid, found)
    return {str(k): v for k, v in hit.iloc[0].to_dict().items()}


def _decidable(prop: Mapping[str, Any]) -> None:
    if prop["status"] != PENDING:
        done = f" as {prop['result_event_id']}" if prop.get("result_event_id") else ""
        raise RegistryError(
            [(prop["proposal_id"], "status", f"already {prop['status']}{done}; nothing was written")]
        )


def accept(pid: str, by: str, changes: Mapping[str, str] | None = None, store: Store | None = None) -> str:
    """Apply a pending proposal to the registry (with ``changes`` to its fields first); returns the event id.

    The registry records it ``by`` ``news:URL`` with the article as source, in one transaction together with
    the target's status change of an ``update``; the proposal then records who accepted it (``by``). If the
    registry already holds the event (an accept interrupted after the registry's commit), it is not added
    twice.
    """
    store = store or Store.open()
    prop = get(pid, store)
    _decidable(prop)
    stored = json.loads(prop["record"])
    record = {**stored["record"], **(changes or {})}
    if not record:
        raise RegistryError([(pid, "kind", f"a {prop['kind']} match proposes no record; nothing to accept")])
    source = record["source_url"]
    current, _ = registry.load(store=store)
    ids = set(current["event_id"])
    if record["event_id"] not in ids:
        batch: list[dict[str, Any]] = [record]
        if stored["target_changes"] and prop["event_id"] in ids:
            target = registry.get(prop["event_id"])
            batch.append({**target, **stored["target_changes"]})
        registry.apply(batch, by=f"news:{source}", source_url=source, origin=f"news accept {pid}")
    _decide(store, pid, "accepted", by, record["event_id"])
    return str(record["event_id"])


def reject(pid: str, by: str, store: Store | None = None) -> None:
    """Mark a pending proposal rejected (the registry is not touched)."""
    store = store or Store.open()
    _decidable(get(pid, store))
    _decide(store, pid, "rejected", by, None)


def _decide(store: Store, pid: str, status: str, by: str, event_id: str | None) -> None:
    with store.connect(read_only=False) as con:
        con.execute("begin transaction")
        try:
            con.execute(
                "update news_proposals set status = ?, decided_at = ?, decided_by = ?, result_event_id = ? "
                "where proposal_id = ?",
                [status, newsdb.now(), by, event_id, pid],
            )
            newsdb.log_import(con, "news_proposals", f"news {status} {pid}", 1)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
