"""Shared fixtures: every test session gets its own store path, so no test touches a user's store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from critmin.store import Store


@pytest.fixture(scope="session", autouse=True)
def isolated_store_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point ``CRITMIN_DB`` at a session temp file (built lazily by the tests that need it)."""
    path = tmp_path_factory.mktemp("store") / "critmin.duckdb"
    previous = os.environ.get("CRITMIN_DB")
    os.environ["CRITMIN_DB"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("CRITMIN_DB", None)
    else:
        os.environ["CRITMIN_DB"] = previous


@pytest.fixture(scope="session")
def built_store(isolated_store_path: Path) -> Store:
    """The session store, built once from the embedded data package."""
    store = Store.open(isolated_store_path)
    if not store.exists():
        store.build_from_package()
    return store


@pytest.fixture()
def fresh_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built_store: Store) -> Store:
    """A private copy of the built store for tests that write to it."""
    import shutil

    path = tmp_path / "critmin.duckdb"
    shutil.copy(built_store.path, path)
    monkeypatch.setenv("CRITMIN_DB", str(path))
    return Store.open(path)
