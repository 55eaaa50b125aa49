"""EU supply risk and economic importance (Blengini et al. 2017): published numbers, properties, data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from critmin.risk import (
    MissingInputError,
    MissingInputWarning,
    bottleneck,
    economic_importance,
    eu_criticality,
    eu_economic_importance,
    eu_sr_formula,
    eu_supply_risk,
    hhi_wgi_t,
    is_critical,
    published_eu2023,
    scale_wgi,
)

# The EU 2023 list of critical raw materials (Regulation (EU) 2024/1252, Annex II, section 1) without
# copper and nickel, which were added as strategic raw materials although below the thresholds. Group
# level names as in the 2023 study's results table.
EU2023_CRITICAL = {
    "Aluminium", "Antimony", "Arsenic", "Baryte", "Beryllium", "Bismuth", "Boron", "Cobalt", "Coking coal",
    "Feldspar", "Fluorspar", "Gallium", "Germanium", "Hafnium", "Helium", "HREE", "LREE", "Lithium",
    "Magnesium", "Manganese", "Natural graphite", "Niobium", "PGM", "Phosphate rock", "Phosphorus",
    "Scandium", "Silicon metal", "Strontium", "Tantalum", "Titanium metal", "Tungsten", "Vanadium",
}  # fmt: skip
HREE = {
    "Dysprosium",
    "Erbium",
    "Europium",
    "Gadolinium",
    "Holmium",
    "Lutetium",
    "Terbium",
    "Thulium",
    "Ytterbium",
    "Yttrium",
}
LREE = {"Cerium", "Lanthanum", "Neodymium", "Praseodymium", "Samarium"}
PGM = {"Iridium", "Palladium", "Platinum", "Rhodium", "Ruthenium"}


# --- known answers from the EU 2023 assessment ---------------------------------------------------------


def test_published_flag_reproduces_the_2023_list():
    """SR ≥ 1.0 and EI ≥ 2.8 on the published values gives exactly the 2023 critical list."""
    pub = published_eu2023()
    groups = pub[~pub["material"].isin(HREE | LREE | PGM)]
    flagged = set(groups.loc[is_critical(groups["sr"], groups["ei"]), "material"])
    assert flagged == EU2023_CRITICAL
    # the boundary cases the ≥ matters for: SR exactly 1.0 is critical, EI exactly 2.8 alone is not enough
    assert {"Coking coal", "Phosphate rock"} <= flagged
    assert "Kaolin" not in flagged  # SR 0.8, EI 2.8


def test_published_sr_is_the_bottleneck_stage():
    """The reported SR is the higher of the two stage SRs (published per-stage values)."""
    pub = published_eu2023().dropna(subset=["sr_extraction", "sr_processing"])
    assert len(pub) >= 30
    for rec in pub.to_dict("records"):
        value, stage = bottleneck(rec["sr_extraction"], rec["sr_processing"])
        assert value == pytest.approx(rec["sr"], abs=0.05), rec["material"]
        if abs(rec["sr_extraction"] - rec["sr_processing"]) > 0.05:
            assert stage == rec["sr_stage"], rec["material"]


# --- the formulas --------------------------------------------------------------------------------------


def test_wgi_scaling_endpoints():
    assert list(scale_wgi([2.5, 0.0, -2.5])) == pytest.approx([0.0, 5.0, 10.0])


def test_hhi_wgi_t_by_hand():
    # China 60 % (WGI mean −0.29 → 5.58, export restriction t = 1.1), Australia 40 % (1.54 → 1.92)
    w = scale_wgi([-0.29, 1.54])
    expected = 0.36 * 5.58 * 1.1 + 0.16 * 1.92
    assert hhi_wgi_t([0.6, 0.4], w, [1.1, 1.0]) == pytest.approx(expected)
    assert hhi_wgi_t([1.0], [10.0]) == pytest.approx(10.0)  # a monopoly of the worst-governed country


def test_supply_risk_by_hand():
    # HHI_GS 4, HHI_EU 2, IR 0.8, EoL-RIR 0.1, SI_SR 0.9: [4·0.4 + 2·0.6]·0.9·0.9
    assert eu_sr_formula(4.0, 2.0, 0.8, 0.1, 0.9) == pytest.approx((1.6 + 1.2) * 0.81)
    assert eu_sr_formula(4.0, None, None, 0.1, 0.9, basis="GSonly") == pytest.approx(4.0 * 0.81)
    assert eu_sr_formula(None, 2.0, None, 0.1, 0.9, basis="EUonly") == pytest.approx(2.0 * 0.81)
    # IR = 1: half global supply, half EU sourcing; IR = 0: EU sourcing only
    assert eu_sr_formula(4.0, 2.0, 1.0, 0.0, 1.0) == pytest.approx(3.0)
    assert eu_sr_formula(4.0, 2.0, 0.0, 0.0, 1.0) == pytest.approx(2.0)


unit = st.floats(min_value=0.0, max_value=1.0, allow_subnormal=False)
hhis = st.floats(min_value=0.0, max_value=10.0, allow_subnormal=False)


@given(hhis, hhis, unit, unit, unit, st.floats(min_value=0.0, max_value=5.0, allow_subnormal=False))
def test_sr_monotone_in_each_input(gs, eu, ir, eol, si, step):
    def sr(gs_: float = gs, eu_: float = eu, ir_: float = ir, eol_: float = eol, si_: float = si) -> float:
        return float(eu_sr_formula(gs_, eu_, ir_, eol_, si_))

    base = sr()
    assert sr(gs_=gs + step) >= base - 1e-12
    assert sr(eu_=eu + step) >= base - 1e-12
    assert sr(si_=min(si + step, 1.0)) >= base - 1e-12
    assert sr(eol_=min(eol + step, 1.0)) <= base + 1e-12
    # IR moves weight from EU sourcing to global supply: SR rises with IR exactly when HHI_GS ≥ HHI_EU
    higher = sr(ir_=min(ir + step, 1.0))
    if gs >= eu:
        assert higher >= base - 1e-12
    else:
        assert higher <= base + 1e-12


@given(hhis, unit, unit)
def test_sr_bounds(gs, eol, si):
    assume(gs > 0)
    value = float(eu_sr_formula(gs, gs, 0.5, eol, si))
    assert 0.0 <= value <= gs + 1e-12


def test_sr_missing_inputs_raise():
    with pytest.raises(MissingInputError, match="SI_SR"):
        eu_sr_formula(4.0, 2.0, 0.5, 0.1, np.nan)
    with pytest.raises(MissingInputError, match="import reliance"):
        eu_sr_formula(4.0, 2.0, None, 0.1, 0.9)
    with pytest.raises(MissingInputError):
        hhi_wgi_t([0.5, 0.5], [3.0, np.nan])
    with pytest.raises(MissingInputError):
        bottleneck(None, np.nan)


def test_economic_importance_by_hand():
    # 60 % of use in a sector of value added 50, 40 % in one of 100; the largest sector of the table is 200
    ei = economic_importance([0.6, 0.4], [50.0, 100.0], si_ei=0.9, max_value_added=200.0)
    assert ei == pytest.approx((30.0 + 40.0) / 200.0 * 10 * 0.9)
    assert economic_importance([1.0], [200.0], 1.0) == pytest.approx(10.0)  # all use in the largest sector
    with pytest.raises(MissingInputError):
        economic_importance([1.0], [200.0], np.nan)


def test_is_critical_thresholds():
    assert list(is_critical([1.0, 0.99, 1.5, np.nan], [2.8, 5.0, 2.79, 5.0])) == [True, False, False, False]


# --- critmin's data ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graphite(built_store) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        return eu_supply_risk("graphite")


def test_rows_carry_their_inputs(graphite):
    row = graphite.iloc[0]
    assert row["method"] == "eu_sr" and row["material"] == "Natural graphite" and row["stage"] == "extraction"
    assert row["value"] == row["sr"]
    assert 0 < row["sr"] < 10
    assert sum(row["gs_shares"].values()) + 0 == pytest.approx(1.0, abs=1e-3)
    assert row["gs_shares"] and row["wgi_scaled"] and row["years"] == "2020–2024"
    # the SR is reproducible from the inputs printed beside it
    recomputed = eu_sr_formula(
        row["hhi_wgi_t_gs"], row["hhi_wgi_t_eu"], row["import_reliance"], row["eol_rir"], row["si_sr"],
        basis=row["supply_basis"],
    )  # fmt: skip
    assert float(recomputed) == pytest.approx(row["sr"])
    # and HHI_WGI,t from the shares, scaled WGI and t factors
    shares = row["gs_shares"]
    t = row["t_factors"]["global_supply"]
    hw = sum(
        s * s * row["wgi_scaled"][c] * t.get(c, 1.0) for c, s in shares.items() if c in row["wgi_scaled"]
    )
    assert hw == pytest.approx(row["hhi_wgi_t_gs"], rel=1e-3)


def test_one_bottleneck_per_material(built_store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        out = eu_supply_risk("lithium")
    assert set(out["stage"]) == {"extraction", "processing"}
    assert out["bottleneck"].sum() == 1
    assert out.loc[out["bottleneck"], "sr"].iloc[0] == out["sr"].max()


def test_keyword_and_file_overrides(built_store, graphite, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        half = eu_supply_risk("graphite", si_sr=graphite["si_sr"].iloc[0] / 2)
        path = tmp_path / "params.csv"
        pd.DataFrame([{"material": "Natural graphite", "eol_rir_pct": 50}]).to_csv(path, index=False)
        from_file = eu_supply_risk("graphite", parameters=path)
        gs_only = eu_supply_risk("graphite", eu_sourcing=False)
    assert half["sr"].iloc[0] == pytest.approx(graphite["sr"].iloc[0] / 2)
    assert from_file["eol_rir"].iloc[0] == pytest.approx(0.5)
    assert from_file["sr"].iloc[0] < graphite["sr"].iloc[0]
    assert gs_only["supply_basis"].iloc[0] == "GSonly"


def test_missing_wgi_is_named_and_not_zero(built_store):
    """New Caledonia (about 6 % of nickel mining) has no WGI: SR undefined unless a proxy is given."""
    with pytest.warns(MissingInputWarning, match="NCL"):
        plain = eu_supply_risk("nickel", stages=["extraction"])
    assert np.isnan(plain["sr"].iloc[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        proxied = eu_supply_risk("nickel", stages=["extraction"], wgi_proxies={"NCL": "FRA"})
    assert 0 < proxied["sr"].iloc[0] < 10
    assert "NCL proxied by FRA" in proxied["wgi_years"].iloc[0]


def test_no_parameters_is_an_error(built_store):
    with pytest.raises(MissingInputError, match="no EU 2023 parameters"):
        eu_supply_risk("uranium")


def test_economic_importance_published_and_computed(built_store, tmp_path):
    pub = eu_economic_importance("graphite")
    assert pub["basis"].iloc[0] == "published EU 2023" and pub["ei"].iloc[0] == pytest.approx(3.4)
    uses = pd.DataFrame({"material": ["Natural graphite"] * 2, "sector": ["C27", "C24"], "share": [0.5, 0.5]})
    va = pd.DataFrame({"sector": ["C27", "C24", "C29"], "value_added": [100.0, 50.0, 200.0]})
    out = eu_economic_importance("graphite", end_uses=uses, value_added=va)
    assert out["basis"].iloc[0] == "computed"
    assert out["ei"].iloc[0] == pytest.approx((50 + 25) / 200 * 10 * out["si_ei"].iloc[0])
    with pytest.raises(MissingInputError, match="C99"):
        eu_economic_importance("graphite", end_uses=uses.assign(sector=["C27", "C99"]), value_added=va)


def test_criticality_table(built_store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        out = eu_criticality(["graphite", "gallium"])
    assert set(out["material"]) == {"Natural graphite", "Gallium"}
    assert out["critical_published"].all()
    assert (out["critical"] == is_critical(out["sr"], out["ei"])).all()
