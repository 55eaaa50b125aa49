"""Scoring of extracted events: whole-event matching and per-field counts."""

from __future__ import annotations

from critmin.events.evaluate import same_event, score

GOLD = {"country": "CHN", "measure": "export_ban", "commodities": ["gallium", "germanium"], "target": ["USA"],
        "effective": None, "status_change": "new"}  # fmt: skip


def test_same_event_needs_issuer_measure_target_and_a_common_commodity() -> None:
    assert same_event(GOLD, {**GOLD, "commodities": ["gallium"], "status_change": "suspended"})
    assert not same_event(GOLD, {**GOLD, "target": "all"})
    assert not same_event(GOLD, {**GOLD, "commodities": ["antimony"]})
    assert not same_event(GOLD, {**GOLD, "measure": "export_licence"})


def test_scores_per_field_and_event() -> None:
    predicted = {**GOLD, "commodities": ["gallium"], "effective": "2024-12"}
    rows = {s.name: s for s in score([([GOLD], [predicted]), ([], [GOLD])])}
    assert (rows["event"].tp, rows["event"].fp, rows["event"].fn) == (1, 1, 0)
    assert (rows["commodities"].tp, rows["commodities"].fn) == (1, 1)
    assert rows["effective"].fp == 1 and rows["effective"].fn == 0
    assert rows["event"].precision == 0.5 and rows["event"].recall == 1.0
    assert abs(rows["event"].f1 - 2 / 3) < 1e-9
