"""critmin: exposure of critical-mineral supply chains to export controls and other disruptions.

The public data API returns tidy pandas DataFrames, each with a ``source`` column::

    import critmin
    critmin.production("rare-earths", year=2024)
    critmin.reserves("rare-earths", edition=2025)

Importing critmin is cheap: heavy libraries (pandas, duckdb, altair) load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_QUERY_FUNCTIONS = (
    "commodities",
    "production",
    "reserves",
    "trade",
    "governance",
    "stage_shares",
    "end_uses",
    "import_sources",
    "prices",
    "events",
    "eu_parameters",
    "eu_trade_parameters",
    "sites",
    "sources",
)
_SUBMODULES = ("vocab", "store", "query", "risk", "report", "data")

__all__ = [*_QUERY_FUNCTIONS, *_SUBMODULES, "__version__"]

if TYPE_CHECKING:
    from critmin import data, query, report, risk, store, vocab
    from critmin.query import (
        commodities,
        end_uses,
        eu_parameters,
        eu_trade_parameters,
        events,
        governance,
        import_sources,
        prices,
        production,
        reserves,
        sites,
        sources,
        stage_shares,
        trade,
    )


def __getattr__(name: str) -> Any:
    if name in _QUERY_FUNCTIONS:
        return getattr(import_module("critmin.query"), name)
    if name in _SUBMODULES:
        return import_module(f"critmin.{name}")
    raise AttributeError(f"module 'critmin' has no attribute {name!r}")
