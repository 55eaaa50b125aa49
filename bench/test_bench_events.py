"""As-of query over the whole registry (critmin + OECD records): target ≤ 5 ms once the registry is loaded."""

from __future__ import annotations

from typing import Any

import critmin


def test_events_as_of_whole_registry(benchmark: Any) -> None:
    critmin.events(as_of="2020-01-01")  # first call reads the store and compiles the dates
    frame = benchmark(critmin.events, as_of="2020-01-01")
    assert frame["in_force_on_as_of"].notna().any()
    assert benchmark.stats.stats.median < 0.005
