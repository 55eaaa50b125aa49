"""Monthly allocation of supply to demand under an export restriction (docs/scenario-model.md, "Allocation").

Each month the restricted stage is the linear program

    max Σ_j w_j s_j   s.t.  s_j = x_kj + y_j + z_j ≤ d_j(t)
                            Σ_j x_kj ≤ Q_k,   x_kj ≤ b_kj − L_j(t)  for targets j
                            Σ_j y_j ≤ Q_R + spare(t),   0 ≤ z_j ≤ S_j(t)
                            y_j ≤ b_Rj + v_j (j ∈ T),  Σ_{j∈T} v_j ≤ min(r(t) · ΣL, b_RN) + s_T · spare(t)

(issuer k, the other producers pooled as R, stocks z; ``r(t)`` the share of the blocked volume ``ΣL`` that
buyers have replaced by month t with R's sales to non-targets, since new contracts and qualification take
time; ``s_T`` the targets' share of the demand outside the issuer, since new supply is sold to that whole
market). Its optimum has a closed form: non-targets are served in full (the issuer's freed volume backfills
them), and the targets share the relief ``min(r(t) · freed, b_RN) + s_T · spare(t)``: first what their stocks
cannot cover, in order of priority and pro rata within a priority, then the rest (sparing stocks); stocks cover
what remains.
:func:`simulate` evaluates that closed form for all Monte Carlo draws at once; :func:`solve_month_lp` solves
the same month with HiGHS (``scipy.optimize.linprog``) and is the reference it is tested against.
Downstream stages follow by fixed input coefficients (Leontief): a producer short of a share ``u_i`` of its
input makes ``u_i`` less, and its customers lose ``Σ_i F[i, j] u_i``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from critmin.scenario.network import Network


@dataclass
class Params:
    """Parameters, one value per draw (arrays of shape ``(draws,)``; stocks ``(draws, n)`` in months)."""

    severity: np.ndarray
    leakage: np.ndarray
    spare_capacity: np.ndarray
    ramp: np.ndarray
    rerouting: np.ndarray
    substitution: np.ndarray
    stocks_months: np.ndarray
    demand_elasticity: np.ndarray
    supply_elasticity: np.ndarray


@dataclass
class Shock:
    """Where and when: issuer index, target mask, active months (offsets from the run's start)."""

    issuer: int
    targets: np.ndarray
    start: int
    duration: int
    licence_delay: int
    priority: np.ndarray


@dataclass
class Outcome:
    """Monthly results per draw: unserved ``(draws, months, stages, n)``, demand ``(stages, n)`` per month,
    the issuer's idle volume, the stocks drawn and the market gap ``(draws, months)``: what the targets miss
    at the restricted stage before drawing on their stocks (the quantity the price clears)."""

    unserved: np.ndarray
    demand: np.ndarray
    idle: np.ndarray
    issuer_market: float
    stock_draw: np.ndarray
    market_gap: np.ndarray


def blocked_share(shock: Shock, p: Params, t: int) -> np.ndarray:
    """Share of the issuer's baseline exports to each target that does not arrive in month ``t``:
    ``σ_eff = 1`` during the licence delay, else the severity, times ``1 − leakage``."""
    tau = t - shock.start
    draws = p.severity.shape[0]
    if tau < 0 or tau >= shock.duration:
        return np.zeros(draws)
    severity = np.ones(draws) if tau < shock.licence_delay else p.severity
    return severity * (1.0 - p.leakage)


def target_share(flows: np.ndarray, issuer: int, targets: np.ndarray) -> float:
    """``s_T``: the targets' share of the demand outside the issuer (1 when every importer is a target)."""
    demand = flows.sum(axis=0)
    outside = demand.sum() - demand[issuer]
    return float(demand[targets].sum() / outside) if outside > 0 else 0.0


def rerouted_share(p: Params, tau: int) -> np.ndarray:
    """``r(t) = min(1, r · (τ + 1) / 12)``: the share of the blocked volume that buyers have replaced with
    other producers' sales to non-targets ``τ`` months after the start (``r`` per year)."""
    return np.minimum(1.0, p.rerouting * (tau + 1) / 12.0)


def simulate(net: Network, shock: Shock, p: Params, months: int) -> Outcome:
    """The closed-form monthly allocation for every draw at once (see module doc). Quantities per month."""
    first = net.stages[0]
    flows = first.flows / 12.0
    output = first.output / 12.0
    demand = flows.sum(axis=0)
    n = len(net.countries)
    k = shock.issuer
    draws = p.severity.shape[0]
    targets = shock.targets.astype(bool) & (np.arange(n) != k)
    others = ~targets
    others[k] = False
    b_k = flows[k]  # issuer → j
    q_r = output.sum() - output[k]
    # R's volume reaching non-targets and the issuer's home market: what the issuer's freed output can replace
    b_rn = flows[:, ~targets].sum() - flows[k, ~targets].sum()
    share_t = target_share(flows, k, targets)
    world = output.sum()
    stocks = p.stocks_months * demand[None, :]  # months of consumption → volume
    unserved = np.zeros((draws, months, len(net.stages), n))
    idle = np.zeros((draws, months))
    drawn = np.zeros((draws, months))
    market = np.zeros((draws, months))
    classes = sorted({float(w) for w in shock.priority[targets]}, reverse=True)
    for t in range(months):
        blocked = blocked_share(shock, p, t)
        if not blocked.any():
            continue
        tau = t - shock.start
        lost = blocked[:, None] * b_k[None, :] * targets[None, :]  # L_j
        freed = lost.sum(axis=1)
        swap = np.minimum(rerouted_share(p, tau) * freed, b_rn)
        spare = np.minimum(p.spare_capacity * q_r, p.ramp * world * (tau + 1) / 12.0)
        subst = np.minimum(1.0, p.substitution * (tau + 1) / 12.0)[:, None] * demand[None, :]
        gap = np.maximum(lost - subst * targets[None, :], 0.0)
        relief = swap + share_t * spare
        # relief goes first to what stocks cannot cover (by priority), then spares stocks (by priority)
        for uncovered in (True, False):
            for w in classes:
                member = targets & (shock.priority == w)
                part = np.maximum(gap - stocks, 0.0) if uncovered else gap
                need = (part * member[None, :]).sum(axis=1)
                give = np.minimum(relief, need)
                frac = np.divide(give, need, out=np.zeros(draws), where=need > 0)
                gap = gap - part * member[None, :] * frac[:, None]
                relief = relief - give
        market[:, t] = gap.sum(axis=1)
        draw = np.minimum(stocks, gap)
        stocks = stocks - draw
        gap = gap - draw
        drawn[:, t] = draw.sum(axis=1)
        unserved[:, t, 0, :] = gap
        idle[:, t] = freed - swap
    # downstream: Leontief propagation of input shortfalls (fixed coefficients)
    demands = np.stack([s.flows.sum(axis=0) / 12.0 for s in net.stages])
    for si in range(1, len(net.stages)):
        prev = demands[si - 1]
        u = np.divide(
            unserved[:, :, si - 1, :], prev, out=np.zeros_like(unserved[:, :, 0, :]), where=prev > 0
        )
        unserved[:, :, si, :] = u @ (net.stages[si].flows / 12.0)
    issuer_market = float(demand[k] + flows[k, others].sum())
    return Outcome(unserved, demands, idle, issuer_market, drawn, market)


def solve_month_lp(
    net: Network, shock: Shock, p: Params, t: int, stocks: np.ndarray, draw: int = 0
) -> tuple[float, np.ndarray]:
    """One month of the restricted stage as the LP of the module doc, solved by HiGHS.

    Returns the weighted served volume and the unserved volume per country (one draw; stocks in volume).
    Used as the reference for :func:`simulate` and by the per-draw loop of the benchmark.
    """
    first = net.stages[0]
    flows = first.flows / 12.0
    output = first.output / 12.0
    demand = flows.sum(axis=0)
    n = len(net.countries)
    k = shock.issuer
    targets = shock.targets.astype(bool) & (np.arange(n) != k)
    tau = t - shock.start
    blocked = blocked_share(shock, p, t)[draw]
    lost = blocked * flows[k] * targets
    subst = min(1.0, p.substitution[draw] * (tau + 1) / 12.0) if blocked > 0 else 0.0
    need = demand - subst * demand * targets
    spare = min(
        p.spare_capacity[draw] * (output.sum() - output[k]), p.ramp[draw] * output.sum() * (tau + 1) / 12.0
    )
    spare = spare if blocked > 0 else 0.0
    w = shock.priority
    # variables: x_k (n), y (n), z (n), v (n): issuer, other producers, stocks, relief to each target
    eps = 1e-6
    zeros = np.zeros(n)
    c = np.concatenate([-w, -w, -w + eps, zeros])
    rows, rhs = [], []
    eye = np.eye(n)
    rows.append(np.hstack([eye, eye, eye, 0 * eye]))
    rhs.append(need)
    rows.append(np.concatenate([np.ones(n), np.zeros(3 * n)])[None, :])
    rhs.append([output[k]])
    rows.append(np.concatenate([zeros, np.ones(n), zeros, zeros])[None, :])
    rhs.append([output.sum() - output[k] + spare])
    # each target keeps what the other producers sold it (y_j ≤ b_Rj + v_j) plus its share v_j of the relief:
    # what can be re-routed from non-targets and the targets' share of new supply
    b_r = flows.sum(axis=0) - flows[k]
    b_rn = flows[:, ~targets].sum() - flows[k, ~targets].sum()
    reroute = float(rerouted_share(p, tau)[draw]) if blocked > 0 else 1.0
    for j in np.flatnonzero(targets):
        row = np.zeros(4 * n)
        row[n + j], row[3 * n + j] = 1.0, -1.0
        rows.append(row[None, :])
        rhs.append([b_r[j]])
    rows.append(np.concatenate([zeros, zeros, zeros, targets.astype(float)])[None, :])
    rhs.append([min(reroute * lost.sum(), b_rn) + target_share(flows, k, targets) * spare])
    upper = np.concatenate(
        [
            np.where(targets, flows[k] - lost, np.inf),
            np.full(n, np.inf),
            stocks,
            np.where(targets, np.inf, 0.0),
        ]
    )
    res = linprog(
        c,
        A_ub=np.vstack(rows),
        b_ub=np.concatenate([np.ravel(r) for r in rhs]),
        bounds=list(zip(np.zeros(4 * n), upper, strict=True)),
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"HiGHS: {res.message}")
    x = res.x
    served = x[:n] + x[n : 2 * n] + x[2 * n : 3 * n]
    return float(w @ served), np.maximum(need - served, 0.0)
