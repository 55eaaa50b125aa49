"""Helpers shared by the risk methods: named warnings and errors, unit factors, WGI scalings, year windows.

Nothing here decides a method's result; it only keeps the methods honest about their inputs: a missing
input is reported by name (:class:`MissingInputWarning` or :class:`MissingInputError`), never turned into
a silent zero.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "TONNES_PER_UNIT",
    "MissingInputError",
    "MissingInputWarning",
    "as_list",
    "require_columns",
    "tonnes_factor",
    "warn_missing",
    "year_window",
]


class MissingInputWarning(UserWarning):
    """An input of a risk method is missing and was handled as the method's documentation says.

    The message names what is missing (country, year, parameter) and what was done instead. Results that
    depend on it carry a note in their ``notes`` column.
    """


class MissingInputError(LookupError):
    """An input a risk method cannot do without is missing (no production for a year, no parameter...)."""


def warn_missing(message: str, stacklevel: int = 3) -> None:
    """Emit a :class:`MissingInputWarning` with ``message``."""
    warnings.warn(message, MissingInputWarning, stacklevel=stacklevel)


#: Multiply a quantity in this unit by the factor to get metric tonnes. Units of the embedded data only;
#: ``t REO`` and ``kt TiO2`` keep their content basis (the factor changes the scale, not the basis).
TONNES_PER_UNIT: dict[str, float] = {
    "t": 1.0,
    "metr. t": 1.0,
    "t REO": 1.0,
    "kt": 1000.0,
    "kt TiO2": 1000.0,
    "kg": 0.001,
}


def tonnes_factor(unit: str) -> float | None:
    """Factor from ``unit`` to metric tonnes, or ``None`` if the unit is not a mass (``Mio m3``, ``ct``)."""
    return TONNES_PER_UNIT.get(str(unit).strip())


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise ``ValueError`` naming the missing columns of ``frame`` (an input called ``what``)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {missing}; has {list(frame.columns)}")


def as_list(value: Any) -> list[Any] | None:
    """``None`` stays ``None``; a scalar becomes a one-item list; any other iterable a list."""
    if value is None:
        return None
    if isinstance(value, str | int | np.integer):
        return [value]
    return list(value)


def year_window(
    years: int | Sequence[int] | tuple[int, int] | None, available: Iterable[int], n: int
) -> list[int]:
    """The years of a calculation window.

    ``None`` → the ``n`` latest ``available`` years; an int → that year; a 2-tuple ``(first, last)`` → the
    inclusive range; any other sequence → those years. Raises :class:`MissingInputError` if none of the
    chosen years is available.
    """
    have = sorted({int(y) for y in available})
    if not have:
        raise MissingInputError("no year with data")
    if years is None:
        chosen = have[-n:]
    elif isinstance(years, int | np.integer):
        chosen = [int(years)]
    elif isinstance(years, tuple) and len(years) == 2:
        chosen = list(range(int(years[0]), int(years[1]) + 1))
    else:
        chosen = sorted({int(y) for y in years})
    present = [y for y in chosen if y in have]
    if not present:
        raise MissingInputError(f"no data for year(s) {chosen}; data exist for {have[0]}–{have[-1]}")
    absent = [y for y in chosen if y not in have]
    if absent:
        warn_missing(f"no data for year(s) {absent}; the window uses {present}")
    return present


def format_shares(shares: Mapping[str, float], digits: int = 6) -> dict[str, float]:
    """Shares as a plain ``{country: share}`` dict, largest first, rounded to ``digits`` significant digits."""
    items = sorted(((str(k), float(v)) for k, v in shares.items()), key=lambda kv: -kv[1])
    return {k: float(f"{v:.{digits}g}") for k, v in items}
