"""In force on a date: each measure's own validity interval, then the relations pointing at it.

A measure is in force on day D if D lies between its ``effective_from`` and ``effective_to`` (both
inclusive), it is not suspended on D by a measure that ``suspends`` it and is in force on D, and no measure
that ``lifts`` or ``replaces`` it has started by D. The answer is NA only where a date needed for it is
missing or too coarse (a month-only date when D falls in that month) or the source has no information for
D; ``in_force_reason`` says which, and says why for every other answer too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from critmin.events.model import parse_partial_date, parse_relations, relation_types

_NONE = -1  # ordinal sentinel for a missing date


# the cases of a measure's own dates and status on a day (columns of Compiled.reasons)
(FROM_UNKNOWN, NOT_YET, FROM_COARSE, ENDED, TO_COARSE, BOUNDED, NO_INFO, LIFTED_UNDATED,
 SUSPENDED_UNDATED, OPEN) = range(10)  # fmt: skip
_VALUES: list[bool | None] = [None, False, None, False, None, True, None, None, None, True]
_TRUE = np.array([v is True for v in _VALUES])
_NA = np.array([v is None for v in _VALUES])


@dataclass
class Compiled:
    """A registry prepared for repeated in-force questions (date ordinals, inbound relations, reasons)."""

    ids: list[str]
    from_first: np.ndarray
    from_last: np.ndarray
    from_text: list[str]
    to_first: np.ndarray
    to_last: np.ndarray
    to_text: list[str]
    asof_last: np.ndarray
    asof_text: list[str]
    status: list[str]
    notes: list[str]
    inbound: dict[int, list[tuple[str, int]]]  # row → [(effect, source row)]
    first_known: np.ndarray  # earliest day of announced/effective_from (_NONE if neither)
    reasons: np.ndarray  # rows × cases: the reason text of each case
    lifted_undated: np.ndarray  # bool: lifted, no end date, no lifting relation
    suspended_undated: np.ndarray  # bool: suspended, no end date, no suspending relation


def _ordinals(values: pd.Series) -> tuple[np.ndarray, np.ndarray, list[str]]:
    first = np.full(len(values), _NONE, dtype=np.int64)
    last = np.full(len(values), _NONE, dtype=np.int64)
    texts = []
    for i, raw in enumerate(values.tolist()):
        text = "" if raw is None or (isinstance(raw, float) and raw != raw) else str(raw)
        texts.append(text)
        if text:
            parsed = parse_partial_date(text)
            first[i], last[i] = parsed.first.toordinal(), parsed.last.toordinal()
    return first, last, texts


def compile_registry(frame: pd.DataFrame) -> Compiled:
    """Parse the dates and relations of a registry frame once (see :func:`in_force_on`)."""
    ff, fl, ft = _ordinals(frame["effective_from"])
    tf, tl, tt = _ordinals(frame["effective_to"])
    _, al, at = _ordinals(frame["status_as_of"])
    ids = frame["event_id"].tolist()
    index = {eid: i for i, eid in enumerate(ids)}
    effects = relation_types()
    inbound: dict[int, list[tuple[str, int]]] = {}
    for i, text in enumerate(frame["relations"].tolist()):
        for kind, target in parse_relations(text):
            effect = effects.get(kind, "none")
            if effect != "none" and target in index:
                inbound.setdefault(index[target], []).append((effect, i))
    notes = frame["date_note"].fillna("").astype(str).tolist()
    status = frame["status"].fillna("").astype(str).tolist()
    af, _, _ = _ordinals(frame["announced"])
    known = np.where(af == _NONE, ff, np.where(ff == _NONE, af, np.minimum(af, ff)))
    kinds = [{e for e, _ in inbound.get(i, [])} for i in range(len(ids))]
    lifted = np.array(
        [st == "lifted" and "ends" not in ef for st, ef in zip(status, kinds, strict=True)], bool
    )
    paused = np.array(
        [st == "suspended" and "pauses" not in ef for st, ef in zip(status, kinds, strict=True)], bool
    )
    reasons = np.empty((len(ids), len(_VALUES)), dtype=object)
    for i in range(len(ids)):
        note = f" ({notes[i]})" if notes[i] else ""
        reasons[i] = [
            f"effective_from unknown{note}",
            f"not yet in force (effective_from {ft[i]})",
            f"effective_from known only to {ft[i]}, which contains the date{note}",
            f"ended (effective_to {tt[i]})",
            f"effective_to known only to {tt[i]}, which contains the date{note}",
            f"in force from {ft[i]} to {tt[i]}",
            f"the source has no information after {at[i]}{note}",
            f"lifted on a date the registry does not record (effective_to unknown){note}",
            f"suspended on a date the registry does not record{note}",
            f"in force since {ft[i]} (no end date)",
        ]
    return Compiled(
        ids, ff, fl, ft, tf, tl, tt, al, at, status, notes, inbound, known, reasons, lifted, paused
    )


def base_cases(c: Compiled, d: int) -> np.ndarray:
    """The case of every measure on day ordinal ``d`` by its own dates and status (relations aside)."""
    has_from = c.from_first != _NONE
    has_to = c.to_first != _NONE
    coarse_from = (c.from_first <= d) & (d <= c.from_last) & (c.from_first != c.from_last)
    coarse_to = (c.to_first <= d) & (d <= c.to_last) & (c.to_first != c.to_last)
    no_info = (c.asof_last != _NONE) & (d > c.asof_last)
    return np.select(
        [
            ~has_from,
            d < c.from_first,
            coarse_from,
            has_to & (d > c.to_last),
            has_to & coarse_to,
            has_to,
            no_info,
            c.lifted_undated,
            c.suspended_undated,
        ],
        [
            FROM_UNKNOWN,
            NOT_YET,
            FROM_COARSE,
            ENDED,
            TO_COARSE,
            BOUNDED,
            NO_INFO,
            LIFTED_UNDATED,
            SUSPENDED_UNDATED,
        ],
        default=OPEN,
    )


def _base(c: Compiled, i: int, cases: np.ndarray) -> tuple[bool | None, str]:
    case = int(cases[i])
    return _VALUES[case], str(c.reasons[i, case])


def _in_force(
    c: Compiled, i: int, d: int, cases: np.ndarray, memo: dict[int, tuple[bool | None, str]]
) -> tuple[bool | None, str]:
    if i in memo:
        return memo[i]
    memo[i] = (None, "cycle of relations")  # validation refuses cycles; this only guards the recursion
    value, reason = _base(c, i, cases)
    if value is not False:
        unsure: list[str] = []
        for effect, src in c.inbound.get(i, []):
            if effect == "ends":
                if c.from_first[src] == _NONE:
                    unsure.append(f"lifted by {c.ids[src]}, whose effective_from is unknown")
                elif d > c.from_last[src] or (
                    d >= c.from_first[src] and c.from_first[src] == c.from_last[src]
                ):
                    value, reason = False, f"lifted or replaced by {c.ids[src]} from {c.from_text[src]}"
                    break
                elif d >= c.from_first[src]:
                    unsure.append(f"lifted by {c.ids[src]} in {c.from_text[src]} (day unknown)")
            else:
                paused, why = _in_force(c, src, d, cases, memo)
                if paused:
                    value, reason = False, f"suspended by {c.ids[src]} ({why})"
                    break
                if paused is None:
                    unsure.append(f"suspended by {c.ids[src]} whose own state is unknown: {why}")
                elif c.to_last[src] != _NONE and d > c.to_last[src] and c.from_first[src] != _NONE:
                    after = f"; {c.notes[src]}" if c.notes[src] else ""
                    reason += f"; its suspension by {c.ids[src]} ended {c.to_text[src]}{after}"
        else:
            if unsure and value:
                value, reason = None, "; ".join(unsure)
    memo[i] = (value, reason)
    return value, reason


def in_force_on(frame: pd.DataFrame, day: date, compiled: Compiled | None = None) -> pd.DataFrame:
    """``in_force`` (boolean, NA where a date is missing) and ``in_force_reason`` for every row on ``day``."""
    c = compiled or compile_registry(frame)
    d = day.toordinal()
    cases = base_cases(c, d)
    data = _TRUE[cases]
    mask = _NA[cases]
    reasons = c.reasons[np.arange(len(c.ids)), cases]
    memo: dict[int, tuple[bool | None, str]] = {}
    for i in c.inbound:
        value, reasons[i] = _in_force(c, i, d, cases, memo)
        data[i], mask[i] = bool(value), value is None
    return pd.DataFrame(
        {"in_force": pd.arrays.BooleanArray(data, mask), "in_force_reason": reasons}, index=frame.index
    )
