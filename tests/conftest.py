"""Shared fixtures: every test session gets its own store path and cache, so no test touches a user's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from critmin.store import Store


@contextmanager
def _environ(name: str, value: str) -> Iterator[None]:
    """Set an environment variable for the block (subprocesses inherit it), then restore it."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


@pytest.fixture(scope="session", autouse=True)
def isolated_store_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point ``CRITMIN_DB`` at a session temp file (built lazily by the tests that need it)."""
    path = tmp_path_factory.mktemp("store") / "critmin.duckdb"
    with _environ("CRITMIN_DB", str(path)):
        yield path


@pytest.fixture(scope="session", autouse=True)
def private_js_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep the cached Vega bundle of the brief out of the user's cache directory."""
    path = tmp_path_factory.mktemp("js-cache")
    with _environ("CRITMIN_CACHE_DIR", str(path)):
        yield path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The researched inputs (``../shared/data`` or ``$CRITMIN_SHARED_DATA``); tests that read them skip,
    naming the folder, on a clone without them."""
    from critmin.data.build import default_input_dir

    path = default_input_dir()
    if not path.is_dir():
        pytest.skip(f"researched inputs not present: {path} (set CRITMIN_SHARED_DATA to their folder)")
    return path


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


@pytest.fixture()
def store(fresh_store: Store) -> Store:
    """A private copy of the built store (the name the registry and news tests use)."""
    return fresh_store
