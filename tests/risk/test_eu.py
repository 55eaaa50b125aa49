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


# --- rare earths: groups, proxies, and the EU 2023 published values ------------------------------------

REE_GROUP_MEMBERS = {"HREE": HREE, "LREE": LREE, "PGM": PGM}


def _quiet_sr(*args, **kwargs) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        return eu_supply_risk(*args, **kwargs)


@pytest.fixture(scope="module")
def rare_earths(built_store) -> pd.DataFrame:
    return _quiet_sr("rare-earths")


@pytest.mark.parametrize("group", sorted(REE_GROUP_MEMBERS))
def test_published_group_values_are_the_mean_of_their_members(group):
    """The EU 2023 SR and EI of HREE, LREE and PGM are the means of their members' published values (the
    rule critmin applies to groups without their own SI_SR); the bottleneck rule would not give them.
    Tolerance 0.1: the group value is rounded to 0.1 (±0.05) and so is each member's (mean ±0.05)."""
    pub = published_eu2023().set_index("material")
    members = pub.loc[sorted(REE_GROUP_MEMBERS[group])]
    assert members["sr"].mean() == pytest.approx(pub.loc[group, "sr"], abs=0.1)
    assert members["ei"].mean() == pytest.approx(pub.loc[group, "ei"], abs=0.1)
    if group == "HREE":  # the highest member (5.6) is not what was published (5.1)
        assert abs(members["sr"].max() - pub.loc[group, "sr"]) > 0.4


@pytest.mark.parametrize(
    "commodity", ["heavy-rare-earths", "light-rare-earths", "dysprosium", "terbium", "cerium", "yttrium"]
)
def test_rare_earths_get_a_supply_risk_with_every_proxy_labelled(built_store, commodity):
    out = _quiet_sr(commodity)
    top = out[out["bottleneck"]]
    assert len(top) == out["material"].nunique()
    assert np.isfinite(top["sr"]).all() and (top["sr"] > 0).all()
    elements = out[out["supply_basis"] != "mean of members"]
    # no element-level global supply is in critmin's data: every element row says which group data stand in
    assert elements["proxy"].str.startswith("proxy: ").all()
    assert elements.apply(lambda r: r["proxy"] in r["notes"] and r["material"] in r["proxy"], axis=1).all()
    processing = elements[elements["stage"] == "processing"]
    assert (processing["production_dataset"] == "stage_shares").all()
    assert processing["proxy"].str.contains("stage shares 'refining").all()
    assert processing["source"].str.contains("IEA").all()  # the citation of the shares used


def test_rare_earth_extraction_is_world_mining_data_mine_production(rare_earths):
    """World Mining Data's "Rare Earths (REO)" is mine production in REO content: it feeds the extraction
    stage, not processing (it was labelled refining before)."""
    extraction = rare_earths[rare_earths["stage"] == "extraction"]
    members = extraction[extraction["supply_basis"] != "mean of members"]
    assert (members["production_dataset"] == "wmd").all() and (members["years"] == "2020–2024").all()
    assert not (rare_earths.loc[rare_earths["stage"] == "processing", "production_dataset"] == "wmd").any()


def test_an_element_is_the_same_from_any_entry_point(built_store, rare_earths):
    cols = ["stage", "sr", "hhi_wgi_t_gs", "hhi_wgi_t_eu", "supply_basis", "proxy"]
    alone = _quiet_sr("dysprosium")[cols].reset_index(drop=True)
    in_group = _quiet_sr("heavy-rare-earths")
    for frame in (in_group, rare_earths):
        rows = frame[frame["material"] == "Dysprosium"][cols].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows, alone)


def test_group_rows_are_the_mean_of_their_member_rows(rare_earths):
    for group, members in (("HREE", HREE), ("LREE", LREE)):
        rows = rare_earths[rare_earths["material"] == group].set_index("stage")
        part = rare_earths[rare_earths["material"].isin(members)]
        assert set(part["material"]) == members
        reported = part.loc[part["bottleneck"], "sr"]
        assert rows.loc["mean of members", "sr"] == pytest.approx(reported.mean())
        assert rows.loc["mean of members", "bottleneck"]
        assert rows.loc["mean of members", "members"] == pytest.approx(
            dict(zip(part.loc[part["bottleneck"], "material"], reported, strict=True)), abs=1e-6
        )
        for stage in ("extraction", "processing"):
            expected = part.loc[part["stage"] == stage, "sr"].mean()
            assert rows.loc[stage, "sr"] == pytest.approx(expected) and not rows.loc[stage, "bottleneck"]


def test_a_member_without_sr_leaves_the_group_undefined(built_store):
    """Iridium and ruthenium have no production or stage shares at the processing stage: PGM's mean is
    NaN and says which members are missing, never the mean of the other three."""
    with pytest.warns(MissingInputWarning, match="Iridium, Ruthenium"):
        out = eu_supply_risk("platinum-group-metals")
    pgm = out[out["material"] == "PGM"]
    assert pgm["sr"].isna().all() and not pgm["bottleneck"].any()
    assert pgm["notes"].str.contains("Iridium, Ruthenium").all()
    assert np.isfinite(out.loc[out["material"] == "Platinum", "sr"]).all()


def test_stage_shares_that_disagree_or_list_too_little_are_not_used(built_store):
    from critmin.risk.eu import _share_supply

    # cobalt refining 2024: two secondary reports (China 70 % and 80 %); critmin does not choose
    with pytest.warns(MissingInputWarning, match="disagree"):
        assert _share_supply("cobalt", "processing", None, 1.0, 0.01, "test") is None
    # lithium refining 2024: only China's 70 % is listed; the unlisted 30 % could move HHI_WGI,t by 0.9
    with pytest.warns(MissingInputWarning, match="unlisted 30 %"):
        assert _share_supply("lithium", "processing", None, 1.0, 0.01, "test") is None
    ree = _share_supply("rare-earths", "processing", None, 1.0, 0.01, "test")
    assert ree is not None and ree.window == [2023] and not ree.in_tonnes
    assert float(ree.quantities.sum()) == pytest.approx(100.0)  # the unlisted 2 % counts as small suppliers
    assert ree.quantities["Other countries"] == pytest.approx(2.0)


def test_hree_published_processing_is_a_chinese_monopoly(built_store):
    """The published processing SRs of the HREE members with China-only processing are reproduced by
    critmin's formula with S_CHN = 1, SI_SR and EoL-RIR of 2023, and China's WGI 2016–2020 (the EU 2023
    window). Tolerance 0.1: published rounding (±0.05) plus revisions between WGI editions (≈ ±0.04 on
    the scaled index of China). Terbium (4.9) and yttrium (3.5) are not China-only in the EU data."""
    import critmin

    gov = critmin.governance(country="CHN")
    w = float(np.mean(scale_wgi(gov.loc[gov["year"].between(2016, 2020), "mean_estimate"])))
    pub = published_eu2023().set_index("material")
    params = critmin.eu_parameters().set_index("material")
    for mat in sorted(HREE - {"Terbium", "Yttrium"}):
        p = params.loc[mat]
        sr = eu_sr_formula(
            hhi_wgi_t([1.0], [w]), None, None, p["eol_rir_pct"] / 100, p["si_sr"], basis="GSonly"
        )
        assert float(sr) == pytest.approx(pub.loc[mat, "sr_processing"], abs=0.1), mat


def test_hree_computed_vs_published(rare_earths):
    """critmin's HREE SR (mean of members, processing from the IEA's 2023 shares of magnet-REE separation:
    China 92 %) is below the published 5.1 (China-only processing, test above). Replacing the proxy shares
    by a Chinese monopoly, all else as computed, closes the gap to within 0.2: rounding (0.05) plus the WGI
    window (China 2023, 5.58, against 2016–2020, 5.71: −2.3 %, ≤ 0.13 on an SR of 5.6)."""
    pub = published_eu2023().set_index("material")
    hree = rare_earths[rare_earths["material"] == "HREE"].set_index("stage")
    assert hree.loc["mean of members", "sr"] < pub.loc["HREE", "sr"] - 0.3
    proc = rare_earths[rare_earths["material"].isin(HREE) & (rare_earths["stage"] == "processing")]
    monopoly = [
        float(
            eu_sr_formula(
                hhi_wgi_t([1.0], [r["wgi_scaled"]["CHN"]]),
                None,
                None,
                r["eol_rir"],
                r["si_sr"],
                basis="GSonly",
            )
        )
        for r in proc.to_dict("records")
    ]
    assert np.mean(monopoly) == pytest.approx(pub.loc["HREE", "sr"], abs=0.2)


def test_lree_computed_vs_published(rare_earths):
    """critmin's LREE SR is below the published 3.7, mainly through neodymium: its EU 2023 bottleneck is
    extraction (4.5, element-level supply with EU sourcing), where critmin has only rare-earth (REO) mine
    production and no HS code for REE ores (GS-only). With the published Nd value in place of critmin's,
    the mean is within 0.25 of 3.7: the other members differ by the processing proxy (China 92 % of
    magnet-REE separation against the EU's LREE data), up to ±0.55 each, in both directions."""
    pub = published_eu2023().set_index("material")
    lree = rare_earths[rare_earths["material"].isin(LREE) & rare_earths["bottleneck"]].set_index("material")
    nd = rare_earths[(rare_earths["material"] == "Neodymium") & (rare_earths["stage"] == "extraction")].iloc[
        0
    ]
    assert pub.loc["Neodymium", "sr_stage"] == "extraction" and lree.loc["Neodymium", "stage"] == "processing"
    assert nd["supply_basis"] == "GSonly" and "rare-earths" in nd["proxy"]
    assert lree["sr"].mean() < pub.loc["LREE", "sr"]
    with_pub_nd = lree["sr"].drop("Neodymium").sum() + pub.loc["Neodymium", "sr"]
    assert with_pub_nd / len(LREE) == pytest.approx(pub.loc["LREE", "sr"], abs=0.25)
