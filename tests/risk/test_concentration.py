"""Shares, HHI and concentration ratios: known answers, properties, missing inputs, critmin's data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.risk import MissingInputError, MissingInputWarning, concentration, concentration_frame, cr, hhi
from critmin.risk.concentration import cr1, cr3, shares

quantities = st.lists(
    st.floats(min_value=0.0, max_value=1e9, allow_subnormal=False), min_size=1, max_size=40
).filter(lambda xs: sum(xs) > 0)


# --- known answers -------------------------------------------------------------------------------------


def test_doj_example_four_firms():
    """U.S. DOJ/FTC: four firms with 30, 30, 20 and 20 % shares have an HHI of 2,600."""
    assert hhi([30, 30, 20, 20], scale="points") == pytest.approx(2600.0)
    assert hhi([30, 30, 20, 20]) == pytest.approx(0.26)


def test_concentration_ratios():
    assert cr1([5, 3, 2]) == pytest.approx(0.5)
    assert cr3([4, 3, 2, 1]) == pytest.approx(0.9)
    assert cr([1, 1], 5) == pytest.approx(1.0)


# --- properties --------------------------------------------------------------------------------------


@given(quantities, st.randoms())
def test_hhi_permutation_invariant(xs, rnd):
    ys = list(xs)
    rnd.shuffle(ys)
    assert hhi(ys) == pytest.approx(hhi(xs), rel=1e-12)


@given(st.floats(min_value=1e-6, max_value=1e12), st.integers(min_value=0, max_value=20))
def test_monopoly_is_one(q, n_zero):
    assert hhi([q] + [0.0] * n_zero) == pytest.approx(1.0)
    assert hhi([q], scale="points") == pytest.approx(10_000.0)


@given(st.integers(min_value=1, max_value=200), st.floats(min_value=1e-3, max_value=1e9))
def test_n_equal_producers(n, q):
    assert hhi([q] * n) == pytest.approx(1.0 / n)


@given(quantities)
def test_hhi_bounds(xs):
    n = sum(1 for x in xs if x > 0)
    value = hhi(xs)
    assert 1.0 / n - 1e-12 <= value <= 1.0 + 1e-12
    assert 0.0 <= cr1(xs) <= cr3(xs) <= 1.0 + 1e-12
    assert cr1(xs) ** 2 <= value + 1e-12  # the largest share alone bounds the HHI from below


@given(quantities, st.floats(min_value=1e-6, max_value=1e6))
def test_unit_scaling_invariance(xs, k):
    assert hhi([x * k for x in xs]) == pytest.approx(hhi(xs), rel=1e-9)
    assert cr3([x * k for x in xs]) == pytest.approx(cr3(xs), rel=1e-9)


@settings(max_examples=50)
@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.floats(min_value=0, max_value=1e6, allow_subnormal=False)),
        min_size=1,
        max_size=30,
    )
)
def test_frame_matches_scalar(rows):
    df = pd.DataFrame(
        {
            "g": [r[0] for r in rows],
            "iso3": [f"C{i}" for i in range(len(rows))],
            "value": [r[1] for r in rows],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        out = concentration_frame(df, ["g"]).set_index("g")
    for g, part in df.groupby("g"):
        if part["value"].sum() > 0:
            assert out.loc[g, "hhi"] == pytest.approx(hhi(part["value"]), rel=1e-9)
            assert out.loc[g, "cr3"] == pytest.approx(cr3(part["value"]), rel=1e-9)
            assert sum(out.loc[g, "shares"].values()) == pytest.approx(1.0, rel=1e-5)
        else:
            assert np.isnan(out.loc[g, "hhi"])


# --- residuals and missing inputs --------------------------------------------------------------------


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"g": ["a"] * 4, "iso3": ["CHN", "USA", None, "AUS"], "value": [70.0, 10.0, 15.0, 5.0]}
    )


def test_other_countries_policies():
    spread = concentration_frame(_frame(), ["g"]).iloc[0]
    single = concentration_frame(_frame(), ["g"], others="single").iloc[0]
    drop = concentration_frame(_frame(), ["g"], others="drop").iloc[0]
    assert spread["hhi"] == pytest.approx(0.7**2 + 0.1**2 + 0.05**2)
    assert single["hhi"] == pytest.approx(0.7**2 + 0.1**2 + 0.05**2 + 0.15**2)
    assert drop["hhi"] == pytest.approx(hhi([70, 10, 5]))
    assert spread["hhi"] <= drop["hhi"]
    assert spread["others_share"] == pytest.approx(0.15)
    assert spread["top3"] == "CHN;USA;AUS"
    assert single["top3"] == "CHN;Other countries;USA"


def test_missing_values_are_named_not_zero():
    df = pd.DataFrame({"g": ["a", "a", "b"], "iso3": ["CHN", "USA", "MMR"], "value": [90.0, np.nan, np.nan]})
    with pytest.warns(MissingInputWarning, match="USA"):
        out = concentration_frame(df, ["g"]).set_index("g")
    assert out.loc["a", "hhi"] == pytest.approx(1.0)
    assert out.loc["a", "missing"] == "USA"
    assert out.loc["a", "n_missing"] == 1
    assert np.isnan(out.loc["b", "hhi"])  # nothing known: undefined, not zero
    assert out.loc["b", "missing"] == "MMR"


@pytest.mark.parametrize("bad", [[], [np.nan, 1.0], [0.0, 0.0]])
def test_scalar_missing_inputs(bad):
    with pytest.raises(MissingInputError):
        hhi(bad)


def test_negative_and_unknown_scale():
    with pytest.raises(ValueError):
        shares([1.0, -1.0])
    with pytest.raises(ValueError):
        hhi([1.0], scale="percent")  # type: ignore[arg-type]


# --- critmin's data ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(built_store):
    return built_store


def test_usgs_rare_earths(store):
    out = concentration("rare-earths")
    assert set(out["dataset"]) == {"usgs_mcs"}
    assert out["edition"].nunique() == 1  # editions are never mixed
    row = out.iloc[-1]
    assert row["method"] == "hhi" and row["value"] == row["hhi"]
    assert 0.3 < row["hhi"] < 0.8 and row["top1"] == "CHN"
    assert row["hhi_points"] == pytest.approx(row["hhi"] * 10_000)
    assert sum(row["shares"].values()) == pytest.approx(1.0, rel=1e-5)
    assert row["world_total"] > 0


def test_edition_choice_and_year(store):
    out = concentration("rare-earths", year=2023, edition=2025)
    assert list(out["edition"].astype(int)) == [2025] and list(out["year"]) == [2023]


def test_wmd_and_trade(store):
    wmd = concentration("cobalt", source="wmd", year=2022)
    assert list(wmd["dataset"]) == ["wmd"]
    trade = concentration("rare-earths", source="trade", year=2022)
    assert set(trade["stage"]) == {"metal", "refining"}
    assert (trade["unit"] == "kUSD").all()
    by_qty = concentration("rare-earths", source="trade", year=2022, measure="quantity")
    assert (by_qty["unit"] == "t").all()


def test_unknown_commodity_suggests(store):
    from critmin.vocab import UnknownNameError

    with pytest.raises(UnknownNameError, match="did you mean"):
        concentration("rare earht")
