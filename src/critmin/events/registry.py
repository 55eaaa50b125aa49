"""The registry in the store: current state, append-only history, edits, reads as recorded on a past date.

The store holds the registry as three tables: ``events`` (the current records), ``event_sources`` and
``event_history`` (every addition and change: when, by whom — ``user:NAME``, ``news:URL`` or
``import:FILE`` —, from which source, old and new value). A change is validated against the whole registry
(vocabularies, dates, relations, cycles) and written in one transaction together with its history rows and a
line in the store's ``imports`` log, so a store holding registry edits is never rebuilt behind the user's
back. Nothing in the history is ever updated or deleted; :func:`load` with ``as_recorded`` replays it up to a
recording date ("what did we know on 2025-10-01").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from critmin import vocab
from critmin.events.model import (
    EDITABLE,
    FIELDS,
    RegistryError,
    check_record,
    check_registry,
    normalise,
)
from critmin.events.temporal import Compiled, compile_registry
from critmin.store import Store

BY_RE = re.compile(r"^(user|news|import):\S.*$")
_CACHE: dict[tuple[str, int, int, str], tuple[pd.DataFrame, Compiled]] = {}


def _state(store: Store) -> tuple[str, int, int]:
    st = store.path.stat()
    return (str(store.path.resolve()), st.st_mtime_ns, st.st_size)


def load(as_recorded: str | date | None = None, store: Store | None = None) -> tuple[pd.DataFrame, Compiled]:
    """The registry (``FIELDS`` + ``source``) and its compiled dates/relations, current or as recorded on a date.

    Cached per store file state, so repeated as-of questions cost no reading or parsing.
    """
    store = store or Store.open()
    store.ensure()
    key_day = "" if as_recorded is None else _day(as_recorded).isoformat()
    key = (*_state(store), key_day)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    if as_recorded is None:
        frame = store.query("select * from events order by event_id")
    else:
        history = store.query(
            "select * from event_history where recorded_at < ? order by change_id",
            [(_day(as_recorded) + timedelta(days=1)).isoformat()],
        )
        if history.empty:
            from critmin.query import NoDataError

            first = store.query("select min(recorded_at) as first from event_history")["first"].iloc[0]
            raise NoDataError(
                f"nothing was recorded in the registry by {key_day}: its history starts on {str(first)[:10]}"
            )
        frame = replay(history)
    frame = frame.fillna("")
    order = frame["effective_from"].where(frame["effective_from"] != "", frame["announced"])
    frame = frame.assign(_order=order).sort_values(["_order", "event_id"], kind="mergesort")
    frame = frame.drop(columns="_order").reset_index(drop=True)
    result = (frame, compile_registry(frame))
    _CACHE.clear()
    _CACHE[key] = result
    return result


def _day(value: str | date) -> date:
    from critmin.query import parse_date

    return parse_date(value)


def replay(history: pd.DataFrame) -> pd.DataFrame:
    """The registry that the history rows produce (additions, then each field change in order)."""
    records: dict[str, dict[str, str]] = {}
    sources: dict[str, str] = {}
    row: Any
    for row in history.itertuples(index=False):
        if row.action == "add":
            rec = json.loads(row.new_value)
            records[row.event_id] = {f: rec.get(f, "") for f in FIELDS}
            sources[row.event_id] = row.source_url or row.by
        elif row.event_id in records:
            records[row.event_id][row.field] = row.new_value or ""
    frame = pd.DataFrame(list(records.values()), columns=list(FIELDS))
    frame["source"] = [sources.get(e, "") for e in frame["event_id"]]
    return frame.sort_values("event_id").reset_index(drop=True)


def unknown_event(event_id: str, known: Iterable[str]) -> vocab.UnknownNameError:
    """The error for an unknown event id, with the closest ids suggested."""
    from rapidfuzz import process

    found = [m[0] for m in process.extract(event_id, list(known), limit=3, score_cutoff=60)]
    return vocab.UnknownNameError("event", event_id, found)


def get(event_id: str, as_recorded: str | date | None = None) -> dict[str, str]:
    """One record by id (unknown ids raise ``UnknownNameError`` with suggestions)."""
    frame, _ = load(as_recorded)
    hit = frame[frame["event_id"] == event_id]
    if hit.empty:
        raise unknown_event(event_id, frame["event_id"])
    return {str(k): str(v) for k, v in hit.iloc[0].to_dict().items()}


def history(event_id: str) -> pd.DataFrame:
    """Every recorded change of one event, oldest first."""
    store = Store.open()
    frame = store.query("select * from event_history where event_id = ? order by change_id", [event_id])
    if frame.empty:
        raise unknown_event(event_id, store.query("select event_id from events")["event_id"])
    return frame


def sources(event_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Rows of ``event_sources`` (all, or of the given events)."""
    store = Store.open()
    frame = store.query("select * from event_sources order by event_id, role, url")
    if event_ids is not None:
        frame = frame[frame["event_id"].isin(set(event_ids))]
    return frame


def _check_by(by: str) -> None:
    if not BY_RE.match(by or ""):
        raise RegistryError([("-", "by", f"{by!r} must be user:NAME, news:URL or import:FILE")])


def add(records: Iterable[Mapping[str, Any]], by: str, source_url: str | None = None) -> list[str]:
    """Add new measures (all or none); returns their ids. Existing ids are refused (use :func:`edit`)."""
    return apply(records, by, source_url, allow_existing=False)


def edit(event_id: str, changes: Mapping[str, Any], by: str, source_url: str) -> list[str]:
    """Change fields of one measure; each changed field is one history row (old and new value)."""
    bad = [
        (event_id, f, f"not an editable field (one of {', '.join(EDITABLE)})")
        for f in changes
        if f not in EDITABLE
    ]
    if bad:
        raise RegistryError(bad)
    if not source_url:
        raise RegistryError([(event_id, "source", "an edit needs the URL of its source")])
    current = get(event_id)
    merged = {**{f: current.get(f, "") for f in FIELDS}, **changes}
    return apply([merged], by, source_url, allow_existing=True, only_existing=True)


def apply(
    records: Iterable[Mapping[str, Any]],
    by: str,
    source_url: str | None = None,
    allow_existing: bool = True,
    only_existing: bool = False,
    origin: str | None = None,
) -> list[str]:
    """Add new and update existing measures in one transaction, after validating the registry they make.

    A record with an id already in the registry becomes field-level edits (unchanged fields write nothing);
    a new id becomes an addition. On any fault nothing is written and :class:`RegistryError` names the row
    and field. Returns the ids added or changed.
    """
    _check_by(by)
    incoming = [normalise(r) for r in records]
    rows = {
        rec["event_id"]: f"row {i + 1} ({rec['event_id'] or 'no event_id'})" for i, rec in enumerate(incoming)
    }
    problems = [
        p
        for i, rec in enumerate(incoming)
        for p in check_record(rec, f"row {i + 1} ({rec['event_id'] or 'no event_id'})")
    ]
    seen: set[str] = set()
    for i, rec in enumerate(incoming):
        if rec["event_id"] in seen:
            problems.append((f"row {i + 1}", "event_id", f"{rec['event_id']} appears twice in the input"))
        seen.add(rec["event_id"])
    if problems:
        raise RegistryError(problems)
    store = Store.open()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with store.connect(read_only=False) as con:
        current = con.execute("select * from events").df().fillna("")
        existing = {str(r["event_id"]): {str(k): v for k, v in r.items()} for r in current.to_dict("records")}
        merged = {eid: {f: str(rec.get(f, "")) for f in FIELDS} for eid, rec in existing.items()}
        problems = []
        for i, rec in enumerate(incoming):
            eid = rec["event_id"]
            if eid in existing and not allow_existing:
                problems.append((f"row {i + 1}", "event_id", f"{eid} is already in the registry (use edit)"))
            if eid not in existing and only_existing:
                problems.append((f"row {i + 1}", "event_id", str(unknown_event(eid, existing))))
            merged[eid] = rec
        problems += check_registry(merged, rows)
        if problems:
            raise RegistryError(problems)
        changed = _write(con, incoming, existing, by, source_url, now, origin or by)
    _CACHE.clear()
    return changed


def _write(
    con: duckdb.DuckDBPyConnection,
    incoming: list[dict[str, str]],
    existing: Mapping[str, Mapping[str, Any]],
    by: str,
    source_url: str | None,
    now: str,
    origin: str,
) -> list[str]:
    con.execute("begin transaction")
    try:
        change_id = int(con.execute("select coalesce(max(change_id), 0) from event_history").fetchall()[0][0])
        log: list[list[Any]] = []
        rows: list[dict[str, str]] = []
        changed: list[str] = []
        for rec in incoming:
            eid = rec["event_id"]
            old = existing.get(eid)
            src = source_url or rec["source_url"]
            if old is None:
                change_id += 1
                log.append(
                    [change_id, now, eid, "add", "*", "", json.dumps(rec, ensure_ascii=False), by, src]
                )
                rows.append({**rec, "source": rec["source_url"]})
                changed.append(eid)
                continue
            diffs = [(f, str(old.get(f, "")), rec[f]) for f in FIELDS if str(old.get(f, "")) != rec[f]]
            if not diffs:
                continue
            change_id += 1
            log += [[change_id, now, eid, "edit", f, o, n, by, src] for f, o, n in diffs]
            rows.append({**rec, "source": str(old.get("source") or rec["source_url"])})
            changed.append(eid)
        if changed:
            history = pd.DataFrame(
                log,
                columns=[
                    "change_id",
                    "recorded_at",
                    "event_id",
                    "action",
                    "field",
                    "old_value",
                    "new_value",
                    "by",
                    "source_url",
                ],
            )
            history["source"] = history["source_url"].where(history["source_url"] != "", history["by"])
            frame = pd.DataFrame(rows, columns=[*FIELDS, "source"])
            con.register("incoming_history", history)
            con.register("incoming_events", frame)
            con.execute("insert into event_history select * from incoming_history")
            con.execute("delete from events where event_id in (select event_id from incoming_events)")
            con.execute("insert into events select * from incoming_events")
            con.execute(
                "insert into imports values (?, ?, ?, ?)", ["events", f"registry {origin}", len(changed), now]
            )
            for table in ("events", "event_history"):
                con.execute(
                    f"update datasets set rows = (select count(*) from {table}) where name = ?", [table]
                )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return changed


def parse_set(assignments: Iterable[str]) -> dict[str, str]:
    """``FIELD=VALUE`` strings as a dict (a blank value clears the field)."""
    out: dict[str, str] = {}
    for item in assignments:
        field, sep, value = item.partition("=")
        if not sep or not field.strip():
            raise RegistryError([("--set", item, "expected FIELD=VALUE")])
        out[field.strip()] = value.strip()
    return out
