"""The documented parameter set: the default of every scenario and the one set every backtest runs with.

``data/scenario/parameters.toml`` holds the ``[response]`` and ``[prices]`` values; each sourced number is
checked, when it loads, against the calibration row it cites (:func:`critmin.query.calibration`), and each
unsourced one carries the reason it is an assumption. :func:`complete` fills what a spec leaves out and says
where every filled value came from (docs/scenario-model.md, "Parameters").
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from critmin import query
from critmin.scenario.spec import ScenarioSpecError, Spec

#: the keys of a spec the documented set can fill, by section
KEYS = {
    "response": ("spare_capacity", "ramp", "stocks_months", "substitution", "rerouting"),
    "prices": ("demand_elasticity", "supply_elasticity", "cap_multiple"),
}


class ParameterError(ScenarioSpecError):
    """The documented parameter set disagrees with the data it cites, or cites a row that is not there."""


def row(ref: dict[str, Any], where: str) -> pd.Series:
    """The one calibration row ``ref`` names (``table``, default episodes, and column = value pairs)."""
    match = {k: v for k, v in ref.items() if k not in ("table", "change")}
    table = ref.get("table", "episodes")
    frame = query.calibration(table)
    for column, value in match.items():
        if column not in frame.columns:
            raise ParameterError(f"{where}: no column {column!r} in the {table} table")
        frame = frame[frame[column] == value]
    if len(frame) != 1:
        raise ParameterError(f"{where}: {len(frame)} {table} rows match {match} (need exactly one)")
    return frame.iloc[0]


def number(found: pd.Series, column: str, where: str) -> float:
    """The number in ``column`` of a calibration row; an error naming the row's source if it has none."""
    value = found[column]
    if value is None or pd.isna(value):
        raise ParameterError(f"{where}: the row has no number in {column!r} (source: {found['source']})")
    return float(value)


@dataclass(frozen=True)
class Documented:
    """The checked parameter set: values by section and, per key, the source or the assumption behind it."""

    values: dict[str, dict[str, Any]]
    why: dict[str, str]


def _cited(name: str, ref: dict[str, Any]) -> tuple[float, str]:
    where = f"parameters.toml: sources.{name}"
    found = row(dict(ref["where"], table=ref["table"]), where)
    value = number(found, ref["column"], where)
    sources = [str(found["source"])]
    if ref.get("ratio"):
        base = row(dict(ref["base"], table=ref["table"]), where + ".base")
        value /= number(base, ref["column"], where)
        sources.append(str(base["source"]))
    return value * ref.get("scale", 1.0), "; ".join(dict.fromkeys(sources))


@cache
def documented() -> Documented:
    """``parameters.toml`` read and checked (:func:`check`)."""
    text = resources.files("critmin.data").joinpath("scenario/parameters.toml").read_text(encoding="utf-8")
    return check(tomllib.loads(text))


def check(raw: dict[str, Any]) -> Documented:
    """A parsed parameter file checked against the data it cites: :class:`ParameterError` if a cited number
    differs from its row, or a key has neither a source nor a stated assumption."""
    values = {k: dict(raw.get(k, {})) for k in KEYS}
    why = dict(raw.get("assumptions", {}))
    for name, refs in raw.get("sources", {}).items():
        table = next((s for s in values.values() if name in s), None)
        if table is None:
            raise ParameterError(f"parameters.toml: sources.{name} cites a parameter that is not set")
        texts = []
        for ref in refs:
            expected, source = _cited(name, ref)
            part: str | None = ref.get("part")
            got = float(table[name][part] if part else table[name])
            if not math.isclose(got, expected, rel_tol=ref.get("rel_tol", 1e-9), abs_tol=1e-12):
                raise ParameterError(
                    f"parameters.toml: sources.{name}: {name} {part or ''} is {got}, the cited row gives "
                    f"{expected:g}"
                )
            texts.append(f"{part + ': ' if part else ''}{source}")
        why[name] = "; ".join(dict.fromkeys(texts))
    for section, keys in KEYS.items():
        for key in keys:
            if key not in values[section]:
                raise ParameterError(f"parameters.toml: [{section}] has no {key}")
            if key not in why:
                raise ParameterError(f"parameters.toml: {key} has neither a source nor an [assumptions] line")
    return Documented(values, why)


def cap_multiple(spec: Spec) -> float:
    """The cap on the price multiple of a completed spec (:func:`complete` fills it when the file has none)."""
    cap = spec.prices.cap_multiple
    if cap is None:
        raise ValueError("prices.cap_multiple unset: complete the spec with the documented set first")
    return cap


def complete(spec: Spec) -> tuple[Spec, list[dict[str, str]]]:
    """``spec`` with every ``[response]``/``[prices]`` key it leaves out taken from the documented set, and
    one note per filled key naming the value's source (or why it is an assumption)."""
    doc = documented()
    notes: list[dict[str, str]] = []
    updates: dict[str, Any] = {}
    for section, keys in KEYS.items():
        current = getattr(spec, section)
        filled = {k: doc.values[section][k] for k in keys if getattr(current, k) is None}
        if not filled:
            continue
        updates[section] = type(current).model_validate({**current.model_dump(exclude_none=True), **filled})
        for key, value in filled.items():
            notes.append(
                {
                    "stage": "all",
                    "item": f"{section}.{key}",
                    "method": f"documented default {value} (data/scenario/parameters.toml)",
                    "source": doc.why[key],
                }
            )
    return (spec.model_copy(update=updates) if updates else spec), notes
