"""Partial dates and validation of records and relations."""

from __future__ import annotations

from datetime import date

import pytest

from critmin.events.model import check_record, check_registry, normalise, parse_partial_date


def test_partial_dates_span_their_period() -> None:
    assert parse_partial_date("2024").first == date(2024, 1, 1)
    assert parse_partial_date("2024-02").last == date(2024, 2, 29)
    day = parse_partial_date("2025-11-10")
    assert day.exact and day.precision == "day"
    with pytest.raises(ValueError, match="impossible date"):
        parse_partial_date("2025-02-30")
    with pytest.raises(ValueError, match="not a date"):
        parse_partial_date("10/11/2025")


def _rec(**kw: str) -> dict[str, str]:
    base = {
        "event_id": "CHN-20990101-TEST", "iso3": "CHN", "measure": "export_ban", "target": "all",
        "status": "in_force", "source_url": "https://example.org/a", "commodities": "samarium;dual-use items",
    }  # fmt: skip
    return normalise({**base, **kw})


def test_valid_record_and_element_ids() -> None:
    rec = _rec()
    assert check_record(rec, "row 1") == []
    assert rec["commodity_ids"] == "samarium" and rec["country"] == "China"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("measure", "export_bann", "did you mean export_ban"),
        ("effective_to", "2020-01-01", "before effective_from"),
        ("commodities", "unobtainium", "unobtainium"),
        ("iso3", "XXQ", "country"),
        ("target", "USA;Narnia", "Narnia"),
        ("relations", "pauses:X", "unknown relation"),
    ],
)
def test_bad_fields_are_named(field: str, value: str, message: str) -> None:
    rec = _rec(effective_from="2021-05", **{field: value})
    problems = check_record(rec, "row 3")
    assert any(row == "row 3" and f == field and message in text for row, f, text in problems), problems


def test_relations_must_point_to_existing_ids_without_cycles() -> None:
    a = _rec(event_id="A-1", relations="suspends:B-1")
    b = _rec(event_id="B-1", relations="lifts:A-1")
    problems = check_registry({"A-1": a, "B-1": b})
    assert any("cycle" in text for _, _, text in problems)
    missing = check_registry({"A-1": _rec(event_id="A-1", relations="suspends:NOPE")})
    assert missing == [("A-1", "relations", "suspends:NOPE points to no event in the registry")]
