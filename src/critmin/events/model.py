"""The registry's data model: a measure with validity in time, partial dates and relations to other measures.

A measure (one row of the registry) has an issuer (``iso3``), a ``measure`` type from the registry's
vocabulary (``src/critmin/data/vocab/event_measures.csv``), commodities (names as the source writes them and
canonical ``commodity_ids``), a ``target`` (``all`` or ISO3 codes), and dates: ``announced`` (when it was
made public) kept apart from ``effective_from`` / ``effective_to`` (the first and the last day it applied,
both inclusive). Dates may be partial: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``. ``status_as_of`` is the date
up to which the record's source has information (the OECD inventory ends in 2021; blank means current).

Relations (``suspends``, ``lifts``, ``replaces``, ``amends``, ``extends``; ``same_as`` links a record of
another source to a critmin event) point from a measure to earlier ones; they are stored as text,
``type:EVENT_ID`` pairs joined by ``;``.
"""

from __future__ import annotations

import calendar
import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from critmin import vocab
from critmin.data import PACKAGE_DIR

VOCAB_DIR = Path(str(PACKAGE_DIR)) / "vocab"

# the registry's columns in order (the store's ``events`` table adds ``source``)
FIELDS: tuple[str, ...] = (
    "event_id",
    "provenance",
    "iso3",
    "country",
    "measure",
    "measure_detail",
    "commodities",
    "commodity_ids",
    "hs_codes",
    "target",
    "announced",
    "effective_from",
    "effective_to",
    "status_as_of",
    "status",
    "relations",
    "date_note",
    "summary",
    "source_url",
)
DATE_FIELDS = ("announced", "effective_from", "effective_to", "status_as_of")
LIST_FIELDS = ("commodity_ids", "hs_codes", "relations")
REQUIRED = ("event_id", "provenance", "iso3", "measure", "target", "status", "source_url")
EDITABLE = tuple(f for f in FIELDS if f not in ("event_id", "commodity_ids", "country"))

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_ID_RE = re.compile(r"^[A-Z0-9][A-Z0-9._-]*$")


class RegistryError(ValueError):
    """A registry record or file is invalid; ``problems`` lists ``(row, field, message)`` for every fault."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        self.problems = problems
        lines = [f"{row}: {field}: {message}" for row, field, message in problems[:20]]
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__("invalid registry data, nothing was written:\n" + "\n".join(lines) + more)


@dataclass(frozen=True)
class PartialDate:
    """A date known to the year, month or day; ``first`` and ``last`` are the days it may stand for."""

    text: str
    first: date
    last: date

    @property
    def precision(self) -> str:
        """``year``, ``month`` or ``day``."""
        return {4: "year", 7: "month"}.get(len(self.text), "day")

    @property
    def exact(self) -> bool:
        """True if known to the day."""
        return self.first == self.last


def parse_partial_date(text: str) -> PartialDate:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as a :class:`PartialDate`; anything else raises ``ValueError``."""
    raw = str(text).strip()
    match = _DATE_RE.match(raw)
    if not match:
        raise ValueError(f"not a date {raw!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = match.groups()
    y = int(year)
    try:
        if month is None:
            return PartialDate(raw, date(y, 1, 1), date(y, 12, 31))
        m = int(month)
        if day is None:
            return PartialDate(raw, date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1]))
        exact = date(y, m, int(day))
    except ValueError as exc:
        raise ValueError(f"impossible date {raw!r} ({exc})") from exc
    return PartialDate(raw, exact, exact)


def _table(name: str) -> list[dict[str, str]]:
    with (VOCAB_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def measures() -> dict[str, str]:
    """Measure type id → description (``event_measures.csv``)."""
    return {r["id"]: r["description"] for r in _table("event_measures.csv")}


@cache
def relation_types() -> dict[str, str]:
    """Relation type → its effect on the target's validity: ``pauses``, ``ends`` or ``none``."""
    return {r["id"]: r["effect"] for r in _table("event_relations.csv")}


@cache
def statuses() -> tuple[str, ...]:
    """The status vocabulary (``event_statuses.csv``)."""
    return tuple(r["id"] for r in _table("event_statuses.csv"))


@cache
def commodity_terms() -> frozenset[str]:
    """Registry terms outside the commodity vocabulary (``dual-use items``, ``raw minerals``, ...)."""
    return frozenset(r["term"] for r in _table("event_terms.csv"))


def split(text: Any) -> list[str]:
    """Items of a ``;``-joined text field (empty for blank/missing)."""
    if text is None or (isinstance(text, float) and text != text):
        return []
    return [p.strip() for p in str(text).split(";") if p.strip()]


def parse_relations(text: Any) -> list[tuple[str, str]]:
    """``type:EVENT_ID;...`` as ``[(type, event_id), ...]``; malformed items raise ``ValueError``."""
    out = []
    for item in split(text):
        kind, sep, target = item.partition(":")
        if not sep or not target:
            raise ValueError(f"relation {item!r} is not TYPE:EVENT_ID")
        out.append((kind.strip(), target.strip()))
    return out


def format_relations(pairs: Iterable[tuple[str, str]] | Iterable[Mapping[str, str]]) -> str:
    """The stored text of relations given as pairs or as ``{"type": ..., "event_id": ...}`` dicts."""
    items = []
    for p in pairs:
        kind, target = (p["type"], p["event_id"]) if isinstance(p, Mapping) else p
        items.append(f"{kind}:{target}")
    return ";".join(items)


def commodity_ids_for(names: Iterable[str]) -> list[str]:
    """Canonical ids of the names that are in the commodity vocabulary (registry terms are skipped)."""
    ids: list[str] = []
    for name in names:
        try:
            cid = vocab.resolve_commodity(name)
        except vocab.UnknownNameError:
            continue
        if cid not in ids:
            ids.append(cid)
    return ids


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


def normalise(record: Mapping[str, Any]) -> dict[str, str]:
    """A record with every field as text (lists joined by ``;``), ``commodity_ids`` and ``country`` derived."""
    out: dict[str, str] = {}
    for field in FIELDS:
        value = record.get(field)
        if field == "relations" and isinstance(value, list):
            value = format_relations(value)
        elif isinstance(value, list | tuple):
            value = ";".join(str(v) for v in value)
        out[field] = "" if _blank(value) else str(value).strip()
    if not out["provenance"]:
        out["provenance"] = "critmin"
    names = split(out["commodities"])
    out["commodity_ids"] = ";".join(commodity_ids_for(names)) if names else out["commodity_ids"]
    if out["iso3"] and not out["country"]:
        out["country"] = vocab.country_name(out["iso3"])
    return out


def check_record(rec: Mapping[str, str], row: str) -> list[tuple[str, str, str]]:
    """Problems of one normalised record on its own (vocabularies, dates, names); relations are checked
    against the whole registry by :func:`check_registry`."""
    problems: list[tuple[str, str, str]] = []

    def bad(field: str, message: str) -> None:
        problems.append((row, field, message))

    for field in REQUIRED:
        if not rec.get(field):
            bad(field, "required")
    if rec.get("event_id") and not _ID_RE.match(rec["event_id"]):
        bad("event_id", f"{rec['event_id']!r} must be upper-case letters, digits, '-', '_' or '.'")
    if rec.get("measure") and rec["measure"] not in measures():
        bad("measure", f"unknown measure {rec['measure']!r}{_hint(rec['measure'], measures())}")
    if rec.get("status") and rec["status"] not in statuses():
        bad("status", f"unknown status {rec['status']!r}{_hint(rec['status'], statuses())}")
    if rec.get("iso3"):
        try:
            if vocab.resolve_country(rec["iso3"]) != rec["iso3"]:
                bad(
                    "iso3",
                    f"{rec['iso3']!r} is not an ISO3 code (it is {vocab.resolve_country(rec['iso3'])})",
                )
        except vocab.UnknownNameError as exc:
            bad("iso3", str(exc))
    if rec.get("target") and rec["target"] != "all":
        for code in split(rec["target"]):
            try:
                if vocab.resolve_country(code) != code:
                    bad("target", f"{code!r} is not an ISO3 code")
            except vocab.UnknownNameError as exc:
                bad("target", str(exc))
    for name in split(rec.get("commodities")):
        if name in commodity_terms():
            continue
        try:
            vocab.resolve_commodity(name)
        except vocab.UnknownNameError as exc:
            bad("commodities", str(exc))
    for code in split(rec.get("hs_codes")):
        if not re.fullmatch(r"\d{4}(\d{2})?(\d{2})?(\d{2})?", code):
            bad("hs_codes", f"{code!r} is not an HS code (4 to 10 digits)")
    parsed: dict[str, PartialDate] = {}
    for field in DATE_FIELDS:
        if rec.get(field):
            try:
                parsed[field] = parse_partial_date(rec[field])
            except ValueError as exc:
                bad(field, str(exc))
    start, end = parsed.get("effective_from"), parsed.get("effective_to")
    if start and end and end.last < start.first:
        bad("effective_to", f"{end.text} is before effective_from {start.text}")
    try:
        kinds = relation_types()
        for kind, _target in parse_relations(rec.get("relations")):
            if kind not in kinds:
                bad("relations", f"unknown relation {kind!r}{_hint(kind, kinds)}")
    except ValueError as exc:
        bad("relations", str(exc))
    if rec.get("source_url") and not re.match(r"^(https?://|import:|file:)", rec["source_url"]):
        bad("source_url", f"{rec['source_url']!r} is not a URL")
    return problems


def _hint(value: str, choices: Iterable[str]) -> str:
    from rapidfuzz import process

    found = [m[0] for m in process.extract(value, list(choices), limit=3, score_cutoff=50)]
    return f" (did you mean {', '.join(found)}?)" if found else f" (one of {', '.join(choices)})"


def check_registry(
    records: Mapping[str, Mapping[str, str]], rows: Mapping[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """Problems of the registry as a whole: relations to missing ids, to themselves, and cycles.

    ``records`` maps event id → normalised record; ``rows`` names the row of each id in the input (for
    messages), defaulting to the id itself.
    """
    from graphlib import CycleError, TopologicalSorter

    rows = rows or {}
    problems: list[tuple[str, str, str]] = []
    graph: dict[str, set[str]] = {}
    for eid, rec in records.items():
        try:
            pairs = parse_relations(rec.get("relations"))
        except ValueError:
            continue  # reported by check_record
        for kind, target in pairs:
            row = rows.get(eid, eid)
            if target not in records:
                problems.append((row, "relations", f"{kind}:{target} points to no event in the registry"))
            elif target == eid:
                problems.append((row, "relations", f"{kind}:{target} points to itself"))
            elif kind != "same_as":
                graph.setdefault(eid, set()).add(target)
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        first = exc.args[1][0]
        problems.append((rows.get(first, first), "relations", f"cycle of relations: {cycle}"))
    return problems
