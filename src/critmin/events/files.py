"""CSV/JSON export and import of the registry, with its Frictionless table schema.

The schema is the ``events`` resource's schema of the embedded data package without the store's ``source``
column. An exported CSV gets the schema beside it (``FILE.schema.json``). An imported CSV is first checked
against the schema with frictionless (types, required fields, patterns, enumerations), then every record and
the registry it would make are checked by :mod:`critmin.events.model`; any fault refuses the whole file,
naming row and field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from critmin.events.model import FIELDS, RegistryError, format_relations, parse_relations, split


def schema() -> dict[str, Any]:
    """The registry's Frictionless table schema (from the embedded ``datapackage.json``)."""
    from critmin.store import package_descriptor

    res = next(r for r in package_descriptor()["resources"] if r["name"] == "events")
    fields = [f for f in res["schema"]["fields"] if f["name"] in FIELDS]
    return {"fields": fields, "primaryKey": ["event_id"], "missingValues": [""]}


def to_json_records(frame: pd.DataFrame, urls: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
    """Registry rows as JSON records: lists for ids, codes and relations, ``target`` ``"all"`` or a list."""
    out = []
    for rec in frame.to_dict("records"):
        item: dict[str, Any] = {f: (rec.get(f) or None) for f in FIELDS}
        item["commodity_ids"] = split(rec.get("commodity_ids"))
        item["hs_codes"] = split(rec.get("hs_codes"))
        item["target"] = "all" if rec.get("target") == "all" else split(rec.get("target"))
        item["relations"] = [{"type": k, "event_id": t} for k, t in parse_relations(rec.get("relations"))]
        if "in_force_on_as_of" in rec:
            value = rec["in_force_on_as_of"]
            item["in_force"] = None if value is pd.NA or value is None else bool(value)
            item["in_force_reason"] = rec.get("in_force_reason")
        found = [rec.get("source_url"), *(urls or {}).get(rec["event_id"], [])]
        item["sources"] = list(dict.fromkeys(u for u in found if u))
        out.append(item)
    return out


def export(frame: pd.DataFrame, path: Path) -> Path:
    """Write the registry to ``path`` (``.json``: records; else CSV plus ``FILE.schema.json``)."""
    if path.suffix.lower() == ".json":
        path.write_text(
            json.dumps(to_json_records(frame), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        return path
    frame[list(FIELDS)].to_csv(path, index=False, lineterminator="\n")
    schema_path = path.with_name(path.name + ".schema.json")
    schema_path.write_text(json.dumps(schema(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def read(path: Path) -> list[dict[str, Any]]:
    """Records of a registry file (CSV checked against the schema; JSON: a list of records or one record)."""
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise RegistryError([(f"line {exc.lineno}", "-", f"not JSON: {exc.msg}")]) from None
        items = data if isinstance(data, list) else [data]
        if not all(isinstance(i, dict) for i in items):
            raise RegistryError([("-", "-", "expected a JSON object or a list of objects")])
        out = []
        for item in items:
            rec = dict(item)
            if isinstance(rec.get("relations"), list):
                rec["relations"] = format_relations(rec["relations"])
            rec.pop("sources", None)
            out.append(rec)
        return out
    return _read_csv(path)


def _read_csv(path: Path) -> list[dict[str, Any]]:
    from frictionless import Resource, Schema

    resource = Resource(
        path=path.name,
        basepath=str(path.resolve().parent),
        schema=Schema.from_descriptor(schema()),
        format="csv",
    )
    report = resource.validate()
    if not report.valid:
        problems = []
        for err in report.flatten(["rowNumber", "fieldName", "type", "message"]):
            row, field, kind, message = err
            problems.append((f"row {row}" if row else "header", field or kind, message))
        raise RegistryError(problems)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
