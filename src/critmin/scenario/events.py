"""Scenarios from the export-control registry (``critmin scenario run --from-event ID``) and default specs.

A registry measure gives the issuer (``iso3``), the commodities (``commodity_ids``), the targets (``target``),
the dates (``effective_from``, ``effective_to``) and the kind of measure; ``data/vocab/scenario_defaults.toml``
says how a kind becomes a restriction (an export ban blocks everything; a licence regime stops deliveries
for a licence delay and then blocks part of the exports, an assumption stated in the run's notes) and which
spec in ``examples/scenarios/`` is a commodity's default scenario, whose response, prices and demand
sections the event's scenario borrows. Every such choice is returned as a note beside the spec.
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from critmin import query, vocab
from critmin.scenario.network import _data_commodity, _world, chain_for
from critmin.scenario.spec import Restriction, ScenarioSpecError, Spec, load_spec, month_index

#: the folder of the example specs (a source checkout; an installed wheel has none)
EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "scenario" / "examples"
REGISTRY = "critmin export-control registry"


@cache
def defaults() -> dict[str, Any]:
    """The parsed ``data/vocab/scenario_defaults.toml``."""
    text = (
        resources.files("critmin.data").joinpath("vocab/scenario_defaults.toml").read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


def default_spec_path(commodity: str) -> Path | None:
    """The default scenario of ``commodity`` (or of a group it belongs to), if there is one and it exists."""
    cid = vocab.resolve_commodity(commodity)
    table: dict[str, str] = defaults()["default_spec"]
    for key in (cid, *vocab.commodity(cid).groups):
        if key in table:
            path = EXAMPLES / table[key]
            return path if path.is_file() else None
    return None


def _stage(cid: str, hs_codes: list[str], fallback: str | None) -> str:
    """The first stage of the chain whose HS codes the measure names, else ``fallback``, else the first stage."""
    chain = chain_for(cid)
    for stage in chain:
        if any(
            code.startswith(h) or h.startswith(code) for code in vocab.hs_for(cid, stage) for h in hs_codes
        ):
            return stage
    return fallback if fallback in chain else chain[0]


def _month(value: str, event_id: str, what: str, notes: list[str]) -> str | None:
    """``YYYY-MM`` of a registry date (``YYYY``: January, noted); None if empty."""
    value = (value or "").strip()
    if not value or value.lower() in ("nan", "none"):
        return None
    if len(value) == 4:
        notes.append(f"{what} known only to the year ({value}): January assumed")
        return f"{value}-01"
    return value[:7]


def spec_from_event(
    event_id: str, months: int = 12, stage: str | None = None
) -> tuple[Spec, list[dict[str, str]]]:
    """A scenario spec for the registry measure ``event_id`` and the notes saying where each part came from.

    Unknown ids raise ``vocab.UnknownNameError`` with the closest ids; a measure that cannot be run (no
    default for its kind, no date, no commodity with production data) raises :class:`ScenarioSpecError`.
    """
    from critmin.events import registry
    from critmin.events.model import split

    event = registry.get(event_id)
    where = f"event {event_id}"
    measure = event["measure"]
    rules: dict[str, Any] = defaults()["measure"]
    if measure not in rules:
        raise ScenarioSpecError(
            f"{where}: a measure of kind {measure!r} cannot be run as a scenario (supported: {', '.join(rules)}); write a spec"
        )
    rule = rules[measure]
    source = f"{REGISTRY}: {event_id}" + (f", {event['source_url']}" if event.get("source_url") else "")
    date_notes: list[str] = []
    start = _month(event.get("effective_from", ""), event_id, "effective_from", date_notes)
    if start is None:
        raise ScenarioSpecError(f"{where}: the registry has no effective_from date for it")
    end = _month(event.get("effective_to", ""), event_id, "effective_to", date_notes)
    if end is not None:
        first = date(int(start[:4]), int(start[5:7]), 1)
        duration = max(1, min(months, month_index(first, end) + 1))
        duration_note = f"in force until {event['effective_to']} (effective_to): {duration} months"
    else:
        duration = months
        duration_note = f"no effective_to in the registry: in force for the whole run ({months} months)"
    # commodities: one restriction per network (elements share their group's network: Dy → rare earths)
    groups: dict[str, list[str]] = {}
    skipped = []
    for cid in split(event["commodity_ids"]):
        try:
            data_cid = _data_commodity(cid)
            _world(data_cid, chain_for(data_cid))  # every network needs a world total
            groups.setdefault(data_cid, []).append(cid)
        except (query.NoDataError, vocab.UnknownNameError):
            skipped.append(cid)
    if not groups:
        raise ScenarioSpecError(
            f"{where}: none of its commodities ({event['commodity_ids'] or 'none'}) has production data in the store"
        )
    hs = split(event.get("hs_codes", ""))
    targets = ["all"] if event["target"].strip() in ("", "all") else split(event["target"])
    restrictions, notes = [], []
    paths = {d: p for d in groups if (p := default_spec_path(d)) is not None}
    base_specs = {d: load_spec(p) for d, p in paths.items()}
    for data_cid, members in groups.items():
        commodity = members[0] if len(members) == 1 else data_cid
        fallback = next(
            (
                r.stage
                for s in base_specs.values()
                for r in s.restriction
                if _data_commodity(r.commodity) == data_cid
            ),
            None,
        )
        chosen = stage or _stage(data_cid, hs, fallback)
        restrictions.append(
            Restriction(
                issuer=event["iso3"],
                commodity=commodity,
                stage=chosen,
                targets=targets,
                severity=rule["severity"],
                licence_delay=min(rule["licence_delay"], duration),  # a short measure is all delay
                start=start,
                duration=duration,
                event_id=event_id,
            )
        )
        method = f"{rule['note']}; from {start}, {duration_note}; stage {chosen}" + (
            " (given)"
            if stage
            else " (first stage whose HS codes the measure names, else the default spec's)"
        )
        for text in date_notes:
            method += f"; {text}"
        if len(members) > 1 or members[0] != data_cid:
            method += f"; covers {', '.join(members)}: modelled on the whole {data_cid} network (no element-level production in the store)"
        notes.append(
            {
                "commodity": commodity,
                "stage": chosen,
                "item": "restriction",
                "method": method,
                "source": source,
            }
        )
    if skipped:
        notes.append(
            {
                "commodity": next(iter(groups)),
                "stage": "all",
                "item": "restriction",
                "method": f"not modelled: {', '.join(skipped)} (no world production total in the store)",
                "source": source,
            }
        )
    base = next(iter(base_specs.values()), None)
    borrowed: dict[str, Any] = {}
    if base is not None:
        prices = base.prices if len(restrictions) == 1 else base.prices.model_copy(update={"form": None})
        demand = list(dict.fromkeys(d for s in base_specs.values() for d in s.demand))
        borrowed = {"response": base.response, "prices": prices, "demand": demand}
        names = ", ".join(sorted({p.name for p in paths.values()}))
        method = f"response, prices and demand of the default scenario ({names})"
    else:
        method = "no default scenario for the commodity: no spare capacity, stocks or substitution; default elasticities"
    notes.append(
        {
            "commodity": next(iter(groups)),
            "stage": "all",
            "item": "response",
            "method": method,
            "source": "data/vocab/scenario_defaults.toml",
        }
    )
    spec = Spec.model_validate(
        {
            "scenario": {
                "name": f"{event_id}: {measure.replace('_', ' ')} by {vocab.country_name(event['iso3'])}",
                "description": event.get("summary", ""),
                "start": start,
                "months": months,
            },
            "restriction": restrictions,
            **borrowed,
        }
    )
    return spec, notes
