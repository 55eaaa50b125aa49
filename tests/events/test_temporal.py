"""In force on a date from intervals, partial dates and relations."""

from __future__ import annotations

from datetime import date

import pandas as pd

from critmin.events.model import FIELDS
from critmin.events.temporal import in_force_on


def _frame(*rows: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame([{f: r.get(f, "") for f in FIELDS} for r in rows])


REG = _frame(
    {"event_id": "BAN", "effective_from": "2025-10-09", "status": "suspended"},
    {"event_id": "SUSP", "effective_from": "2025-11-07", "effective_to": "2026-11-10", "status": "in_force",
     "relations": "suspends:BAN"},
    {"event_id": "QUOTA", "effective_from": "2011-01", "effective_to": "2011-06-30", "status": "lifted"},
    {"event_id": "OLD", "effective_from": "2014-01-12", "status": "lifted"},
    {"event_id": "LIFT", "effective_from": "2017-01-11", "status": "in_force", "relations": "lifts:OLD"},
    {"event_id": "NODATE", "announced": "2025-06", "status": "announced", "date_note": "not confirmed"},
    {"event_id": "UNDATED-END", "effective_from": "2017-03-02", "status": "lifted"},
    {"event_id": "OECD", "effective_from": "2012-05-16", "status_as_of": "2021", "status": "in_force"},
)  # fmt: skip


def _on(day: str) -> pd.DataFrame:
    out = in_force_on(REG, date.fromisoformat(day))
    return out.set_index(REG["event_id"])


def test_suspension_pauses_only_while_in_force() -> None:
    assert _on("2025-10-20").loc["BAN", "in_force"]
    during = _on("2026-01-01").loc["BAN"]
    assert not during["in_force"] and "suspended by SUSP" in during["in_force_reason"]
    after = _on("2026-11-11").loc["BAN"]
    assert after["in_force"] and "ended 2026-11-10" in after["in_force_reason"]


def test_month_dates_and_end_dates() -> None:
    coarse = _on("2011-01-15").loc["QUOTA"]
    assert pd.isna(coarse["in_force"]) and "known only to 2011-01" in coarse["in_force_reason"]
    assert _on("2011-03-01").loc["QUOTA", "in_force"]
    assert not _on("2011-07-01").loc["QUOTA", "in_force"]
    assert not _on("2010-12-31").loc["QUOTA", "in_force"]


def test_lifting_ends_and_unknown_dates_are_na_with_reason() -> None:
    assert _on("2016-01-01").loc["OLD", "in_force"]
    assert not _on("2017-01-11").loc["OLD", "in_force"]
    nodate = _on("2025-12-01").loc["NODATE"]
    assert pd.isna(nodate["in_force"]) and "not confirmed" in nodate["in_force_reason"]
    assert _on("2018-01-01").loc["UNDATED-END", "in_force"] is pd.NA
    assert _on("2021-06-01").loc["OECD", "in_force"]
    assert "no information after 2021" in _on("2022-01-01").loc["OECD", "in_force_reason"]
