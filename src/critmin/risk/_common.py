"""Helpers shared by the risk methods: named warnings and errors, unit factors, WGI scalings, year windows.

Nothing here decides a method's result; it only keeps the methods honest about their inputs: a missing
input is reported by name (:class:`MissingInputWarning` or :class:`MissingInputError`), never turned into
a silent zero.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

__all__ = [
    "TONNES_PER_UNIT",
    "MissingInputError",
    "MissingInputWarning",
    "as_list",
    "require_columns",
    "store_cached",
    "tonnes_factor",
    "warn_missing",
    "year_window",
]


class MissingInputWarning(UserWarning):
    """An input of a risk method is missing and was handled as the method's documentation says.

    The message names what is missing (country, year, parameter) and what was done instead. Results that
    depend on it carry a note in their ``notes`` column. Warnings of one kind share a ``topic`` (e.g. "no
    production data at a stage the EU assessed") and name their case in ``subject``, so a caller can
    summarise a hundred of them in a few lines.
    """

    def __init__(self, message: str, topic: str | None = None, subject: str | None = None) -> None:
        super().__init__(message)
        self.topic = topic
        self.subject = subject


class MissingInputError(LookupError):
    """An input a risk method cannot do without is missing (no production for a year, no parameter...)."""


F = TypeVar("F", bound=Callable[..., Any])


def store_cached(fn: F) -> F:
    """Memoise a reader of the store on its (hashable) arguments and the store file's identity and mtime,
    so repeated reads within a calculation are free and a rebuilt store is read again. DataFrames are
    returned as copies."""
    cache: dict[Any, Any] = {}

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        from critmin.store import Store

        path = Store.open().path
        try:
            stamp: tuple[str, int | None] = (str(path), path.stat().st_mtime_ns)
        except OSError:
            stamp = (str(path), None)
        key = (stamp, args)
        if key not in cache:
            if len(cache) > 256:
                cache.clear()
            cache[key] = fn(*args)
        value = cache[key]
        return value.copy() if isinstance(value, pd.DataFrame) else value

    return wrapper  # type: ignore[return-value]


@store_cached
def store_tables() -> dict[str, pd.DataFrame]:
    """The store tables the risk methods read, loaded once over one connection (memoised per store file).

    Each ``critmin.query`` call opens the store (tens of milliseconds); a method looping over commodities
    reads these frames instead and filters them the way ``critmin.query`` does.
    """
    import pyarrow as pa

    from critmin.query import with_mean_estimate
    from critmin.store import Store

    with Store.open().connect() as con:
        usgs = con.execute("select * from usgs_mcs").df()
        wmd = con.execute("select * from wmd_production").df()
        wgi = con.execute("select * from wgi order by iso3, year").df()
        table = con.sql("select * from baci_trade").to_arrow_table()
    arrays = {
        n: table.column(n).dictionary_encode().combine_chunks()
        if n in ("exporter", "importer", "hs")
        else table.column(n)
        for n in table.column_names
    }
    baci = pa.table(arrays).to_pandas()
    return {"usgs_mcs": usgs, "wmd_production": wmd, "wgi": with_mean_estimate(wgi), "baci_trade": baci}


@store_cached
def cached_production(commodity: str, source: str, edition: int | None) -> pd.DataFrame:
    """Production of one commodity as ``critmin.production(commodity, edition=..., source=...)`` returns it
    (one USGS edition: the given one or the newest holding the commodity), with critmin ISO3 codes."""
    from critmin.query import PRODUCTION_COLUMNS, NoDataError, check_edition, wmd_production_frame

    tables = store_tables()
    if source == "usgs":
        rows = tables["usgs_mcs"]
        rows = rows[rows["commodity"] == commodity]
        if rows.empty:
            raise NoDataError(f"no USGS MCS data for {commodity}")
        check_edition(edition, rows["edition"].unique(), f"USGS MCS editions with {commodity}")
        chosen = int(rows["edition"].max()) if edition is None else int(edition)
        rows = rows[rows["edition"] == chosen]
        out = rows.rename(columns={"mine_production": "value"}).assign(dataset="usgs_mcs")
    elif source == "wmd":
        rows = tables["wmd_production"]
        rows = rows[rows["commodity"] == commodity]
        if rows.empty:
            raise NoDataError(f"no World Mining Data production for {commodity}")
        out = wmd_production_frame(rows)
    else:
        raise ValueError(f"unknown production source {source!r}; use 'usgs' or 'wmd'")
    out = out.sort_values(["year", "product", "country"], kind="stable").reset_index(drop=True)
    return out[PRODUCTION_COLUMNS]


def cached_governance() -> pd.DataFrame:
    """``critmin.governance()`` (every country and year, with ``mean_estimate``), memoised."""
    return store_tables()["wgi"].copy()


def cached_trade(hs: tuple[str, ...], years: tuple[int, ...] | None) -> pd.DataFrame:
    """BACI flows of HS codes ``hs`` in ``years``, with ``critmin.trade``'s columns."""
    baci = store_tables()["baci_trade"]
    mask = baci["hs"].isin(hs)
    if years is not None:
        mask &= baci["year"].isin(years)
    out = baci[mask].reset_index(drop=True)
    for col in ("exporter", "importer", "hs"):
        out[col] = out[col].astype(object)
    return out


def warn_missing(
    message: str,
    stacklevel: int = 3,
    *,
    topic: str | None = None,
    subject: str | None = None,
    notes: list[str] | None = None,
) -> None:
    """Emit a :class:`MissingInputWarning` with ``message`` (and ``topic``/``subject`` for summaries);
    ``notes``, the notes of the one result row it concerns, gets the message too."""
    if notes is not None:
        notes.append(message)
    warnings.warn(MissingInputWarning(message, topic, subject), stacklevel=stacklevel)


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
