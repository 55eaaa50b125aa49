"""Build of the registry's resources of the embedded data package (``events``, ``event_sources``,
``event_history``) from ``../shared/data/events`` and the research kept in ``src/critmin/data/events/``.

The history is the registry's record of how it came to be: the shared registry's rows as added on its
research date, then every researched change (an end date, a relation, a status) as an edit with its source
URL, then the researched later measures and the folded OECD inventory as additions. The ``events`` resource
is that history applied, so both always agree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from critmin.data import PACKAGE_DIR
from critmin.events import oecd
from critmin.events.model import FIELDS, RegistryError, check_record, check_registry, normalise

RESEARCH_DIR = Path(str(PACKAGE_DIR)) / "events"
HISTORY_COLUMNS = (
    "change_id", "recorded_at", "event_id", "action", "field", "old_value", "new_value", "by", "source_url",
)  # fmt: skip


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _shared_record(row: Mapping[Any, Any]) -> dict[str, str]:
    """A row of ``export_controls.csv`` in the registry's fields (``effective`` → ``effective_from``)."""
    rec = {str(k): v for k, v in row.items()}
    rec["effective_from"] = rec.pop("effective", "")
    rec["provenance"] = "critmin"
    return normalise(rec)


@cache
def _assemble(shared_csv: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(registry records, history) built from the shared registry, the research files and the OECD extract."""
    recording = json.loads((RESEARCH_DIR / "recording.json").read_text(encoding="utf-8"))
    records: dict[str, dict[str, str]] = {}
    history: list[dict[str, Any]] = []

    def log(part: str, event_id: str, action: str, field: str, old: str, new: str, url: str) -> None:
        history.append(
            {
                "change_id": len(history) + 1,
                "recorded_at": recording[part]["recorded_at"],
                "event_id": event_id,
                "action": action,
                "field": field,
                "old_value": old,
                "new_value": new,
                "by": recording[part]["by"],
                "source_url": url,
            }
        )

    for row in _read_csv(shared_csv).to_dict("records"):
        rec = _shared_record(row)
        records[rec["event_id"]] = rec
        log("shared", rec["event_id"], "add", "*", "", json.dumps(rec, ensure_ascii=False), rec["source_url"])
    for edit in _read_csv(RESEARCH_DIR / "research_edits.csv").to_dict("records"):
        found = records.get(edit["event_id"])
        if found is None or edit["field"] not in FIELDS:
            raise RegistryError(
                [(edit["event_id"], edit["field"], "research edit of an unknown event or field")]
            )
        old = found[edit["field"]]
        found[edit["field"]] = edit["value"]
        log("research", edit["event_id"], "edit", edit["field"], old, edit["value"], edit["source_url"])
    for row in _read_csv(RESEARCH_DIR / "research_events.csv").to_dict("records"):
        rec = normalise({str(k): v for k, v in row.items()})
        records[rec["event_id"]] = rec
        log(
            "research",
            rec["event_id"],
            "add",
            "*",
            "",
            json.dumps(rec, ensure_ascii=False),
            rec["source_url"],
        )
    critmin = pd.DataFrame(list(records.values()), columns=list(FIELDS))
    extract = shared_csv.parent / "oecd_inventory" / "oecd_export_restrictions_subset.csv"
    folded = oecd.fold(oecd.read_inventory(extract), recording["oecd"]["by"])
    folded["relations"] = oecd.link(folded, critmin)
    for item in folded[list(FIELDS)].to_dict("records"):
        rec = {str(k): str(v) for k, v in item.items()}
        records[rec["event_id"]] = rec
        log("oecd", rec["event_id"], "add", "*", "", json.dumps(rec, ensure_ascii=False), rec["source_url"])
    problems = [p for rec in records.values() for p in check_record(rec, rec["event_id"])]
    problems += check_registry(records)
    if problems:
        raise RegistryError(problems)
    return pd.DataFrame(list(records.values()), columns=list(FIELDS)), pd.DataFrame(history)


def build_events(src: Path) -> pd.DataFrame:
    """The ``events`` resource: the registry as its history leaves it, each row with a ``source``."""
    frame, _ = _assemble(src)
    frame = frame.copy()
    frame["source"] = [
        oecd.CITATION if p == oecd.PROVENANCE else url
        for p, url in zip(frame["provenance"], frame["source_url"], strict=True)
    ]
    return frame


def build_event_sources(src: Path) -> pd.DataFrame:
    """The ``event_sources`` resource: the shared sources, the sources of researched events and of every
    researched date or relation (role ``research:FIELD``)."""
    shared = _read_csv(src)
    added = _read_csv(RESEARCH_DIR / "research_sources.csv")
    edits = _read_csv(RESEARCH_DIR / "research_edits.csv")
    dated = pd.DataFrame(
        {
            "event_id": edits["event_id"],
            "role": "research:" + edits["field"],
            "url": edits["source_url"],
            "publisher": "",
            "published": "",
            "note": edits["note"],
        }
    )
    df = pd.concat([shared, added, dated], ignore_index=True)
    df = df.drop_duplicates(["event_id", "role", "url"], keep="first")
    df["source"] = df["url"]
    return df


def build_event_history(src: Path) -> pd.DataFrame:
    """The ``event_history`` resource: every addition and change, append-only, with when, by whom, from where."""
    _, history = _assemble(src)
    out = history.copy()
    out["source"] = out["source_url"].where(out["source_url"] != "", out["by"])
    return out
