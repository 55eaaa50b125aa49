"""Resolution of candidates against the registry, proposals, and accept/reject through the registry's API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from critmin.events import registry, resolve
from critmin.events.extract import Candidate
from critmin.events.ingest import Article, ingest
from critmin.events.model import RegistryError
from critmin.store import Store
from critmin.vocab import UnknownNameError

TEXT = "Beijing said exporters of dysprosium now need a licence. Officials gave no more detail."


def _cand(**kw) -> Candidate:
    base = dict(country="CHN", measure="export_licence", commodities=("dysprosium",), target="all",
                effective="2025-04-04", status_change="new", confidence=0.9, evidence_start=0, evidence_end=56)  # fmt: skip
    return Candidate(**{**base, **kw})


ART = Article("https://news.example.org/a1", "t", TEXT, "2025-04-05", "feed.xml")


@pytest.fixture()
def frame(store: Store):
    return registry.load(store=store)[0]


def test_overlaps_follow_groups_and_all() -> None:
    assert resolve.commodities_overlap(["dysprosium"], ["rare-earths"])
    assert resolve.commodities_overlap(["rare-earths"], ["terbium", "gallium"])
    assert not resolve.commodities_overlap(["gallium"], ["lithium"])
    assert resolve.targets_overlap("all", ["USA"]) and resolve.targets_overlap(["USA", "JPN"], ["JPN"])
    assert not resolve.targets_overlap(["USA"], ["JPN"])


def test_known_update_and_new(frame) -> None:
    known = resolve.resolve(_cand(), ART, frame)
    assert known.kind == "known" and known.event_id == "CHN-20250404-7-REE-LICENCE"
    far = resolve.resolve(_cand(effective="2027-03-01"), ART, frame)
    assert far.kind == "new" and far.record["effective_from"] == "2027-03-01"
    assert far.record["status"] == "announced" and far.record["source_url"] == ART.url
    other = resolve.resolve(_cand(country="MMR", commodities=("terbium",)), ART, frame)
    assert (
        other.kind == "new"
        and other.record["iso3"] == "MMR"
        and other.record["summary"].startswith("Beijing")
    )
    tighter = resolve.resolve(_cand(status_change="tightened", effective="2027-06-01"), ART, frame)
    assert tighter.kind == "update" and tighter.record["relations"].startswith("amends:")
    susp = resolve.resolve(
        _cand(
            measure="export_ban",
            commodities=("gallium",),
            target=("USA",),
            status_change="suspended",
            effective="2026-12-01",
        ),
        ART,
        frame,
    )
    assert susp.kind == "update" and susp.event_id == "CHN-20241203-US-GA-GE-SB-BAN"
    assert susp.record["measure"] == "suspension_of_measure"
    assert susp.record["relations"] == "suspends:CHN-20241203-US-GA-GE-SB-BAN"
    already = resolve.resolve(
        _cand(
            measure="export_ban",
            commodities=("gallium",),
            target=("USA",),
            status_change="suspended",
            effective="2025-11-09",
        ),
        ART,
        frame,
    )
    assert already.kind == "known" and already.event_id == "CHN-20251109-SUSPENSION-US-BAN"


def _ingest_article(tmp_path: Path, store: Store, text: str, url: str, published: str) -> str:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"title": "t", "text": text, "url": url, "published": published}) + "\n")
    return ingest([str(path)], store=store).article_ids[0]


NEWS = ("Zimbabwe's mines ministry on Tuesday banned exports of raw lithium ore with immediate effect, "
        "officials said in Harare.")  # fmt: skip


def test_process_stores_proposals_once_and_accept_writes_the_registry_with_provenance(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cand = _cand(country="MYS", measure="export_ban", commodities=("bauxite",), effective=None,
                 evidence_start=0, evidence_end=len(NEWS))  # fmt: skip
    monkeypatch.setattr(resolve, "extract", lambda text, published=None, url=None: [cand])
    aid = _ingest_article(tmp_path, store, NEWS, "https://news.example.org/myb", "2031-01-05")
    first = resolve.process([aid], store=store)
    assert list(first["kind"]) == ["new"] and list(first["status"]) == ["pending"]
    again = resolve.process([aid], store=store)
    assert list(again["proposal_id"]) == list(first["proposal_id"])
    assert len(resolve.proposals(store=store)) == 1
    pid = first["proposal_id"][0]
    with pytest.raises(UnknownNameError):
        resolve.accept(pid + "X", by="user:ana", store=store)
    eid = resolve.accept(pid, by="user:ana", changes={"summary": "checked"}, store=store)
    rec = registry.get(eid)
    assert rec["iso3"] == "MYS" and rec["summary"] == "checked" and rec["announced"] == "2031-01-05"
    hist = registry.history(eid)
    assert list(hist["by"]) == ["news:https://news.example.org/myb"]
    prop = resolve.get(pid, store)
    assert (
        prop["status"] == "accepted" and prop["decided_by"] == "user:ana" and prop["result_event_id"] == eid
    )
    with pytest.raises(RegistryError, match="already accepted"):
        resolve.accept(pid, by="user:ana", store=store)
    with pytest.raises(RegistryError, match="already accepted"):
        resolve.reject(pid, by="user:ana", store=store)


def test_known_match_adds_the_article_as_a_source_once(store: Store, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(resolve, "extract", lambda text, published=None, url=None: [_cand(evidence_end=20)])
    aid = _ingest_article(tmp_path, store, TEXT, "https://news.example.org/k", "2025-04-05")
    out = resolve.process([aid], store=store)
    assert list(out["kind"]) == ["known"] and list(out["status"]) == ["matched"]
    resolve.process([aid], store=store)
    src = registry.sources(["CHN-20250404-7-REE-LICENCE"])
    assert (src["url"] == "https://news.example.org/k").sum() == 1


def test_update_accept_sets_the_target_status_in_one_registry_transaction(
    store: Store, tmp_path: Path, monkeypatch
) -> None:
    cand = _cand(measure="export_licence", commodities=("gallium",), effective="2031-02-01",
                 status_change="lifted", evidence_end=20)  # fmt: skip
    monkeypatch.setattr(resolve, "extract", lambda text, published=None, url=None: [cand])
    aid = _ingest_article(tmp_path, store, TEXT, "https://news.example.org/lift", "2031-01-20")
    (prop,) = resolve.process([aid], store=store).to_dict("records")
    assert prop["kind"] == "update" and prop["event_id"] == "CHN-20230703-GA-GE-LICENCE"
    eid = resolve.accept(prop["proposal_id"], by="user:ana", store=store)
    assert registry.get("CHN-20230703-GA-GE-LICENCE")["status"] == "lifted"
    assert registry.get(eid)["relations"] == "lifts:CHN-20230703-GA-GE-LICENCE"
    changes = registry.history("CHN-20230703-GA-GE-LICENCE")
    assert changes.iloc[-1]["by"] == "news:https://news.example.org/lift"


def test_a_proposal_the_registry_refuses_writes_nothing(store: Store, tmp_path: Path, monkeypatch) -> None:
    cand = _cand(
        country="MYS", measure="export_ban", commodities=("bauxite",), effective=None, evidence_end=20
    )
    monkeypatch.setattr(resolve, "extract", lambda text, published=None, url=None: [cand])
    aid = _ingest_article(tmp_path, store, TEXT, "https://news.example.org/bad", "2031-01-05")
    pid = resolve.process([aid], store=store)["proposal_id"][0]
    before = len(registry.load(store=store)[0])
    with pytest.raises(RegistryError, match="measure"):
        resolve.accept(pid, by="user:ana", changes={"measure": "export_embargo"}, store=store)
    assert len(registry.load(store=store)[0]) == before and resolve.get(pid, store)["status"] == "pending"
    resolve.reject(pid, by="user:ana", store=store)
    assert resolve.get(pid, store)["status"] == "rejected"
