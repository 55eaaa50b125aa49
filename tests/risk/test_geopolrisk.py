"""GeoPolRisk: formula by hand, the published example of geopolrisk-py's docs, properties, missing inputs, data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.risk import MissingInputWarning, geopolrisk, geopolrisk_frame, political_instability
from critmin.risk.geopolrisk import (
    CF_COPPER_OECD,
    DEFAULT_G,
    characterization_factor,
    geopolrisk_hhi,
    geopolrisk_score,
    import_risk,
)

MH = pd.DataFrame({"material": ["Ore", "Ore", "Metal"], "hs": ["111111", "111112", "222222"]})


def _trade(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["year", "exporter", "importer", "hs", "quantity_t", "value_kusd"])


PRODUCTION = pd.DataFrame(
    {
        "material": ["Ore", "Ore", "Ore", "Metal", "Metal"],
        "year": [2020] * 5,
        "country": ["AAA", "BBB", "IMP", "AAA", "BBB"],
        "value": [600.0, 300.0, 100.0, 50_000.0, 50_000.0],
        "unit": ["metr. t", "metr. t", "metr. t", "kg", "kg"],
    }
)
STABILITY = pd.DataFrame(
    {"country": ["AAA", "BBB"], "year": [2020, 2020], "political_stability": [-1.0, 1.5]}
)


def _run(trade: pd.DataFrame, **kw) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        return geopolrisk_frame(trade, PRODUCTION, STABILITY, MH, **kw).set_index(
            ["material", "importer", "year"]
        )


def test_by_hand():
    trade = _trade(
        [
            (2020, "AAA", "IMP", "111111", 50.0, 100.0),
            (2020, "AAA", "IMP", "111112", 30.0, 60.0),  # second HS code of the same material
            (2020, "BBB", "IMP", "111111", 20.0, 50.0),
            (2020, "CCC", "IMP", "111111", 100.0, 90.0),  # no stability score: g = 0.5
        ]
    )
    row = _run(trade, importers=["IMP"]).loc[("Ore", "IMP", 2020)]
    g_a, g_b = (2.5 + 1.0) / 5, (2.5 - 1.5) / 5
    hhi = 0.6**2 + 0.3**2 + 0.1**2
    wta = (80 * g_a + 20 * g_b + 100 * DEFAULT_G) / (100 + 200)
    assert row["hhi"] == pytest.approx(hhi)
    assert row["imports_t"] == pytest.approx(200) and row["domestic_production_t"] == pytest.approx(100)
    assert row["import_risk"] == pytest.approx(wta)
    assert row["geopolrisk"] == pytest.approx(hhi * wta)
    assert row["price_usd_per_kg"] == pytest.approx(300 / 200)
    assert row["cf"] == pytest.approx(hhi * wta * 1.5 / CF_COPPER_OECD)
    assert row["default_g_share"] == pytest.approx(0.5)
    assert row["n_suppliers"] == 3 and row["top_supplier"] == "CCC" and row["top_supplier_share"] == 0.5
    assert geopolrisk_score(hhi, [g_a, g_b, DEFAULT_G], [80, 20, 100], 100) == pytest.approx(hhi * wta)


def test_kg_production_and_truncation():
    trade = _trade([(2020, "AAA", "AAA", "222222", 10.0, 10.0)])
    row = _run(trade, importers=["AAA"]).loc[("Metal", "AAA", 2020)]
    assert row["domestic_production_t"] == pytest.approx(50.0)  # 50,000 kg
    assert geopolrisk_hhi([2.9, 1.2]) == pytest.approx(5 / 9)  # geopolrisk-py casts production to int
    assert geopolrisk_hhi([2.9, 1.2], truncate=False) == pytest.approx((2.9**2 + 1.2**2) / 4.1**2)


def test_region_members_count_with_zero_instability():
    trade = _trade(
        [
            (2020, "AAA", "IMP", "111111", 10.0, 1.0),
            (2020, "BBB", "IMP", "111111", 10.0, 1.0),  # BBB is a member of the region
            (2020, "AAA", "BBB", "111111", 20.0, 1.0),
        ]
    )
    row = _run(trade, importers=["R"], regions={"R": ["IMP", "BBB"]}).loc[("Ore", "R", 2020)]
    g_a = 0.7
    assert row["imports_t"] == pytest.approx(40)
    assert row["domestic_production_t"] == pytest.approx(100 + 300)
    assert row["import_risk"] == pytest.approx((30 * g_a + 10 * 0.0) / (40 + 400))


def test_missing_quantity_and_no_trade():
    trade = _trade([(2020, "AAA", "IMP", "111111", np.nan, 5.0), (2020, "AAA", "IMP", "111111", 10.0, 5.0)])
    out = _run(trade, importers=["IMP", "ZZZ"])
    assert out.loc[("Ore", "IMP", 2020), "n_flows_no_quantity"] == 1
    assert out.loc[("Ore", "IMP", 2020), "imports_t"] == pytest.approx(10)
    nothing = out.loc[("Metal", "ZZZ", 2020)]  # no imports and no production: 0 as in geopolrisk-py, and said
    assert nothing["geopolrisk"] == 0 and "no imports and no domestic production" in nothing["notes"]


def test_no_production_gives_nan_and_a_warning():
    trade = _trade([(2019, "AAA", "IMP", "111111", 10.0, 5.0)])
    with pytest.warns(MissingInputWarning, match="no world production"):
        out = geopolrisk_frame(trade, PRODUCTION, STABILITY, MH, years=[2019])
    assert out["geopolrisk"].isna().all() and out["cf"].isna().all()
    assert out["notes"].str.contains("HHI undefined").all()


# --- known answers: the published example of geopolrisk-py's documentation ---------------------------

# (material, economic unit, HHI, import risk, price USD/kg, published score, published CF eq. kg Cu/kg),
# copied digit for digit from the output table of `gprs_calc([2022], ["China", "Germany", 842, 36], ...)`
# and of the regional run (EFTA = Iceland, Norway, Switzerland) in the documentation notebook.
GPR_DOCS_EXAMPLE = [
    ("Aluminium", "China", 0.3532792047080751, 0.01116645058301709, 2.5278165947009335,
     0.003944874781380299, 0.024356630597795206),
    ("Cobalt", "China", 0.4928971158048766, 0.8776058519102541, 16.24540190511184,
     0.4325693932200459, 17.164243776457226),
    ("Niobium", "China", 0.8692862183478102, 0.5497926876444555, 24.805392286966356,
     0.47792720631772756, 28.95651418754137),
    ("Phosphate", "China", 0.2348754375481461, 3.6010063981462157e-06, 1.1401055252819092,
     8.45787953378266e-07, 2.3552931668967124e-06),
    ("Rhodium", "China", 0.699713407838737, 0.49963530967374903, 419427.8199134199,
     0.3496015252083816, 358153.3175070907),
    ("Germanium", "China", 0.8764039128409503, 0.0, 0.0, 0.0, 0.0),
    ("Nickel", "EFTA", 0.26749007657640966, 0.48878442310258746, 3.201878605585136,
     0.13074498276506735, 1.0225117821702758),
    ("Gold", "EFTA", 0.049356777146401465, 0.6425678941145394, 4516.623757444646,
     0.03171508035124381, 349.87922605636226),
]  # fmt: skip


@pytest.mark.parametrize(("material", "unit", "hhi", "wta", "price", "score", "cf"), GPR_DOCS_EXAMPLE)
def test_published_example_of_geopolrisk_py_docs(material, unit, hhi, wta, price, score, cf):
    """Known answer: the worked example of the geopolrisk-py documentation (Koyamparambath, Schraml, Helbig,
    Sonnemann), notebook "Different types of typical usage of the package", sections "GeoPolRisk Calculation
    using main function" (China, 2022) and "Main Function to run for the regional assessment" (EFTA, 2022):
    each output row prints HHI, "Import Risk" and "Price" beside the "GeoPolRisk Score" and the
    "GeoPolRisk Characterization Factor [eq. Kg-Cu/Kg]". Read in github.com/akoyamp/geopolrisk-py,
    docs/_build/html/_sources/notebooks/example.ipynb.txt (commit 8fe3169a), the rendered
    docs/notebooks/example.ipynb.

    The rows print the import risk Σ g_i f_i / (p + F) but not the suppliers behind it, so the score is
    checked through one supplier of weight 1 whose g is that import risk (p = 0): geopolrisk_score is then
    exactly HHI × import risk, Eq. 1 of the method. The CF checks Eq. 3 with critmin's copper reference
    (CF_COPPER_OECD = 0.409412948): score × price / CF_Cu. Digits are printed to full double precision.
    """
    assert geopolrisk_score(hhi, [wta], [1.0], 0.0) == pytest.approx(score, rel=1e-12, abs=1e-300)
    assert characterization_factor(score, price) == pytest.approx(cf, rel=1e-9, abs=1e-300)


# --- properties --------------------------------------------------------------------------------------

flows = st.lists(st.floats(min_value=0.0, max_value=1e7, allow_subnormal=False), min_size=1, max_size=12)


@given(
    flows,
    st.floats(min_value=0.0, max_value=1e7, allow_subnormal=False),
    st.floats(min_value=0.0, max_value=1.0, allow_subnormal=False),
)
def test_zero_when_every_supplier_is_perfectly_stable(f, p, hhi):
    g = political_instability([2.5] * len(f))  # the best possible political-stability estimate
    assert list(g) == pytest.approx([0.0] * len(f))
    assert geopolrisk_score(hhi, g, f, p) == 0.0


@given(
    flows,
    st.floats(min_value=0.0, max_value=1e7, allow_subnormal=False),
    st.floats(min_value=1e-3, max_value=1e3),
)
def test_unit_scaling_invariance(f, p, k):
    g = np.linspace(0.1, 0.9, len(f))
    a = import_risk(g, f, p)
    b = import_risk(g, [x * k for x in f], p * k)
    assert b == pytest.approx(a, rel=1e-9, abs=1e-15)


@given(flows, st.floats(min_value=0.0, max_value=1e7, allow_subnormal=False))
def test_bounds(f, p):
    g = np.linspace(0.0, 1.0, len(f))
    assert 0.0 <= import_risk(g, f, p) <= 1.0


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=1e-3, max_value=1e3))
def test_frame_unit_scaling(k):
    trade = _trade([(2020, "AAA", "IMP", "111111", 50.0, 100.0), (2020, "BBB", "IMP", "111111", 20.0, 50.0)])
    base = _run(trade, importers=["IMP"]).loc[("Ore", "IMP", 2020)]
    scaled_trade = trade.assign(quantity_t=trade["quantity_t"] * k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        scaled = geopolrisk_frame(
            scaled_trade, PRODUCTION.assign(value=PRODUCTION["value"] * k), STABILITY, MH,
            importers=["IMP"], truncate_production=False,
        ).set_index(["material", "importer", "year"]).loc[("Ore", "IMP", 2020)]  # fmt: skip
    assert scaled["geopolrisk"] == pytest.approx(base["geopolrisk"], rel=1e-9)


# --- critmin's data ----------------------------------------------------------------------------------


def test_rare_earths_japan(built_store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        out = geopolrisk("rare-earths", ["Japan", "EU27"], [2018, 2022], suppliers=True)
    assert set(out["country"]) == {"JPN", "EU27"} and set(out["year"]) == {2018, 2022}
    row = out[(out["country"] == "JPN") & (out["year"] == 2022)].iloc[0]
    assert row["method"] == "geopolrisk" and row["value"] == row["geopolrisk"]
    assert 0 < row["geopolrisk"] < 1 and row["top_supplier"] == "CHN"
    assert row["hs"] == "284690;284610;280530"
    # auditable: the score follows from the suppliers printed beside it
    sup = row["suppliers"]
    f = np.array([v[0] for v in sup.values()])
    g = np.array([v[1] for v in sup.values()])
    assert f.sum() == pytest.approx(row["imports_t"])
    assert row["hhi"] * (f * g).sum() / (f.sum() + row["domestic_production_t"]) == pytest.approx(
        row["geopolrisk"]
    )


def test_rare_earth_rows_carry_the_stage_of_mine_production(built_store):
    """World Mining Data's "Rare Earths (REO)" is mine production in REO content (as USGS MCS's rare-earth
    mine production): its GeoPolRisk and concentration rows are labelled mining, not refining."""
    from critmin.risk import concentration

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        gpr = geopolrisk("rare-earths", "JPN", 2022)
        wmd = concentration("rare-earths", year=2024, source="wmd")
        usgs = concentration("rare-earths", year=2024, source="usgs", edition=2025)
    assert set(gpr["stage"]) == set(wmd["stage"]) == set(usgs["stage"]) == {"mining"}


def test_years_without_production_or_wgi_are_flagged(built_store):
    with pytest.warns(MissingInputWarning) as record:
        out = geopolrisk("cobalt", "USA", [2012, 2024])
    messages = " ".join(str(w.message) for w in record)
    assert "no world production" in messages and "nearest year" in messages
    y2012 = out[out["year"] == 2012].iloc[0]
    assert np.isnan(y2012["geopolrisk"]) and "HHI undefined" in y2012["notes"]
    y2024 = out[out["year"] == 2024].iloc[0]
    assert np.isfinite(y2024["geopolrisk"]) and "2024←2023" in y2024["notes"]


def test_all_materials_importers_years(built_store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        out = geopolrisk()
    assert out["year"].min() == 2010 and out["year"].max() == 2024
    assert out["material"].nunique() >= 50 and out["country"].nunique() >= 200
    assert len(out) == out["material"].nunique() * out["country"].nunique() * 15
    ok = out["geopolrisk"].dropna()
    assert ((ok >= 0) & (ok <= 1)).all()
    assert out.loc[out["year"] < 2018, "geopolrisk"].isna().all()  # WMD starts in 2018
