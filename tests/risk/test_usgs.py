"""USGS-style supply risk (Nassar et al. 2020): the factors by hand, properties, critmin's data."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.risk import (
    MissingInputError,
    MissingInputWarning,
    disruption_potential,
    governance_risk,
    net_import_reliance,
    trade_exposure,
    usgs_supply_risk,
)


def test_factors_by_hand():
    # producers: China 70 % (risk 0.6), USA 20 % (assessed country, left out), Australia 10 % (risk 0.2)
    dp = disruption_potential([0.7, 0.2, 0.1], [0.6, 0.3, 0.2], domestic=[False, True, False])
    assert dp == pytest.approx(0.49 * 0.6 + 0.01 * 0.2)
    assert net_import_reliance(production=20, imports=100, exports=20) == pytest.approx(80 / 100)
    assert list(trade_exposure([-0.5, 0.3, 1.2])) == pytest.approx([0.0, 0.3, 1.0])
    assert list(governance_risk([2.5, -2.5])) == pytest.approx([0.0, 1.0])


def test_nir_undefined_without_consumption():
    assert np.isnan(net_import_reliance(production=0, imports=10, exports=10))


def test_missing_governance_raises():
    with pytest.raises(MissingInputError):
        disruption_potential([0.5, 0.5], [0.2, np.nan])


shares = st.lists(st.floats(min_value=0.0, max_value=1.0, allow_subnormal=False), min_size=1, max_size=10)


@given(shares, st.floats(min_value=0.0, max_value=1.0, allow_subnormal=False))
def test_dp_zero_with_perfect_governance_and_bounded(s, w):
    total = sum(s) or 1.0
    normal = [x / total for x in s]
    assert disruption_potential(normal, [0.0] * len(s)) == 0.0
    assert 0.0 <= disruption_potential(normal, [w] * len(s)) <= 1.0 + 1e-12


normal = st.floats(min_value=0, max_value=1e6, allow_subnormal=False).filter(lambda v: v == 0 or v > 1e-9)


@given(normal, normal, st.floats(min_value=1e-3, max_value=1e3))
def test_nir_unit_scaling(p, m, k):
    a = net_import_reliance(p, m, 0.0)
    b = net_import_reliance(p * k, m * k, 0.0)
    assert (np.isnan(a) and np.isnan(b)) or b == pytest.approx(a, rel=1e-9)


def test_rare_earths_usa(built_store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        out = usgs_supply_risk("rare-earths", ["USA", "JPN"])
    assert set(out["country"]) == {"USA", "JPN"}
    for row in out.to_dict("records"):
        assert row["method"] == "usgs"
        assert row["value"] == pytest.approx(row["disruption_potential"] * row["trade_exposure"])
        assert np.isnan(row["supply_risk"]) and np.isnan(row["economic_vulnerability"])
        assert "economic vulnerability not available" in row["approximations"]
        assert 0 < row["disruption_potential"] < 1
    japan = out[out["country"] == "JPN"].iloc[0]
    assert japan["domestic_production_t"] == 0 and japan["trade_exposure"] == pytest.approx(1.0)
    usa = out[out["country"] == "USA"].iloc[0]
    assert "USA" not in usa["governance_risk"] or usa["disruption_potential"] < japan["disruption_potential"]


def test_economic_vulnerability_given(built_store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        out = usgs_supply_risk("cobalt", "USA", economic_vulnerability={("cobalt", "USA"): 0.5})
    row = out.iloc[0]
    assert row["supply_risk"] == pytest.approx(row["dp_x_te"] * 0.5) and row["value"] == row["supply_risk"]


def test_missing_year_is_an_error(built_store):
    with pytest.raises(MissingInputError, match="1999"):
        usgs_supply_risk("cobalt", "USA", 1999)
