"""One 2-worker Dask ``LocalCluster`` on loopback per test module (starting one costs seconds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    """A ``LocalCluster`` of two single-threaded worker processes on 127.0.0.1, closed after the module."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as started:
        yield started
