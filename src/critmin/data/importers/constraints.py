"""Checks of imported values against the constraints the data package declares (one source of truth).

The field constraints (``required``, ``minimum``, ``maximum``, ``pattern``) live in ``package_spec.json`` and
go into ``datapackage.json``, where the Frictionless validation of the embedded data checks them; importers
check users' files against the same constraints, cell by cell or column-wise. Numbers must also be finite:
Table Schema numbers may be ``NaN`` or ``INF``, critmin's never are.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from critmin.data import PACKAGE_DIR

_FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Field:
    """One field of a package resource with the constraints an imported value must meet."""

    name: str
    type: str
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    description: str = ""


@cache
def fields(table: str) -> dict[str, Field]:
    """The fields of resource ``table`` in ``package_spec.json`` by name."""
    spec = json.loads((PACKAGE_DIR / "package_spec.json").read_text(encoding="utf-8"))
    resource = next(r for r in spec["resources"] if r["name"] == table)
    out: dict[str, Field] = {}
    for f in resource["fields"]:
        c = f.get("constraints", {})
        out[f["name"]] = Field(
            name=f["name"],
            type=f["type"],
            required=bool(c.get("required", False)),
            minimum=c.get("minimum"),
            maximum=c.get("maximum"),
            pattern=c.get("pattern"),
            description=f.get("description", ""),
        )
    return out


def primary_key(table: str) -> list[str]:
    """The primary key of resource ``table`` as the package declares it."""
    spec = json.loads((PACKAGE_DIR / "package_spec.json").read_text(encoding="utf-8"))
    key: list[str] = next(r["primaryKey"] for r in spec["resources"] if r["name"] == table)
    return key


def problem(table: str, field: str, value: Any) -> str | None:
    """What is wrong with ``value`` for ``table.field`` (``None`` if it meets the constraints)."""
    f = fields(table)[field]
    if value is None or (isinstance(value, float) and math.isnan(value) and f.type != "number"):
        return f"{f.name} is required" if f.required else None
    if f.type in ("number", "integer"):
        number = float(value)
        if not math.isfinite(number):
            return f"{value!r} is not a finite number"
        if f.minimum is not None and number < f.minimum:
            return f"{value:g} is below {f.name}'s minimum {f.minimum:g}{_why(f)}"
        if f.maximum is not None and number > f.maximum:
            return f"{value:g} is above {f.name}'s maximum {f.maximum:g}{_why(f)}"
        return None
    if f.pattern is not None and not re.fullmatch(f.pattern, str(value)):
        return _pattern_message(f, str(value))
    return None


def first_problem(table: str, field: str, values: pa.Array | pa.ChunkedArray) -> tuple[int, str] | None:
    """Index and description of the first value of a column that breaks ``table.field``'s constraints."""
    f = fields(table)[field]
    bad = np.zeros(len(values), dtype=bool)
    if f.required:
        bad |= values.is_null().to_numpy(zero_copy_only=False)
    if f.type in ("number", "integer"):
        nums = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            present = ~values.is_null().to_numpy(zero_copy_only=False)
            bad |= present & ~np.isfinite(nums)
            if f.minimum is not None:
                bad |= present & (nums < f.minimum)
            if f.maximum is not None:
                bad |= present & (nums > f.maximum)
    elif f.pattern is not None:
        ok = pc.match_substring_regex(values, f"^(?:{f.pattern})$").fill_null(True)
        bad |= ~ok.to_numpy(zero_copy_only=False)
    if not bad.any():
        return None
    i = int(np.argmax(bad))
    value = values[i].as_py()
    return i, problem(table, field, value) or f"{value!r} breaks the constraints of {f.name}"


def _why(f: Field) -> str:
    return f" ({f.description})" if f.description else ""


def _pattern_message(f: Field, value: str) -> str:
    text = f"{value[:60]!r} is not a valid {f.name} ({f.description or f'pattern {f.pattern!r}'})"
    if value.startswith(_FORMULA_START):
        text += "; a cell starting with =, +, - or @ is a spreadsheet formula and is refused"
    return text
