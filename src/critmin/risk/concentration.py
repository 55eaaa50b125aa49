"""Market concentration: shares, Herfindahl-Hirschman index (HHI), concentration ratios CR1 and CR3.

Definitions (for producers i = 1..n with non-negative quantities x_i and total X = Σ x_i):

* share                 s_i = x_i / X
* HHI, 0–1 convention   HHI = Σ_i s_i²                       (1/n ≤ HHI ≤ 1; 1 = monopoly)
* HHI, 0–10,000         HHI_pts = Σ_i (100 · s_i)² = 10,000 · HHI   (shares in percent; the convention of
  the U.S. DOJ/FTC Horizontal Merger Guidelines, where 1,500 and 2,500 bound "moderately" and "highly"
  concentrated markets)
* CR_k                  sum of the k largest shares (CR1 = largest share, CR3 = three largest)

Herfindahl (1950), *Concentration in the steel industry*, PhD thesis, Columbia University; Hirschman (1945),
*National power and the structure of foreign trade*. Every function here is invariant to the unit of x
(tonnes, kg, USD): only shares enter.

:func:`concentration` applies these to critmin's data, for any commodity × stage × year, from production
(one USGS MCS edition, or World Mining Data) or from trade (exports by country, CEPII BACI).
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
    cached_production,
    cached_trade,
    format_shares,
    store_tables,
    warn_missing,
)

__all__ = [
    "concentration",
    "concentration_frame",
    "cr",
    "cr1",
    "cr3",
    "hhi",
    "shares",
]

HHIScale = Literal["fraction", "points"]
Others = Literal["spread", "single", "drop"]


def _values(values: ArrayLike) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size == 0:
        raise MissingInputError("no quantities given: concentration is undefined")
    if np.isnan(arr).any():
        raise MissingInputError(
            f"{int(np.isnan(arr).sum())} missing quantity(ies): drop them or fill them explicitly"
        )
    if (arr < 0).any():
        raise ValueError("quantities must be non-negative")
    return arr


def shares(values: ArrayLike) -> np.ndarray:
    """Shares ``s_i = x_i / Σ x`` of non-negative quantities (any unit).

    Raises :class:`MissingInputError` for an empty input, a NaN, or a zero total.
    """
    arr = _values(values)
    total = arr.sum()
    if total <= 0:
        raise MissingInputError("total quantity is zero: shares are undefined")
    return arr / total


def hhi(values: ArrayLike, scale: HHIScale = "fraction") -> float:
    """Herfindahl-Hirschman index of quantities or shares.

    ``HHI = Σ s_i²`` with ``s_i = x_i / Σ x``. ``scale="fraction"`` gives the 0–1 convention (monopoly = 1,
    n equal producers = 1/n); ``scale="points"`` gives the 0–10,000 convention (shares in percent,
    monopoly = 10,000). Quantities need not be normalised: the index depends on shares only.

    >>> hhi([30, 30, 20, 20], scale="points")  # DOJ/FTC example: four firms with 30, 30, 20, 20 %
    2600.0
    """
    s = shares(values)
    value = float(np.sum(s * s))
    if scale == "points":
        return value * 10_000.0
    if scale != "fraction":
        raise ValueError(f"unknown HHI scale {scale!r}; use 'fraction' (0–1) or 'points' (0–10,000)")
    return value


def cr(values: ArrayLike, k: int) -> float:
    """Concentration ratio CR_k: the sum of the ``k`` largest shares (0–1)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    s = np.sort(shares(values))[::-1]
    return float(s[:k].sum())


def cr1(values: ArrayLike) -> float:
    """CR1, the largest share (0–1)."""
    return cr(values, 1)


def cr3(values: ArrayLike) -> float:
    """CR3, the sum of the three largest shares (0–1)."""
    return cr(values, 3)


def concentration_frame(
    frame: pd.DataFrame,
    by: Sequence[str],
    country: str = "iso3",
    value: str = "value",
    others: Others = "spread",
    carry: Sequence[str] = (),
) -> pd.DataFrame:
    """HHI, CR1, CR3 and shares for every group of ``frame`` (one row per group), vectorised.

    ``carry`` columns are passed through: the distinct values of each group joined with `` | ``.

    ``frame`` holds one row per (group, producer). Rows whose ``country`` is missing are residuals such as
    USGS "Other countries"; ``others`` says how they count:

    * ``"spread"`` (default): in the total but not in Σ s² (the residual is many small producers, so the
      HHI is a lower bound);
    * ``"single"``: as one producer (an upper bound);
    * ``"drop"``: ignored (shares of the named producers only).

    Rows with a missing ``value`` (USGS "W", withheld) cannot have a share: they are left out, counted in
    ``n_missing`` and named in ``missing``, and a :class:`MissingInputWarning` is emitted; a group whose
    every value is missing gets NaN results.

    Returns the ``by`` columns and: n_producers, total, others_share, n_missing, missing, hhi (0–1),
    hhi_points (0–10,000), cr1, cr3, top1, top1_share, top3 (``;``-joined), shares (dict country → share).
    """
    if others not in ("spread", "single", "drop"):
        raise ValueError(f"unknown others policy {others!r}; use 'spread', 'single' or 'drop'")
    by = list(by)
    carry = [c for c in carry if c not in (*by, country, value)]
    df = frame[[*by, country, value, *carry]].copy()
    df[value] = pd.to_numeric(df[value], errors="coerce").astype(float)
    if (df[value] < 0).any():
        raise ValueError(f"negative {value} in concentration input")
    grouping = df.groupby(by, dropna=False, sort=True)
    df["_g"] = frame_groups = grouping.ngroup().to_numpy()
    keys = grouping.head(1).sort_values("_g")[[*by, "_g"]].set_index("_g")
    n = len(keys)
    df["_other"] = df[country].isna().to_numpy()
    df["_label"] = df[country].astype("string").fillna("Other countries").to_numpy()

    missing = df[df[value].isna()]
    missing_labels: list[list[str]] = [[] for _ in range(n)]
    for g_no, lab in zip(missing["_g"], missing["_label"], strict=True):
        missing_labels[g_no].append(str(lab))
    if not missing.empty:
        named = ", ".join(
            f"{lab} ({', '.join(str(v) for v in keys.loc[g].tolist())})"
            for g, lab in zip(missing["_g"].head(5), missing["_label"].head(5), strict=True)
        )
        warn_missing(
            f"{len(missing)} producer value(s) missing (e.g. withheld), left out of the shares: {named}"
            + (" ..." if len(missing) > 5 else "")
        )
    df = df[df[value].notna() & ((others != "drop") | ~df["_other"])]

    x = df[value].to_numpy(dtype=float)
    g = df["_g"].to_numpy()
    other = df["_other"].to_numpy(dtype=bool)
    total = np.bincount(g, weights=x, minlength=n)
    n_prod = np.bincount(g, weights=(~other & (x > 0)).astype(float), minlength=n).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total[g] > 0, x / total[g], np.nan)  # shares first: no under/overflow of x²
    resid = np.bincount(g, weights=np.where(other, share, 0.0), minlength=n)
    sq = np.bincount(g, weights=np.where(other & (others == "spread"), 0.0, share * share), minlength=n)
    hhi_v = np.where(total > 0, sq, np.nan)
    others_share = np.where(total > 0, resid, np.nan)

    # ranking within each group: by value, then label (residuals rank only under the "single" policy)
    rankable = ~other if others != "single" else np.ones(len(x), dtype=bool)
    order = np.lexsort((df["_label"].to_numpy(dtype=str), -x, g))
    order = order[rankable[order]]
    cr1 = np.full(n, np.nan)
    cr3 = np.zeros(n)
    top1 = np.full(n, None, dtype=object)
    top3: list[list[str]] = [[] for _ in range(n)]
    labels = df["_label"].to_numpy(dtype=object)
    for i in order:
        gi = g[i]
        if len(top3[gi]) < 3:
            if not top3[gi]:
                cr1[gi] = share[i]
                top1[gi] = labels[i]
            top3[gi].append(str(labels[i]))
            cr3[gi] += share[i]
    maps: list[dict[str, float]] = [{} for _ in range(n)]
    for gi, lab, sh in zip(g, labels, share, strict=True):
        maps[gi][str(lab)] = float(sh)
    empty = ~(total > 0)
    if empty.any():
        warn_missing(f"{int(empty.sum())} group(s) without production: concentration undefined (NaN)")
    cr3 = np.where(empty, np.nan, cr3)

    out = keys.reset_index(drop=True)
    out["n_producers"] = n_prod
    out["total"] = total
    out["others_share"] = others_share
    out["hhi"] = hhi_v
    out["hhi_points"] = hhi_v * 10_000.0
    out["cr1"] = cr1
    out["cr3"] = cr3
    out["top1"] = top1
    out["top1_share"] = cr1
    out["top3"] = [";".join(t) if t else None for t in top3]
    out["shares"] = pd.Series([format_shares(m) for m in maps], dtype=object)
    out["missing"] = [";".join(sorted(m)) for m in missing_labels]
    out["n_missing"] = [len(m) for m in missing_labels]
    for col in carry:
        joined: list[list[str]] = [[] for _ in range(n)]
        for g_no, v in zip(frame_groups, frame[col], strict=True):
            if not pd.isna(v) and str(v) not in joined[g_no]:
                joined[g_no].append(str(v))
        out[col] = [" | ".join(j) for j in joined]
    return out


def _row_notes(base: str, n_missing: int, missing: str, total: float) -> str:
    """The notes of one concentration row: the data basis, then what is missing in that row only."""
    parts = [base]
    if n_missing:
        parts.append(
            f"{n_missing} producer value(s) withheld or missing, left out of the shares: "
            + missing.replace(";", ", ")
        )
    if not total > 0:
        parts.append("no production: concentration undefined")
    return "; ".join(p for p in parts if p)


def _key(record: Mapping[Any, Any], by: Sequence[str]) -> tuple[object, ...]:
    """A hashable group key with every missing value as ``None`` (NaN/NA never equal themselves)."""
    return tuple(None if pd.isna(record[b]) else record[b] for b in by)


def _production_rows(
    commodities: list[str] | None, years: list[int] | None, source: str, edition: int | None
) -> pd.DataFrame:
    from critmin.query import NoDataError, check_edition, check_years

    table = store_tables()["usgs_mcs" if source == "usgs" else "wmd_production"]
    if commodities is None:
        commodities = sorted(str(c) for c in table["commodity"].dropna().unique())
    held = table.loc[table["commodity"].isin(commodities), "year"].unique()
    try:
        if source == "usgs":
            check_edition(edition, table["edition"].unique(), "USGS MCS editions")
        if len(commodities) > 1 and len(held):
            check_years(years, held, f"years of {source} production")
    except NoDataError as exc:
        raise MissingInputError(str(exc)) from exc
    frames = []
    for cid in commodities:
        try:
            df = cached_production(cid, source, edition)
            if years is not None and len(commodities) == 1:
                label = f"USGS MCS {int(df['edition'].iloc[0])}" if source == "usgs" else "World Mining Data"
                check_years(years, df["year"].unique(), f"years of {cid} in {label}")
        except NoDataError as exc:
            if len(commodities) == 1:
                raise MissingInputError(str(exc)) from exc
            continue
        if years is not None:
            df = df[df["year"].isin(years)]
        frames.append(df)
    if not frames or all(f.empty for f in frames):
        raise MissingInputError(f"no {source} production for {commodities} in year(s) {years}")
    return pd.concat(frames, ignore_index=True)


def _trade_rows(commodities: list[str] | None, years: list[int] | None, stage: str | None) -> pd.DataFrame:
    from critmin import vocab
    from critmin.query import NoDataError, check_years

    try:
        check_years(years, store_tables()["baci_trade"]["year"].unique(), "years of BACI trade")
    except NoDataError as exc:
        raise MissingInputError(str(exc)) from exc
    hs_map = pd.DataFrame(vocab.hs_codes())
    if commodities is not None:
        wanted = {c for cid in commodities for c in vocab.expand_commodity(cid)}
        hs_map = hs_map[hs_map["commodity"].isin(wanted)]
    if stage is not None:
        hs_map = hs_map[hs_map["stage"] == vocab.resolve_stage(stage)]
    if hs_map.empty:
        raise MissingInputError(f"no HS codes for {commodities} at stage {stage}")
    flows = cached_trade(tuple(hs_map["hs"]), tuple(years) if years is not None else None)
    if flows.empty:
        raise MissingInputError(f"no BACI trade for HS {list(hs_map['hs'])} in year(s) {years}")
    return flows.merge(hs_map[["hs", "commodity", "stage"]], on="hs", how="inner")


def concentration(
    commodity: str | Sequence[str] | None = None,
    year: int | Sequence[int] | None = None,
    *,
    source: Literal["usgs", "wmd", "trade"] = "usgs",
    edition: int | None = None,
    stage: str | None = None,
    measure: Literal["value", "quantity"] = "value",
    others: Others = "spread",
) -> pd.DataFrame:
    """Concentration of supply for commodities × stage × year, with the shares used beside the result.

    * ``source="usgs"``: USGS MCS production by country, one edition per commodity (``edition`` or the
      newest holding the commodity; editions are never mixed). The USGS world total is reported as
      ``world_total`` but shares are taken of the sum of the country rows and "Other countries".
    * ``source="wmd"``: World Mining Data production by country (2018–2024).
    * ``source="trade"``: exports by exporting country from CEPII BACI (HS92), summed over the HS codes
      mapped to the commodity at each stage, by value (``measure="value"``, kUSD; the default, since
      quantities are partly missing) or quantity (tonnes of product).

    ``others``: how USGS "Other countries" counts (see :func:`concentration_frame`). Returns one row per
    commodity × product × stage × year with: method (``hhi``), commodity, dataset, edition, product, stage,
    year, country (NA: the index is global), value (= hhi, 0–1), hhi, hhi_points (0–10,000), cr1, cr3, top1,
    top1_share, top3, n_producers, total, unit, world_total, others_share, n_missing, missing, shares, notes,
    source.
    """
    from critmin import vocab

    cids = None if commodity is None else [vocab.resolve_commodity(c) for c in as_list(commodity) or []]
    years = as_list(year)
    notes = ""
    if source in ("usgs", "wmd"):
        rows = _production_rows(cids, years, source, edition)
        if stage is not None:
            sid = vocab.resolve_stage(stage)
            rows = rows[rows["stage"] == sid]
            if rows.empty:
                raise MissingInputError(f"no {source} production at stage {sid!r} for {cids}")
        world = rows[rows["iso3"] == "WLD"]
        rows = rows[rows["iso3"] != "WLD"]
        rows = rows.assign(edition=rows["edition"].astype("Int64"), product=rows["product"].fillna(""))
        by = ["commodity", "dataset", "edition", "product", "stage", "year"]
        out = concentration_frame(
            rows, by, country="iso3", value="value", others=others, carry=["unit", "source"]
        )
        totals = {
            _key(r, by): r["value"]
            for r in world.assign(product=world["product"].fillna("")).to_dict("records")
        }
        out["world_total"] = [totals.get(_key(r, by), np.nan) for r in out[by].to_dict("records")]
        if source == "usgs":
            notes = f"USGS MCS production; 'Other countries' policy: {others}"
        else:
            notes = "World Mining Data production (WMD gives no world total)"
    elif source == "trade":
        flows = _trade_rows(cids, years, stage)
        col = "value_kusd" if measure == "value" else "quantity_t"
        if measure == "quantity" and flows[col].isna().any():
            warn_missing(
                f"{int(flows[col].isna().sum())} BACI flow(s) have no quantity; they are left out "
                "(use measure='value' to count them)"
            )
        agg = flows.groupby(["commodity", "stage", "year", "exporter"], dropna=False, as_index=False).agg(
            value=(col, lambda s: s.sum(min_count=1)),
            hs=("hs", lambda s: ";".join(sorted(set(s)))),
            source=("source", "first"),
        )
        agg = agg.assign(dataset="baci", edition=pd.array([pd.NA] * len(agg), dtype="Int64"))
        agg["product"] = agg.groupby(["commodity", "stage", "year"])["hs"].transform(
            lambda s: ";".join(sorted({h for v in s for h in v.split(";")}))
        )
        by = ["commodity", "dataset", "edition", "product", "stage", "year"]
        out = concentration_frame(agg, by, country="exporter", value="value", others=others, carry=["source"])
        out["unit"] = "kUSD" if measure == "value" else "t"
        out["world_total"] = out["total"]
        notes = f"exports by exporter, CEPII BACI HS92, by {measure}; product = HS codes"
    else:
        raise ValueError(f"unknown source {source!r}; use 'usgs', 'wmd' or 'trade'")

    out.insert(0, "method", "hhi")
    out["country"] = pd.NA
    out["value"] = out["hhi"]
    out["notes"] = [
        _row_notes(notes, k, m, t)
        for k, m, t in zip(out["n_missing"], out["missing"], out["total"], strict=True)
    ]
    cols = [
        "method", "commodity", "dataset", "edition", "product", "stage", "year", "country", "value",
        "hhi", "hhi_points", "cr1", "cr3", "top1", "top1_share", "top3", "n_producers", "total", "unit",
        "world_total", "others_share", "n_missing", "missing", "shares", "notes", "source",
    ]  # fmt: skip
    return out[cols].sort_values(["commodity", "product", "stage", "year"]).reset_index(drop=True)
