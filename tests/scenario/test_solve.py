"""The monthly allocation on small synthetic networks: mass, bans, severity 0, spare capacity, the LP."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.scenario.network import Network, Stage
from critmin.scenario.solve import Params, Shock, simulate, solve_month_lp


def _net(flows: np.ndarray, downstream: np.ndarray | None = None) -> Network:
    stages = [Stage("refining", flows.sum(axis=1), flows)]
    if downstream is not None:
        stages.append(Stage("metal", downstream.sum(axis=1), downstream))
    n = flows.shape[0]
    return Network(
        "x", "x", "t", 2024, float(flows.sum()), [f"C{i}" for i in range(n - 1)] + ["ROW"], stages, []
    )


def _params(draws: int = 1, n: int = 3, **kw: float) -> Params:
    base = {
        "severity": 1.0,
        "leakage": 0.0,
        "spare_capacity": 0.0,
        "ramp": 0.0,
        "rerouting": 1.0,
        "substitution": 0.0,
        "demand_elasticity": -0.5,
        "supply_elasticity": 0.5,
    }
    base.update({k: v for k, v in kw.items() if k != "stocks"})
    arrays = {k: np.full(draws, v) for k, v in base.items()}
    return Params(stocks_months=np.full((draws, n), kw.get("stocks", 0.0)), **arrays)


def _shock(n: int, targets: list[int], issuer: int = 0, duration: int = 6) -> Shock:
    mask = np.zeros(n, dtype=bool)
    mask[targets] = True
    return Shock(issuer, mask, 0, duration, 0, np.ones(n))


def test_ban_by_the_only_producer_leaves_every_target_without_supply() -> None:
    # C0 produces everything; C1 and ROW import it
    flows = np.array([[10.0, 50.0, 40.0], [0, 0, 0], [0, 0, 0]])
    out = simulate(_net(flows), _shock(3, [1, 2]), _params(), 6)
    demand = flows.sum(axis=0) / 12
    assert np.allclose(out.unserved[0, :, 0, 1:], demand[1:])


def test_severity_zero_is_the_baseline() -> None:
    flows = np.array([[10.0, 50.0, 40.0], [5, 5, 0], [0, 0, 30]])
    out = simulate(_net(flows, flows.copy()), _shock(3, [1, 2]), _params(severity=0.0), 12)
    assert not out.unserved.any()
    assert not out.idle.any()


def test_mass_is_conserved_at_every_stage_and_month() -> None:
    flows = np.array([[10.0, 20.0, 15.0], [2.0, 8.0, 1.0], [0, 3.0, 9.0]])
    down = np.array([[12.0, 4.0, 2.0], [1.0, 20.0, 5.0], [0, 2.0, 30.0]])
    net = _net(flows, down)
    p = _params(draws=4, severity=0.8, stocks=1.0)
    out = simulate(net, _shock(3, [1]), p, 9)
    # restricted stage: demand served = issuer's shipments (output − idle) + the others' output + stock draws
    served = out.demand[0].sum() - out.unserved[:, :, 0, :].sum(axis=2)
    shipped = flows.sum() / 12 - out.idle + out.stock_draw
    assert np.allclose(served, shipped)
    # downstream: every producer short of a share u of its input ships u less, and that is what is missing
    u = out.unserved[:, :, 0, :] / out.demand[0]
    assert np.allclose(out.unserved[:, :, 1, :].sum(axis=2), u @ down.sum(axis=1) / 12)
    assert np.all(out.unserved >= -1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0, 100), min_size=9, max_size=9),
    st.floats(0, 1),
    st.floats(0, 2),
    st.floats(0, 2),
    st.floats(0, 1),
)
def test_more_spare_capacity_never_increases_shortfall(
    cells: list[float], severity: float, spare: float, extra: float, ramp: float
) -> None:
    flows = np.array(cells).reshape(3, 3)
    flows[0, 1] += 1.0  # the issuer sells something to the target
    net = _net(flows)
    shock = _shock(3, [1, 2])
    low = simulate(net, shock, _params(severity=severity, spare_capacity=spare, ramp=ramp), 6)
    high = simulate(net, shock, _params(severity=severity, spare_capacity=spare + extra, ramp=ramp), 6)
    assert np.all(high.unserved <= low.unserved + 1e-9)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(0, 100), min_size=16, max_size=16),
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(0, 3),
    st.floats(0, 1),
)
def test_closed_form_reaches_the_optimum_of_the_linear_program(
    cells: list[float], severity: float, spare: float, stocks: float, rerouting: float
) -> None:
    flows = np.array(cells).reshape(4, 4)
    flows[0, 1:] += 1.0
    net = _net(flows)
    shock = _shock(4, [1, 3])
    p = _params(n=4, severity=severity, spare_capacity=spare, ramp=1.0, stocks=stocks, rerouting=rerouting)
    out = simulate(net, shock, p, 1)
    stock_volume = stocks * flows.sum(axis=0) / 12
    _, lp_unserved = solve_month_lp(net, shock, p, 0, stock_volume)
    assert np.isclose(out.unserved[0, 0, 0].sum(), lp_unserved.sum(), atol=1e-6 * flows.sum() + 1e-9)


def test_a_ban_on_one_target_is_short_until_other_supply_is_rerouted() -> None:
    # C0 (issuer) sells to C1 (the target) and to ROW; C2 sells only to ROW
    flows = np.array([[10.0, 30.0, 0.0, 30.0], [0, 0, 0, 0], [0, 0, 5.0, 40.0], [0, 0, 0, 0]])
    net = Network(
        "x",
        "x",
        "t",
        2024,
        float(flows.sum()),
        ["C0", "C1", "C2", "ROW"],
        [Stage("refining", flows.sum(axis=1), flows)],
        [],
    )
    shock = _shock(4, [1], duration=12)
    frozen = simulate(net, shock, _params(n=4, rerouting=0.0), 12)
    # nothing can be turned to the target: it misses all it bought from the issuer, every month
    assert np.allclose(frozen.unserved[0, :, 0, 1], 30.0 / 12)
    # with re-routing of 1 a year, the target replaces (τ+1)/12 of what it lost from C2's sales to ROW (45 a
    # year, more than the 30 lost): its gap closes at the end of the year
    moving = simulate(net, shock, _params(n=4, rerouting=1.0), 12)
    short = moving.unserved[0, :, 0, 1]
    expected = 30.0 / 12 * (1 - (np.arange(12) + 1) / 12)
    assert np.allclose(short, expected)
    assert short[0] > 0 and short[-1] == 0


@settings(max_examples=30, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 3))
def test_more_rerouting_never_increases_shortfall_and_stocks_never_hide_the_market_gap(
    rerouting: float, extra: float, stocks: float
) -> None:
    flows = np.array([[10.0, 30.0, 0.0, 30.0], [0, 1.0, 0, 0], [0, 2.0, 5.0, 40.0], [0, 0, 0, 3.0]])
    net = _net(flows)
    shock = _shock(4, [1], duration=12)
    low = simulate(net, shock, _params(n=4, rerouting=rerouting, stocks=stocks), 12)
    high = simulate(net, shock, _params(n=4, rerouting=min(1.0, rerouting + extra), stocks=stocks), 12)
    assert np.all(high.unserved <= low.unserved + 1e-9)
    # the market gap (what the price clears) is what is missing before stocks: never below the shortfall
    assert np.all(low.market_gap + 1e-12 >= low.unserved[:, :, 0, :].sum(axis=2))
