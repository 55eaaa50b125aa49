"""Monte Carlo over the uncertain parameters of a scenario (docs/scenario-model.md, "Uncertainty").

Every parameter written as a distribution in the spec is drawn ``draws`` times from one
``numpy.random.Generator(PCG64(seed))`` in a fixed order, so one seed gives identical results. The allocation is
evaluated for all draws at once (:func:`critmin.scenario.solve.simulate`); outputs are summarised by the
median and the 5th and 95th percentiles across draws.
"""

from __future__ import annotations

import numpy as np

from critmin.scenario.spec import Param, Triangular, Uniform, median

#: the percentiles reported for every output
QUANTILES = (0.05, 0.5, 0.95)


def draw(param: Param | None, draws: int, rng: np.random.Generator | None) -> np.ndarray:
    """``draws`` values of ``param``; with ``rng`` None (deterministic run) every value is the median."""
    if param is None:
        raise ValueError("a parameter left unset: complete the spec with the documented set first")
    if rng is None or isinstance(param, int | float):
        return np.full(draws, median(param))
    if isinstance(param, Uniform):
        return rng.uniform(param.low, param.high, draws)
    if isinstance(param, Triangular):
        if param.low == param.high:
            return np.full(draws, param.low)
        return rng.triangular(param.low, param.mode, param.high, draws)
    raise TypeError(f"not a parameter: {param!r}")


def bands(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """5th percentile, median and 95th percentile over the first axis (draws)."""
    low, mid, high = np.quantile(values, QUANTILES, axis=0)
    return low, mid, high
