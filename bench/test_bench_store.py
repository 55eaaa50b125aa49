"""Benchmarks of reading the store: a query on the process's kept connection, and one that must reopen it.

Readers keep one read-only connection per process and close it after ``READER_IDLE_S`` unused, so that other
processes can import; these numbers are what that choice costs (targets: ≤ 2 ms warm, ≤ 100 ms reopened).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from critmin import store as store_module
from critmin.store import Store


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store built once for the module."""
    store = Store.open(tmp_path_factory.mktemp("bench-store") / "store.duckdb")
    store.build_from_package()
    return store


def test_query_on_kept_connection(benchmark: Any, built: Store) -> None:
    """A small query while the connection is open (includes the check for a waiting writer)."""
    benchmark.extra_info["target_s"] = 0.002
    built.query("select count(*) from wgi")
    benchmark(built.query, "select count(*) from wgi where year = 2023")


def test_query_after_idle_release(benchmark: Any, built: Store, tmp_path: Path) -> None:
    """A small query after the idle connection was closed: DuckDB opens the file again."""
    benchmark.extra_info["target_s"] = 0.1

    def release() -> tuple[tuple[Any, ...], dict[str, Any]]:
        store_module._POOL.close(str(built.path.resolve()))
        return (), {}

    benchmark.pedantic(
        lambda: built.query("select count(*) from wgi where year = 2023"), setup=release, rounds=20
    )
