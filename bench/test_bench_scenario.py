"""Benchmarks of restriction scenarios (targets: one deterministic 12-month rare-earth scenario ≤ 50 ms;
10,000 Monte Carlo draws ≤ 5 s and ≥ 20× faster than looping the deterministic run once per draw).

Run with ``make bench``. The network is built once (store reads, untimed); the timed parts are the
allocation (:func:`critmin.scenario.solve.simulate`) and the price multiples. The per-draw loop runs the
deterministic path (one draw's parameters at a time) over ``LOOP`` draws in the same test as the vectorised
10,000 draws, and its time is scaled to 10,000: both figures and the speed-up go to ``extra_info``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from critmin.scenario import Scenario
from critmin.scenario.prices import market_multiples
from critmin.scenario.solve import Params, simulate
from critmin.store import Store

SPEC = (
    Path(__file__).resolve().parent.parent
    / "examples"
    / "scenarios"
    / "heavy-rare-earths-licensing-2025.toml"
)
DRAWS = 10_000
LOOP = 200  # draws run one at a time, scaled to DRAWS


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Scenario, Any]]:
    """The example heavy-rare-earth scenario with its network built from a fresh store."""
    path = tmp_path_factory.mktemp("bench-scenario") / "store.duckdb"
    previous = os.environ.get("CRITMIN_DB")
    os.environ["CRITMIN_DB"] = str(path)
    Store.open(path).build_from_package()
    scenario = Scenario.from_toml(SPEC)
    r = scenario.spec.restriction[0]
    yield scenario, scenario._prepare(r)
    if previous is None:
        os.environ.pop("CRITMIN_DB", None)
    else:
        os.environ["CRITMIN_DB"] = previous


def _one(scenario: Scenario, prep: Any, p: Params) -> np.ndarray:
    out = simulate(prep.net, prep.shock, p, scenario.spec.scenario.months)
    return market_multiples(out, p, prep.shock.targets, scenario.spec.prices.cap_multiple)[1]


def test_deterministic_twelve_months(benchmark: Any, prepared: tuple[Scenario, Any]) -> None:
    scenario, prep = prepared
    assert scenario.spec.scenario.months == 12
    p = scenario._params(prep.restriction, prep.net, 1, None)
    benchmark(_one, scenario, prep, p)
    benchmark.extra_info["target_ms"] = 50
    benchmark.extra_info["median_ms"] = 1000 * benchmark.stats.stats.median
    assert benchmark.stats.stats.median <= 0.05


def test_monte_carlo_against_a_per_draw_loop(benchmark: Any, prepared: tuple[Scenario, Any]) -> None:
    scenario, prep = prepared
    r = prep.restriction
    p = scenario._params(r, prep.net, DRAWS, np.random.default_rng(0))
    vectorised = benchmark.pedantic(_one, args=(scenario, prep, p), rounds=3, iterations=1)
    t0 = time.perf_counter()
    looped = [
        _one(scenario, prep, Params(**{k: v[i : i + 1] for k, v in vars(p).items()}))[0] for i in range(LOOP)
    ]
    loop_s = (time.perf_counter() - t0) * DRAWS / LOOP
    np.testing.assert_allclose(np.array(looped), vectorised[:LOOP])  # the same numbers either way
    mc_s = benchmark.stats.stats.median
    benchmark.extra_info.update(
        draws=DRAWS,
        mc_s=mc_s,
        loop_draws=LOOP,
        loop_scaled_s=loop_s,
        speedup=loop_s / mc_s,
        targets="mc <= 5 s, speed-up >= 20x",
    )
    assert mc_s <= 5.0
    assert loop_s / mc_s >= 20
