"""An in-process client of the web application over the session store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from critmin.store import Store

TOKEN = "test-token-0123456789abcdef"


@pytest.fixture(scope="session")
def token() -> str:
    """The bearer token the test app accepts for writes."""
    return TOKEN


@pytest.fixture(scope="module")
def client(built_store: Store) -> Iterator[TestClient]:
    """A client of the app with writes enabled by :data:`TOKEN` (base URL on loopback, nothing leaves it)."""
    from critmin.web.app import create_app

    with TestClient(create_app(token=TOKEN), base_url="http://127.0.0.1") as c:
        yield c
