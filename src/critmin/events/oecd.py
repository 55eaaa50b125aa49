"""The OECD Inventory of Export Restrictions on Industrial Raw Materials as a second source of the registry.

The inventory has one row per country × HS6 line × measure type × data year, with a ``direction`` saying
what happened that year (``introduction``, ``left unchanged``, ``increase``, ``elimination``, ...). Rows of
one measure are folded into validity intervals: an interval starts at an introduction (or the first year the
measure is recorded), runs through consecutive years and ends the day before an ``elimination`` (the OECD's
date of that row), or stays open when the measure is still recorded in the last year of the data, with
``status_as_of`` set to that year (the OECD has no information after it). A gap in the years without an
elimination closes the interval without an end date. OECD measure types map to the registry's vocabulary
(``src/critmin/data/vocab/oecd_measures.csv``); the OECD's own name is kept in ``measure_detail``.

A folded OECD measure is *linked* to a critmin event describing the same measure (same issuer and measure
type, a shared commodity, and an OECD introduction or change within 31 days of the event's
``effective_from``) by a ``same_as`` relation; they are not merged.
"""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from critmin import vocab
from critmin.data.importers import ImportFormatError
from critmin.events.model import FIELDS, VOCAB_DIR, parse_partial_date, split

PROVENANCE = "OECD"
CITATION = (
    "OECD (2023), Inventory of Export Restrictions on Industrial Raw Materials, OECD, Paris (CC BY 4.0)"
)
COLUMNS = ("iso3", "country", "hs_description", "hs6", "measure_type", "year", "date_introduced", "direction")
LINK_DAYS = 31
ENDS = {"elimination"}
STARTS = {"introduction", "reintroduction"}


@cache
def measure_map() -> dict[str, str]:
    """OECD measure type → registry measure."""
    with (VOCAB_DIR / "oecd_measures.csv").open(encoding="utf-8", newline="") as fh:
        return {r["oecd_measure"].lower(): r["measure"] for r in csv.DictReader(fh)}


@cache
def _aliases() -> dict[str, str]:
    with (VOCAB_DIR / "oecd_columns.csv").open(encoding="utf-8", newline="") as fh:
        return {_norm(a): r["column"] for r in csv.DictReader(fh) for a in split(r["aliases"])}


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()


def read_inventory(path: Path | str) -> pd.DataFrame:
    """The inventory rows of a CSV (the extract's layout) or an Excel workbook (sheet ``IND`` if present).

    Column names are matched through ``oecd_columns.csv``; a missing column or a bad year or date raises
    :class:`ImportFormatError` naming the file, line and column.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        sheets = pd.ExcelFile(path).sheet_names
        sheet = "IND" if "IND" in sheets else sheets[0]
        raw = pd.read_excel(path, sheet_name=sheet, dtype=str)
        first_line = 2
    else:
        import io

        from critmin.data.importers.files import read_text

        raw = pd.read_csv(io.StringIO(read_text(path)), dtype=str, keep_default_na=False, na_values=[""])
        first_line = 2
    renames = {c: _aliases()[_norm(c)] for c in raw.columns if _norm(c) in _aliases()}
    df = raw.rename(columns=renames)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ImportFormatError(
            path, 1, None, f"missing columns {missing} (found {list(raw.columns)}; names in oecd_columns.csv)"
        )
    df = df[list(COLUMNS)].copy()
    df["line"] = range(first_line, first_line + len(df))
    years = pd.to_numeric(df["year"], errors="coerce")
    if years.isna().any():
        bad = df[years.isna()].iloc[0]
        raise ImportFormatError(path, int(bad["line"]), "year", f"{bad['year']!r} is not a year")
    df["year"] = years.astype(int)
    dates = [_partial(v) for v in df["date_introduced"].tolist()]
    bad_rows = [i for i, v in enumerate(dates) if v is None]
    if bad_rows:
        bad = df.iloc[bad_rows[0]]
        raise ImportFormatError(
            path, int(bad["line"]), "date_introduced", f"{bad['date_introduced']!r} is not dd/mm/yyyy"
        )
    df["date"] = dates
    df["hs6"] = df["hs6"].astype(str).str.replace(r"\.0$", "", regex=True).str.zfill(6)
    df["direction"] = df["direction"].str.strip().str.lower()
    unknown = ~df["measure_type"].str.lower().isin(measure_map())
    if unknown.any():
        bad = df[unknown].iloc[0]
        raise ImportFormatError(
            path, int(bad["line"]), "measure_type", f"unknown OECD measure type {bad['measure_type']!r}"
        )
    return df


def _partial(text: Any) -> str | None:
    """The OECD's date as registry text: ``dd/mm/yyyy`` → day, ``nd/mm/yyyy`` → month, ``yyyy`` → year,
    ``nd`` (no date) → ``""``; ``None`` if unreadable."""
    raw = "" if text is None or (isinstance(text, float) and text != text) else str(text).strip()
    if raw.lower() in ("", "nd", "n.d.", "na"):
        return ""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}( 00:00:00)?", raw):
        raw = raw[:10]
        return raw if _valid(raw) else None
    match = re.fullmatch(r"(\d{1,2}|nd)/(\d{1,2})/(\d{4})", raw, flags=re.IGNORECASE)
    if match:
        day, month, year = match.groups()
        out = f"{year}-{int(month):02d}" if day.lower() == "nd" else f"{year}-{int(month):02d}-{int(day):02d}"
        return out if _valid(out) else None
    if re.fullmatch(r"\d{4}", raw):
        return raw
    return None


def _valid(text: str) -> bool:
    try:
        parse_partial_date(text)
    except ValueError:
        return False
    return True


@cache
def _hs_commodities() -> dict[str, str]:
    return {r["hs"]: r["commodity"] for r in vocab.hs_codes()}


@cache
def _commodities(hs6: str, description: str) -> list[str]:
    """Commodity ids of an HS line: the vocabulary's HS map, else commodity names found in the description."""
    found = []
    if hs6 in _hs_commodities():
        found.append(_hs_commodities()[hs6])
    text = f" {_norm(description)} "
    for cid in vocab.commodity_ids():
        com = vocab.commodity(cid)
        names = {cid.replace("-", " "), _norm(com.name), *(_norm(s) for s in com.synonyms)}
        if any(f" {n} " in text for n in names if len(n) > 3) and cid not in found:
            found.append(cid)
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", text.upper()).strip("-")[:24]


def fold(rows: pd.DataFrame, source: str) -> pd.DataFrame:
    """Fold inventory rows (as read by :func:`read_inventory`) into registry records, one per interval.

    ``source`` names the file in ``source_url`` (``import:FILE``). Returns the registry's columns plus
    ``changes`` (the OECD's dated changes inside each interval, for linking).
    """
    last_year = int(rows["year"].max())
    records: list[dict[str, Any]] = []
    keys = ["iso3", "hs6", "measure_type"]
    ordered = rows.sort_values([*keys, "year", "date", "line"], kind="mergesort")
    row: Any
    for (iso3, hs6, mtype), group in ordered.groupby(keys, sort=False):
        current: dict[str, Any] | None = None
        prev_year: int | None = None
        for row in group.itertuples(index=False):
            direction = str(row.direction)
            if current is not None and prev_year is not None and row.year > prev_year + 1:
                current["status_as_of"] = str(prev_year)
                current["date_note"] = f"not recorded by the OECD after {prev_year} (no elimination recorded)"
                records.append(current)
                current = None
            if current is None:
                if direction in ENDS:
                    prev_year = row.year
                    continue  # an elimination of a measure recorded before the data starts
                current = _start(row, str(iso3), str(hs6), str(mtype), source)
            elif direction in ENDS:
                current["effective_to"] = _end(row.date, row.year, current["effective_from"])
                current["status"] = "lifted"
                if not row.date:
                    current["date_note"] = _add_change(
                        current["date_note"], f"eliminated in {row.year} (OECD gives no date)", None
                    )
                current["changes"] += _known(row.date)
                records.append(current)
                current = None
            elif direction not in ("left unchanged",):
                current["changes"] += _known(row.date)
                current["date_note"] = _add_change(current["date_note"], direction, row.date or str(row.year))
            prev_year = row.year
        if current is not None:
            current["status_as_of"] = str(prev_year)
            if prev_year is not None and prev_year < last_year:
                current["date_note"] = _add_change(
                    current["date_note"], f"not recorded by the OECD after {prev_year}", None
                )
            records.append(current)
    frame = pd.DataFrame(records)
    frame["event_id"] = _unique(frame["event_id"])
    return frame[[*FIELDS, "changes"]]


def _add_change(note: str, what: str, when: str | None) -> str:
    item = f"{what} {when}" if when else what
    return f"{note}; {item}" if note else f"OECD changes: {item}" if when else item


def _known(text: str) -> list[date]:
    return [parse_partial_date(text).first] if text else []


def _end(text: str, year: int, start: str) -> str:
    """``effective_to`` for an elimination dated ``text`` (the day before it; the period itself if partial)."""
    if not text:
        return str(year)
    when = parse_partial_date(text)
    if not when.exact:
        return text
    last = when.first - timedelta(days=1)
    if start and last < parse_partial_date(start).first:
        return start  # eliminated on the day it started: in force that day only, as the OECD records it
    return last.isoformat()


def _start(row: Any, iso3: str, hs6: str, mtype: str, source: str) -> dict[str, Any]:
    start = row.date
    note = ""
    if not start and str(row.direction) in STARTS:
        start = str(row.year)  # introduced during that data year; the OECD gives no date
    elif not start:
        note = f"in force in {row.year}; the OECD gives no date of introduction"
    ids = list(_commodities(hs6, str(row.hs_description)))
    try:
        country = vocab.country_name(vocab.resolve_country(iso3))
    except vocab.UnknownNameError:
        country = str(row.country)
    return {
        "event_id": f"OECD-{iso3}-{hs6}-{_slug(mtype)}-{(start or str(row.year)).replace('-', '')}",
        "provenance": PROVENANCE,
        "iso3": iso3,
        "country": country,
        "measure": measure_map()[mtype.lower()],
        "measure_detail": mtype,
        "commodities": ";".join(ids),
        "commodity_ids": ";".join(ids),
        "hs_codes": hs6,
        "target": "all",
        "announced": "",
        "effective_from": start,
        "effective_to": "",
        "status_as_of": "",
        "status": "in_force",
        "relations": "",
        "date_note": note,
        "summary": f"OECD inventory: {mtype.lower()} on HS {hs6} ({row.hs_description}).",
        "source_url": source,
        "changes": _known(start),
    }


def _unique(ids: pd.Series) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for eid in ids:
        n = seen.get(eid, 0)
        seen[eid] = n + 1
        out.append(eid if n == 0 else f"{eid}.{n + 1}")
    return out


def link(oecd: pd.DataFrame, critmin: pd.DataFrame) -> pd.Series:
    """``relations`` for the OECD records: ``same_as:EVENT`` for each critmin event describing the same measure."""
    events = []
    rec: Any
    for rec in critmin.itertuples(index=False):
        if not rec.effective_from:
            continue
        events.append(
            (rec.event_id, rec.iso3, rec.measure, set(split(rec.commodity_ids)),
             parse_partial_date(rec.effective_from).first)
        )  # fmt: skip
    out = []
    for rec in oecd.itertuples(index=False):
        ids = set(split(rec.commodity_ids))
        found = [
            f"same_as:{eid}"
            for eid, iso3, measure, cids, start in events
            if iso3 == rec.iso3
            and measure == rec.measure
            and ids & cids
            and any(abs((start - d).days) <= LINK_DAYS for d in rec.changes)
        ]
        out.append(";".join(found))
    return pd.Series(out, index=oecd.index)
