"""Short-run price response to a shortfall (docs/scenario-model.md, "Prices").

Iso-elastic demand ``D = D0 (P/P0)^ε_d`` (ε_d < 0) and supply ``S = S0 (P/P0)^ε_s`` (ε_s ≥ 0): when a share ``u``
of supply at the old price is missing, the market clears where ``(1 − u)(P/P0)^ε_s = (P/P0)^ε_d``, i.e.

    P/P0 = (1 − u)^(−1 / (ε_s − ε_d)).

The same formula with a surplus ``e`` (``1 − u = 1 + e``) gives the fall of the price inside the restricting
country, whose blocked exports stay at home: export restrictions split prices in two (the 2010–11 rare-earth
and 2023–25 gallium and germanium episodes, ../shared/data/scenario_calibration/episodes.csv). The multiple is
capped at ``cap`` (a user input; its default, 26, is the dysprosium-oxide rise of January 2009 to August 2011
reported by Sprecher et al. 2017), since the formula has no bound as ``u → 1``.
"""

from __future__ import annotations

import numpy as np

from critmin.scenario.solve import Outcome, Params


def price_multiple(
    shortfall: np.ndarray, demand_elasticity: np.ndarray, supply_elasticity: np.ndarray, cap: float
) -> np.ndarray:
    """``P/P0 = (1 − u)^(−1/(ε_s − ε_d))`` for a shortfall share ``u`` (negative ``u`` is a surplus), capped."""
    u = np.clip(shortfall, -np.inf, 1.0)
    slope = supply_elasticity - demand_elasticity
    with np.errstate(divide="ignore", over="ignore"):
        ratio = np.power(np.maximum(1.0 - u, 0.0), -1.0 / slope)
    return np.minimum(ratio, cap)


def market_multiples(
    out: Outcome, p: Params, targets: np.ndarray, cap: float
) -> tuple[np.ndarray, np.ndarray]:
    """Price multiples ``(draws, months)`` inside the issuer and in the target market.

    Outside, ``u`` is the market gap: what the targets miss at the restricted stage after re-routing, new
    supply and substitution but *before* they draw on their stocks, as a share of their demand. Stocks keep
    factories running (the physical shortfall) but are not offered to the market: in every calibration episode
    the price outside rose within weeks of the measure, while buyers still had cover (Rotterdam gallium +114 %
    by December 2023; European Dy and Tb oxide about ×3 by 6 May 2025, when car makers' stocks lasted into
    June; ../shared/data/scenario_calibration/episodes.csv). Inside, the issuer's idle volume (blocked
    exports nobody else took) is a surplus ``−idle / issuer market``.
    """
    target_demand = out.demand[0][targets].sum()
    u_out = out.market_gap / target_demand if target_demand > 0 else 0 * out.idle
    u_in = -out.idle / out.issuer_market if out.issuer_market > 0 else 0 * out.idle
    e_d, e_s = p.demand_elasticity[:, None], p.supply_elasticity[:, None]
    return price_multiple(u_in, e_d, e_s, cap), price_multiple(u_out, e_d, e_s, cap)
