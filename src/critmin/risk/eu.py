"""EU criticality: supply risk (SR), economic importance (EI) and the criticality flag.

Blengini, G.A. et al. (2017), *Methodology for establishing the EU list of critical raw materials –
Guidelines*, European Commission / JRC, doi:10.2873/769526; applied in the 2020 and 2023 assessments
(Grohol & Veeh 2023, *Study on the Critical Raw Materials for the EU 2023*, doi:10.2873/725585).

Supply risk, per supply-chain stage (extraction, processing)::

    WGI_c            = (2.5 − mean of the six WGI estimates of country c) × 2        (0 = best … 10 = worst)
    HHI_WGI,t        = Σ_c S_c² · WGI_c · t_c                                       (S_c shares as fractions)
    SR_stage         = [HHI_GS · IR/2 + HHI_EUsourcing · (1 − IR/2)] · (1 − EoL_RIR) · SI_SR
    SR_stage (GSonly)= HHI_GS · (1 − EoL_RIR) · SI_SR      (EU-only: HHI_EUsourcing in place of HHI_GS)
    SR               = max over the assessed stages (the "bottleneck" stage)

with IR the EU import reliance, EoL_RIR the end-of-life recycling input rate (both as fractions), SI_SR the
substitution index for supply risk, and t_c the trade factor (1.1–1.5 for export restrictions, 0.8 for EU
free-trade partners in the EU-sourcing basis, 1 otherwise). Economic importance::

    EI = Σ_s (A_s · Q_s) / max_s(Q_s) · 10 · SI_EI

with A_s the share of the material's end uses in NACE sector s and Q_s the sector's value added (the maximum
taken over every sector of the value-added table given). A material is critical when SR ≥ 1.0 and EI ≥ 2.8.

Parameters (SI, IR, EoL-RIR, supply basis, t) are the EU 2023 ones from the store (``eu_parameters``,
``eu_trade_parameters``) and can be overridden by a file or keyword. Global supply shares come from critmin's
production data averaged over a window (the EU uses 5-year averages); EU sourcing = EU27 production plus
extra-EU imports by partner (BACI quantities). What is approximated is said in each row's ``notes``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from critmin.risk._common import (
    MissingInputError,
    as_list,
    cached_governance,
    cached_production,
    cached_trade,
    format_shares,
    require_columns,
    store_cached,
    warn_missing,
    year_window,
)

__all__ = [
    "EI_THRESHOLD",
    "SR_THRESHOLD",
    "bottleneck",
    "economic_importance",
    "eu_criticality",
    "eu_economic_importance",
    "eu_supply_risk",
    "hhi_wgi_t",
    "is_critical",
    "published_eu2023",
    "scale_wgi",
    "supply_risk",
]

SR_THRESHOLD = 1.0
EI_THRESHOLD = 2.8
#: EU stage → critmin stages whose production/trade stands for it.
EU_STAGES: dict[str, tuple[str, ...]] = {"extraction": ("mining",), "processing": ("refining", "metal")}
Basis = Literal["GS+EU", "GSonly", "EUonly"]


# ---------------------------------------------------------------------------------------------------
# the formulas


def scale_wgi(mean_estimate: ArrayLike) -> np.ndarray:
    """EU scaling of the WGI: ``(2.5 − mean) × 2``, from the −2.5…2.5 estimate to 0 (best) … 10 (worst).

    Estimates outside ±2.5 (rare) give values slightly outside 0–10; they are not clipped.
    """
    return (2.5 - np.asarray(mean_estimate, dtype=float)) * 2.0


def hhi_wgi_t(shares: ArrayLike, wgi_scaled: ArrayLike, t: ArrayLike | float = 1.0) -> float:
    """Governance- and trade-weighted concentration ``Σ_c S_c² · WGI_c · t_c`` (0–10 when t = 1).

    ``shares`` are fractions of the supply (they should sum to 1 over all suppliers; a residual that is
    not passed counts as many small suppliers), ``wgi_scaled`` on the EU 0–10 scale.
    """
    s = np.asarray(shares, dtype=float)
    w = np.asarray(wgi_scaled, dtype=float)
    tt = np.broadcast_to(np.asarray(t, dtype=float), s.shape)
    if s.shape != w.shape:
        raise ValueError("shares and wgi_scaled must have the same length")
    if np.isnan(s).any() or np.isnan(w).any() or np.isnan(tt).any():
        raise MissingInputError("a share, WGI or t value is missing: HHI_WGI,t undefined")
    return float(np.sum(s * s * w * tt))


def supply_risk(
    hhi_gs: ArrayLike | None,
    hhi_eu: ArrayLike | None,
    import_reliance: ArrayLike | None,
    eol_rir: ArrayLike,
    si_sr: ArrayLike,
    basis: Basis = "GS+EU",
) -> np.ndarray:
    """Supply risk of one stage (vectorised over arrays).

    ``basis="GS+EU"``: ``[HHI_GS · IR/2 + HHI_EU · (1 − IR/2)] · (1 − EoL_RIR) · SI_SR``;
    ``"GSonly"``: ``HHI_GS · (1 − EoL_RIR) · SI_SR``; ``"EUonly"``: ``HHI_EU · (1 − EoL_RIR) · SI_SR``.
    IR and EoL_RIR are fractions (0–1). A missing input needed by the basis raises
    :class:`MissingInputError`.
    """

    def arr(x: ArrayLike | None, name: str) -> np.ndarray:
        if x is None:
            raise MissingInputError(f"supply risk ({basis}) needs {name}")
        a = np.asarray(x, dtype=float)
        if np.isnan(a).any():
            raise MissingInputError(f"supply risk ({basis}) needs {name}, which is missing")
        return a

    tail = (1.0 - arr(eol_rir, "EoL-RIR")) * arr(si_sr, "SI_SR")
    if basis == "GSonly":
        return np.asarray(arr(hhi_gs, "HHI_WGI,t of global supply") * tail)
    if basis == "EUonly":
        return np.asarray(arr(hhi_eu, "HHI_WGI,t of EU sourcing") * tail)
    if basis != "GS+EU":
        raise ValueError(f"unknown supply basis {basis!r}")
    ir = arr(import_reliance, "import reliance IR")
    if ((ir < 0) | (ir > 1)).any():
        raise ValueError("import reliance must be a fraction between 0 and 1")
    gs = arr(hhi_gs, "HHI_WGI,t of global supply")
    eu = arr(hhi_eu, "HHI_WGI,t of EU sourcing")
    return np.asarray((gs * ir / 2.0 + eu * (1.0 - ir / 2.0)) * tail)


def bottleneck(sr_extraction: float | None, sr_processing: float | None) -> tuple[float, str]:
    """The reported SR: the higher of the stage SRs, and its stage (``extraction`` on a tie)."""
    e = np.nan if sr_extraction is None else float(sr_extraction)
    p = np.nan if sr_processing is None else float(sr_processing)
    if np.isnan(e) and np.isnan(p):
        raise MissingInputError("no stage supply risk to choose from")
    if np.isnan(p) or (not np.isnan(e) and e >= p):
        return e, "extraction"
    return p, "processing"


def economic_importance(
    shares: ArrayLike, value_added: ArrayLike, si_ei: float, max_value_added: float | None = None
) -> float:
    """``EI = Σ_s A_s · Q_s / max(Q) · 10 · SI_EI``.

    ``shares`` A_s (fractions of end uses per sector) and ``value_added`` Q_s align by position;
    ``max_value_added`` is the largest sector value added of the whole table (default: the largest Q_s
    given). The unit of Q cancels out.
    """
    a = np.asarray(shares, dtype=float)
    q = np.asarray(value_added, dtype=float)
    if a.shape != q.shape:
        raise ValueError("shares and value_added must have the same length")
    if np.isnan(a).any() or np.isnan(q).any() or si_ei is None or np.isnan(si_ei):
        raise MissingInputError("an end-use share, a sector value added or SI_EI is missing")
    top = float(np.max(q)) if max_value_added is None else float(max_value_added)
    if top <= 0:
        raise MissingInputError("largest sector value added is not positive")
    return float(np.sum(a * q) / top * 10.0 * float(si_ei))


def is_critical(
    sr: ArrayLike, ei: ArrayLike, sr_threshold: float = SR_THRESHOLD, ei_threshold: float = EI_THRESHOLD
) -> np.ndarray:
    """Criticality flag ``SR ≥ 1.0 and EI ≥ 2.8`` (thresholds of the EU method); False where NaN."""
    s, e = np.asarray(sr, dtype=float), np.asarray(ei, dtype=float)
    return np.asarray((s >= sr_threshold) & (e >= ei_threshold))


# ---------------------------------------------------------------------------------------------------
# parameters


@cache
def _published() -> pd.DataFrame:
    path = resources.files("critmin") / "risk" / "eu2023_published_results.csv"
    with path.open(encoding="utf-8") as fh:
        return pd.read_csv(fh)


def published_eu2023() -> pd.DataFrame:
    """The EU 2023 assessment's own results: material, commodity, sr, ei, sr_stage, sr_extraction,
    sr_processing, notes, source (Grohol & Veeh 2023, via the CritMAT machine-readable copy; stage values
    of rows with shifted columns in that copy are left blank)."""
    return _published().copy()


def _read_table(table: pd.DataFrame | str | Path, what: str) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table.copy()
    path = Path(table)
    if not path.exists():
        raise FileNotFoundError(f"{what} file not found: {path}")
    return pd.read_csv(path)


def _parameters(override: pd.DataFrame | str | Path | None) -> pd.DataFrame:
    """EU 2023 parameters from the store, updated by ``override`` rows (matched on ``material``)."""
    import critmin

    params = critmin.eu_parameters()
    if override is None:
        return params
    extra = _read_table(override, "EU parameters")
    require_columns(extra, ["material"], "EU parameters override")
    base = params.set_index("material")
    for rec in extra.to_dict("records"):
        mat = str(rec.pop("material"))
        if mat not in base.index:
            base.loc[mat] = pd.Series(dtype=object)
        for col, val in rec.items():
            if col not in base.columns:
                base[col] = pd.Series(dtype=object)
            if val is not None and not (isinstance(val, float) and np.isnan(val)):
                base.loc[mat, str(col)] = val
        if not isinstance(base.loc[mat, "commodity"], str):
            base.loc[mat, "commodity"] = _commodity_or_none(mat)
        base.loc[mat, "source"] = "user override of EU 2023 parameters"
    return base.reset_index()


def _commodity_or_none(name: str) -> str | None:
    from critmin import vocab

    try:
        return vocab.resolve_commodity(name)
    except vocab.UnknownNameError:
        return None


def _trade_factors(override: pd.DataFrame | str | Path | None) -> pd.DataFrame:
    """EU 2023 trade factors t, with ``override`` rows replacing those of the same material, country,
    stage and scope."""
    import critmin

    tf = critmin.eu_trade_parameters()
    if override is None:
        return tf
    extra = _read_table(override, "EU trade parameters")
    require_columns(extra, ["material", "iso3", "t", "stage", "scope"], "EU trade parameters override")
    keys = ["material", "iso3", "stage", "scope"]
    old = tf.set_index(keys)
    new = extra.set_index(keys)
    kept = old[~old.index.isin(new.index)].reset_index()
    return pd.concat([kept, extra.assign(source="user override")], ignore_index=True)


def _members_of(cid: str) -> set[str]:
    """Commodity ids inside group ``cid`` (empty for an element or mineral)."""
    from critmin import vocab

    return set(vocab.expand_commodity(cid)) - {cid}


def _from_members(rec: Mapping[str, Any], params: pd.DataFrame) -> bool:
    """True for an EU group material (HREE, LREE, PGM) without its own SI_SR: the EU 2023 results give such
    a group the mean of its members' values, and so does critmin."""
    cid = rec.get("commodity")
    if not isinstance(cid, str) or not _members_of(cid):
        return False
    return "si_sr" not in params.columns or bool(np.isnan(_num(rec.get("si_sr"))))


def _with_members(rows: pd.DataFrame, params: pd.DataFrame) -> pd.DataFrame:
    """``rows`` plus the member materials of every group among them that is computed from its members."""
    extra: set[str] = set()
    for raw in rows.to_dict("records"):
        rec = {str(k): v for k, v in raw.items()}
        if _from_members(rec, params):
            extra |= _members_of(str(rec["commodity"]))
    members = params[params["commodity"].isin(extra) & ~params["material"].isin(rows["material"])]
    return pd.concat([rows, members], ignore_index=True)


def _materials_for(cid: str, params: pd.DataFrame) -> pd.DataFrame:
    """EU materials standing for commodity ``cid``: the direct match, else the group materials whose members
    all belong to ``cid`` (LREE and HREE for rare earths), else the members' own rows; a group without its
    own SI_SR comes with its members, from whose values its own are derived."""
    direct = params[params["commodity"] == cid]
    if direct.empty:
        mine = _members_of(cid) | {cid}
        groups = [
            c for c in params["commodity"].dropna().unique() if (m := _members_of(str(c))) and m <= mine
        ]
        direct = params[params["commodity"].isin(groups)]
        if direct.empty:
            direct = params[params["commodity"].isin(mine - {cid})]
    return _with_members(direct.reset_index(drop=True), params)


# ---------------------------------------------------------------------------------------------------
# supply shares from critmin's data


def _stage_production(
    cid: str, eu_stage: str, source: str, edition: int | None
) -> tuple[pd.DataFrame, str] | None:
    """Production rows of ``cid`` at an EU stage, from WMD or USGS (auto: WMD first)."""
    from critmin.query import NoDataError

    wanted = EU_STAGES[eu_stage]
    order = {"auto": ["wmd", "usgs"], "wmd": ["wmd"], "usgs": ["usgs"]}[source]
    for src in order:
        try:
            df = cached_production(cid, src, edition if src == "usgs" else None)
        except NoDataError:
            continue
        df = df[df["stage"].isin(wanted)]
        if not df.empty and df["value"].notna().any():
            return df, src
    return None


@dataclass(frozen=True)
class _Supply:
    """Global supply at one EU stage: quantity (or share) per country and where it comes from."""

    quantities: pd.Series  # ISO3 or "Other countries" (in the total only) → quantity or percent
    window: list[int]
    dataset: str  # "wmd", "usgs" or "stage_shares"
    commodity: str  # the critmin commodity whose data these are
    label: str  # what the data are, for notes and proxy labels
    source: str  # citation of the data
    in_tonnes: bool  # False for stage shares: EU27 production is then not known in tonnes


def _data_chain(cid: str) -> list[str]:
    """``cid``, then the groups it belongs to, nearest first (dysprosium, heavy-rare-earths, rare-earths)."""
    from critmin import vocab

    def ancestors(c: str) -> set[str]:
        seen: set[str] = set()
        todo = list(vocab.commodity(c).groups)
        while todo:
            g = todo.pop()
            if g not in seen:
                seen.add(g)
                todo.extend(vocab.commodity(g).groups)
        return seen

    return [cid, *sorted(ancestors(cid), key=lambda g: (-len(ancestors(g)), g))]


@store_cached
def _stage_share_rows(commodity: str) -> pd.DataFrame:
    """``critmin.stage_shares(commodity)`` (projections left out), memoised per store file."""
    from critmin.query import stage_shares

    return stage_shares(commodity)


def _share_supply(
    cid: str,
    eu_stage: str,
    years: int | Sequence[int] | tuple[int, int] | None,
    max_t: float,
    tolerance: float,
    what: str,
) -> _Supply | None:
    """Global supply from published stage shares of ``cid`` (one year: the latest in the window).

    Shares of several sources in that year that disagree are not chosen between (None, warned). Shares
    that leave part of the world unlisted count the rest as many small suppliers when its largest possible
    effect on HHI_WGI,t (residual² · 10 · max t) is within ``tolerance``; otherwise they are not used.
    """
    rows = _stage_share_rows(cid)
    rows = rows[rows["stage"].isin(EU_STAGES[eu_stage])]
    if rows.empty:
        return None
    try:
        year = year_window(years, rows["year"].unique(), 1)[-1]
    except MissingInputError:
        return None
    part = rows[rows["year"] == year]
    details = sorted(set(part["stage_detail"]))
    if len(details) > 1:
        warn_missing(
            f"{what}: {cid} stage shares of {year} from different sources disagree ({'; '.join(details)}); "
            "critmin does not choose between them, so they are not used",
            topic="stage shares from different sources disagree; not used",
            subject=f"{what}: {cid} {year}",
        )
        return None
    shares = part.assign(_k=part["iso3"].astype("string").fillna("Other countries")).groupby("_k")[
        "share_pct"
    ]
    quantities = shares.sum().astype(float)
    unlisted = max(100.0 - float(quantities.sum()), 0.0)
    bound = (unlisted / 100.0) ** 2 * 10.0 * max_t
    if bound > tolerance:
        warn_missing(
            f"{what}: {cid} stage shares of {year} ({details[0]}) list {100 - unlisted:.0f} % of the world; the "
            f"unlisted {unlisted:.0f} % could move HHI_WGI,t by up to {bound:.2f} (> tolerance {tolerance}), so "
            "they are not used",
            topic="stage shares listing too little of the world; not used",
            subject=f"{what}: {cid} {year}",
        )
        return None
    if unlisted > 0:
        quantities["Other countries"] = float(quantities.get("Other countries", 0.0)) + unlisted
    label = f"stage shares '{details[0]}' {year}"
    sources = list(dict.fromkeys(part["source"].astype(str)))
    if any("secondary" in s for s in sources):
        label += " (secondary report)"
    return _Supply(quantities, [int(year)], "stage_shares", cid, label, " | ".join(sources), in_tonnes=False)


def _stage_supply(
    cid: str,
    eu_stage: str,
    years: int | Sequence[int] | tuple[int, int] | None,
    source: str,
    edition: int | None,
    max_t: float,
    tolerance: float,
    what: str,
    notes: list[str],
) -> _Supply | None:
    """Global supply of ``cid`` at an EU stage: its own production (World Mining Data, else USGS MCS,
    averaged over the window), else its own published stage shares (``source="auto"`` only), else the same
    for the groups it belongs to, nearest first (a proxy, which the caller labels)."""
    for c in _data_chain(cid):
        found = _stage_production(c, eu_stage, source, edition)
        if found is not None:
            prod, dataset = found
            window = year_window(years, prod["year"].unique(), 5)
            if dataset == "usgs":
                label = f"USGS MCS {int(prod['edition'].iloc[0])} production ({len(window)}-year mean)"
            else:
                label = f"World Mining Data production ({len(window)}-year mean)"
            quantities = _average(prod[prod["iso3"] != "WLD"], window, notes=notes)
            cite = str(prod["source"].dropna().iloc[0]) if prod["source"].notna().any() else dataset
            return _Supply(quantities, window, dataset, c, label, cite, in_tonnes=True)
        if source == "auto":
            shares = _share_supply(c, eu_stage, years, max_t, tolerance, what)
            if shares is not None:
                return shares
    return None


def _average(
    rows: pd.DataFrame, years: list[int], key: str = "iso3", notes: list[str] | None = None
) -> pd.Series:
    """Mean quantity per country over ``years`` (a country without a row in a year counts 0 that year);
    withheld values are left out, warned and said in ``notes``."""
    sub = rows[rows["year"].isin(years)]
    if sub["value"].isna().any():
        miss = sub[sub["value"].isna()]
        listed = ", ".join(f"{c} {y}" for c, y in zip(miss["country"], miss["year"], strict=True))
        warn_missing(
            f"production withheld or missing, left out of the shares: {listed}",
            topic="production withheld or missing, left out of the shares",
            subject=f"{rows['commodity'].iloc[0]}: {listed}" if "commodity" in rows else listed,
            notes=notes,
        )
        sub = sub[sub["value"].notna()]
    label = sub[key].astype("string").fillna("Other countries")
    n = len(set(sub["year"]))
    return sub.assign(_k=label).groupby("_k")["value"].sum() / max(n, 1)


def _wgi_scaled(years: list[int], proxies: Mapping[str, str]) -> tuple[pd.Series, str]:
    """Scaled WGI per ISO3 averaged over ``years`` (clipped to the WGI years; nearest year otherwise)."""

    gov = cached_governance()
    have = sorted(int(y) for y in gov["year"].unique())
    use = [y for y in years if y in have]
    if not use:
        use = [min(have, key=lambda h: (abs(h - np.mean(years)), -h))]
    note = f"WGI {use[0]}–{use[-1]}" if len(use) > 1 else f"WGI {use[0]}"
    if use != list(years):
        note += f" (window {years[0]}–{years[-1]}; WGI 2024 update covers {have[0]}–{have[-1]})"
    mean = gov[gov["year"].isin(use)].groupby("iso3")["mean_estimate"].mean()
    scaled = pd.Series(scale_wgi(mean.to_numpy()), index=mean.index).dropna()
    for country, proxy in proxies.items():
        if proxy in scaled.index:
            scaled[country] = scaled[proxy]
            note += f"; WGI of {country} proxied by {proxy}"
    return scaled, note


def _hhi_wgi_t_of(
    supply: pd.Series,
    wgi: pd.Series,
    t: Mapping[str, float],
    tolerance: float,
    what: str,
    notes: list[str] | None = None,
) -> tuple[float, dict[str, Any]]:
    """HHI_WGI,t of a supply (country → quantity; key ``Other countries`` = residual, in the total only);
    suppliers without WGI are warned and said in ``notes``."""
    total = float(supply.sum())
    if total <= 0:
        raise MissingInputError(f"{what}: total supply is zero")
    named = supply.drop(labels=["Other countries"], errors="ignore")
    s = named / total
    w = wgi.reindex(s.index)
    no_wgi = s[w.isna()]
    bound = float((no_wgi**2).sum() * 10.0 * max([*t.values(), 1.0]))
    detail: dict[str, Any] = {
        "shares": format_shares({str(k): float(v) for k, v in s.items()}),
        "others_share": float(1.0 - s.sum()),
        "wgi": {k: round(float(v), 4) for k, v in w.dropna().items()},
        "t": {k: v for k, v in t.items() if k in s.index and v != 1.0},
        "no_wgi": format_shares({str(k): float(v) for k, v in no_wgi.items()}),
        "no_wgi_bound": bound,
    }
    if len(no_wgi):
        listed = ", ".join(f"{k} ({v:.2%})" for k, v in no_wgi.sort_values(ascending=False).head(6).items())
        if bound > tolerance:
            warn_missing(
                f"{what}: no WGI for {listed}; they could move HHI_WGI,t by up to {bound:.3f} "
                f"(> tolerance {tolerance}), so it is left undefined (give wgi_proxies to fill them)",
                topic="suppliers without WGI: HHI_WGI,t left undefined (give --wgi-proxy)",
                subject=f"{what}: {listed}",
                notes=notes,
            )
            return float("nan"), detail
        warn_missing(
            f"{what}: no WGI for {listed}; left out (they move HHI_WGI,t by at most {bound:.4f})",
            topic="suppliers without WGI left out of HHI_WGI,t (within tolerance)",
            subject=f"{what}: {listed}",
            notes=notes,
        )
    ok = w.notna()
    tt = np.array([t.get(k, 1.0) for k in s.index[ok]], dtype=float)
    return hhi_wgi_t(s[ok].to_numpy(), w[ok].to_numpy(), tt), detail


def _eu_sourcing(
    cid: str, eu_stage: str, eu_production: pd.Series, years: list[int], notes: list[str] | None = None
) -> tuple[pd.Series, float, str] | None:
    """EU sourcing (EU27 production + extra-EU imports by partner, mean over the window's BACI years) and
    the import reliance computed from the same numbers; flows without a quantity are said in ``notes``."""
    from critmin import vocab

    codes = [
        r["hs"]
        for r in vocab.hs_codes()
        if r["commodity"] in set(vocab.expand_commodity(cid)) and r["stage"] in EU_STAGES[eu_stage]
    ]
    if not codes:
        return None
    eu = set(vocab.eu27())
    flows = cached_trade(tuple(codes), tuple(years))
    if flows.empty:
        return None
    n_years = len(set(flows["year"]))
    imports = flows[flows["importer"].isin(eu) & ~flows["exporter"].isin(eu)]
    exports = flows[flows["exporter"].isin(eu) & ~flows["importer"].isin(eu)]
    if imports["quantity_t"].isna().any():
        n_flows = int(imports["quantity_t"].isna().sum())
        warn_missing(
            f"{n_flows} extra-EU import flow(s) of HS {codes} have no quantity; left out of EU sourcing",
            topic="extra-EU import flows without a quantity, left out of EU sourcing",
            subject=f"{cid} {eu_stage}: {n_flows} of HS {', '.join(codes)}",
            notes=notes,
        )
    by_partner = (
        imports.assign(exporter=imports["exporter"].fillna("Other countries"))
        .groupby("exporter")["quantity_t"]
        .sum()
        / n_years
    )
    sourcing = pd.concat([eu_production, by_partner]).groupby(level=0).sum()
    sourcing = sourcing[sourcing > 0]
    imp, exp = float(by_partner.sum()), float(exports["quantity_t"].sum() / n_years)
    prod = float(eu_production.sum())
    consumption = prod + imp - exp
    ir = (imp - exp) / consumption if consumption > 0 else float("nan")
    note = f"EU sourcing: EU27 production + extra-EU imports of HS {';'.join(codes)} (BACI quantity)"
    return sourcing, ir, note


def eu_supply_risk(
    commodity: str | Sequence[str] | None = None,
    *,
    material: str | None = None,
    years: int | Sequence[int] | tuple[int, int] | None = None,
    source: Literal["auto", "wmd", "usgs"] = "auto",
    edition: int | None = None,
    stages: Sequence[str] = ("extraction", "processing"),
    eu_sourcing: bool = True,
    parameters: pd.DataFrame | str | Path | None = None,
    trade_parameters: pd.DataFrame | str | Path | None = None,
    import_reliance: float | Mapping[str, float] | Literal["published", "computed"] = "published",
    eol_rir: float | None = None,
    si_sr: float | None = None,
    wgi_proxies: Mapping[str, str] | None = None,
    wgi_tolerance: float = 0.01,
) -> pd.DataFrame:
    """EU supply risk per EU material and stage from critmin's data, with every input beside the result.

    ``commodity``: critmin ids or names (default: every commodity with EU 2023 parameters); ``material``
    picks one EU material by its EU name (``"LREE"``). ``years``: averaging window (default: the 5 latest
    years of the production source). ``source``: production for global supply (``auto`` = World Mining Data
    where it has the stage, else USGS MCS). ``parameters``/``trade_parameters``: files or DataFrames that
    override the EU 2023 values (same columns as ``eu_parameters``/``eu_trade_parameters``); ``import_reliance``
    (fraction, or per stage ``{"extraction": .., "processing": ..}``, or ``"computed"`` from BACI and
    production), ``eol_rir`` (fraction) and ``si_sr`` override by keyword. ``wgi_proxies`` fills countries
    without WGI (e.g. ``{"NCL": "FRA"}``); suppliers without WGI whose weight could move HHI_WGI,t by more
    than ``wgi_tolerance`` make it NaN.

    Returns one row per material × stage: method (``eu_sr``), commodity, material, stage, country (NA), year
    (last of the window), years, value (= sr), sr, bottleneck (True on the reported stage), supply_basis,
    supply_basis_published, hhi_wgi_t_gs, hhi_wgi_t_eu, import_reliance, import_reliance_computed, eol_rir,
    si_sr, gs_shares, eu_shares, wgi_scaled, t_factors, no_wgi, production_dataset, wgi_years, proxy (how a
    group's data stand in for the material, or ""), members ({member: SR} on group rows), notes, source.
    A group without its own SI_SR (HREE, LREE, PGM) comes with its members' rows and its own rows: per stage
    and ``stage = "mean of members"`` (its reported SR), the means of the members' values.
    """
    from critmin import vocab

    params = _parameters(parameters)
    tf = _trade_factors(trade_parameters)
    if material is not None:
        chosen = params[params["material"].str.lower() == material.lower()]
        if chosen.empty:
            raise MissingInputError(f"no EU parameters for material {material!r}")
        if commodity is None:
            commodity = [str(chosen["commodity"].iloc[0])] if chosen["commodity"].notna().any() else None
        if commodity is None:
            raise MissingInputError(f"EU material {material!r} has no critmin commodity to take data from")
        plan = [(vocab.resolve_commodity(str(c)), chosen) for c in as_list(commodity) or []]
    else:
        cids = (
            [vocab.resolve_commodity(c) for c in as_list(commodity) or []]
            if commodity is not None
            else sorted(params["commodity"].dropna().unique())
        )
        plan = [(cid, _materials_for(cid, params)) for cid in cids]
    tasks: dict[str, tuple[str, dict[str, Any]]] = {}  # material → (commodity whose data it uses, parameters)
    for cid, mats in plan:
        if mats.empty:
            if si_sr is None or eol_rir is None:
                raise MissingInputError(
                    f"no EU 2023 parameters for {cid}: pass parameters=..., or si_sr and eol_rir (and "
                    "import_reliance) by keyword"
                )
            mats = pd.DataFrame([{"material": cid, "commodity": cid, "stages_assessed": "E+P"}])
        if si_sr is None:
            mats = _with_members(mats, params)
        inside = set(vocab.expand_commodity(cid))
        for raw in mats.to_dict("records"):
            rec = {str(k): v for k, v in raw.items()}
            own = rec.get("commodity")
            tasks.setdefault(
                str(rec["material"]), (own if isinstance(own, str) and own in inside else cid, rec)
            )
    computed = {
        mat: _material_rows(
            data_cid,
            rec,
            tf,
            years,
            source,
            edition,
            stages,
            eu_sourcing,
            import_reliance,
            eol_rir,
            si_sr,
            dict(wgi_proxies or {}),
            wgi_tolerance,
        )
        for mat, (data_cid, rec) in tasks.items()
        if si_sr is not None or not _from_members(rec, params)
    }
    rows: list[dict[str, Any]] = []
    for mat, (_, rec) in tasks.items():
        if mat in computed:
            rows.extend(computed[mat])
        else:
            members = params.loc[params["commodity"].isin(_members_of(str(rec["commodity"]))), "material"]
            rows.extend(_group_rows(rec, [str(m) for m in members], computed, stages))
    if not rows:
        raise MissingInputError(f"no supply risk could be computed for {commodity}")
    out = pd.DataFrame(rows)
    return out


def _group_rows(
    rec: Mapping[str, Any],
    members: Sequence[str],
    computed: Mapping[str, list[dict[str, Any]]],
    stages: Sequence[str],
) -> list[dict[str, Any]]:
    """Rows of an EU group material without its own SI_SR (HREE, LREE, PGM): per stage the mean of its
    members' stage SRs, and as its reported SR (``stage = "mean of members"``, the bottleneck row) the mean
    of the members' reported SRs. The EU 2023 published values of the three groups are these means of the
    published member values (HREE 5.1, LREE 3.7, PGM 2.7; tested), so critmin derives them the same way.
    A member without an SR makes the group's value undefined, never an average of the rest."""
    mat, cid = str(rec["material"]), str(rec["commodity"])
    assessed = str(rec.get("stages_assessed") or "E+P")
    rows_of = {m: computed.get(m, []) for m in members}

    def mean(values: Mapping[str, float], what: str, notes: list[str]) -> float:
        missing = sorted(m for m, v in values.items() if np.isnan(v))
        if missing:
            warn_missing(
                f"{mat} {what}: no SR for member(s) {', '.join(missing)}; the group's mean is left undefined",
                topic="EU group material: a member has no SR; group SR left undefined",
                subject=f"{mat} {what}: {', '.join(missing)}",
                notes=notes,
            )
            return float("nan")
        return float(np.mean(list(values.values()))) if values else float("nan")

    def sr_of(m: str, pick: Any) -> float:
        hit = [r["sr"] for r in rows_of[m] if pick(r)]
        return float(hit[0]) if hit else float("nan")

    years = [int(r["year"]) for rs in rows_of.values() for r in rs]
    spans = sorted({str(r["years"]) for rs in rows_of.values() for r in rs})
    proxied = sorted(m for m, rs in rows_of.items() if any(r["proxy"] for r in rs))
    datasets = sorted({str(r["production_dataset"]) for rs in rows_of.values() for r in rs})
    out: list[dict[str, Any]] = []
    labels = [s for s in stages if s[0].upper() in assessed.upper()] + ["mean of members"]
    for stage in labels:
        notes: list[str] = []
        if stage == "mean of members":
            values = {m: sr_of(m, lambda r: r["bottleneck"]) for m in members}
            notes.append(
                f"SR of {mat} = mean of its {len(members)} members' reported (bottleneck) SRs, as in EU 2023"
            )
        else:
            values = {m: sr_of(m, lambda r, s=stage: r["stage"] == s) for m in members}
            notes.append(f"{stage} SR of {mat} = mean of its {len(members)} members' {stage} SRs")
        sr = mean(values, stage, notes)
        if proxied:
            notes.append(f"members with proxied supply: {', '.join(proxied)} (see their rows)")
        out.append(
            {
                "method": "eu_sr",
                "commodity": cid,
                "material": mat,
                "stage": stage,
                "country": pd.NA,
                "year": max(years) if years else pd.NA,
                "years": "; ".join(spans),
                "value": sr,
                "sr": sr,
                "bottleneck": stage == "mean of members" and not np.isnan(sr),
                "supply_basis": "mean of members",
                "supply_basis_published": str(rec.get(f"supply_basis_{stage}") or ""),
                "hhi_wgi_t_gs": float("nan"),
                "hhi_wgi_t_eu": float("nan"),
                "import_reliance": float("nan"),
                "import_reliance_computed": float("nan"),
                "eol_rir": float("nan"),
                "si_sr": float("nan"),
                "gs_shares": {},
                "eu_shares": {},
                "wgi_scaled": {},
                "t_factors": {"global_supply": {}, "eu_sourcing": {}},
                "no_wgi": {},
                "production_dataset": "; ".join(datasets),
                "wgi_years": "",
                "proxy": "",
                "members": {m: (None if np.isnan(v) else round(v, 6)) for m, v in values.items()},
                "notes": "; ".join(notes),
                "source": "critmin: mean of the members' rows (EU 2023 practice for HREE, LREE and PGM)",
            }
        )
    return out


def _num(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return float("nan")
    return v


def _material_rows(
    cid: str,
    rec: Mapping[str, Any],
    tf: pd.DataFrame,
    years: int | Sequence[int] | tuple[int, int] | None,
    source: str,
    edition: int | None,
    stages: Sequence[str],
    eu_sourcing: bool,
    import_reliance: float | Mapping[str, float] | str,
    eol_rir: float | None,
    si_sr: float | None,
    proxies: dict[str, str],
    tolerance: float,
) -> list[dict[str, Any]]:
    from critmin import vocab

    mat = str(rec["material"])
    assessed = str(rec.get("stages_assessed") or "E+P")
    eu_stages = [s for s in stages if s[0].upper() in assessed.upper()]
    eol = eol_rir if eol_rir is not None else _num(rec.get("eol_rir_pct")) / 100.0
    si = si_sr if si_sr is not None else _num(rec.get("si_sr"))
    own = rec.get("commodity") if isinstance(rec.get("commodity"), str) else cid
    out: list[dict[str, Any]] = []
    for stage in eu_stages:
        notes: list[str] = []
        t_stage = tf[(tf["material"] == mat) & (tf["stage"] == stage)]
        max_t = float(max([*t_stage["t"].astype(float), 1.0]))
        found = _stage_supply(cid, stage, years, source, edition, max_t, tolerance, f"{mat} {stage}", notes)
        if found is None:
            warn_missing(
                f"{mat} ({cid}): no production data or stage shares at the {stage} stage; stage skipped",
                topic="no production data at a stage the EU assessed; stage skipped",
                subject=f"{mat} {stage}",
            )
            continue
        supply, window, dataset = found.quantities, found.window, found.dataset
        span = f"{window[0]}–{window[-1]}" if len(window) > 1 else str(window[0])
        proxy = ""
        if found.commodity != own:
            proxy = f"proxy: {mat} {stage} supply from {found.commodity} {found.label}, {span}"
            notes.append(proxy)
        else:
            notes.append(found.label)
        wgi, wgi_note = _wgi_scaled(window, proxies)
        t_gs = dict(
            zip(
                t_stage.loc[t_stage["scope"] == "global_supply", "iso3"],
                t_stage.loc[t_stage["scope"] == "global_supply", "t"],
                strict=True,
            )
        )
        t_eu = dict(
            zip(
                t_stage.loc[t_stage["scope"] == "eu_sourcing", "iso3"],
                t_stage.loc[t_stage["scope"] == "eu_sourcing", "t"],
                strict=True,
            )
        )
        hhi_gs, gs_detail = _hhi_wgi_t_of(
            supply, wgi, t_gs, tolerance, f"{mat} {stage} global supply", notes=notes
        )

        published_basis = str(rec.get(f"supply_basis_{stage}") or "")
        published_basis = {"EU": "EUonly"}.get(published_basis, published_basis)
        ir_pub = _num(rec.get(f"import_reliance_{stage}_pct")) / 100.0
        hhi_eu, ir_comp = float("nan"), float("nan")
        eu_detail: dict[str, Any] = {}
        if eu_sourcing and published_basis != "GSonly":
            eu_prod = supply[supply.index.isin(vocab.eu27())]
            src = None
            if not found.in_tonnes and len(eu_prod):
                notes.append("EU sourcing unavailable (EU27 output known only as a share, not in tonnes)")
            else:
                if not found.in_tonnes:
                    eu_prod = pd.Series(dtype=float)
                    notes.append("no EU27 output in the stage shares")
                src = _eu_sourcing(found.commodity, stage, eu_prod, window, notes=notes)
                if src is None:
                    notes.append("EU sourcing unavailable (no HS code or trade for this stage)")
            if src is not None:
                sourcing, ir_comp, eu_note = src
                if not found.in_tonnes:
                    eu_note = eu_note.replace("EU27 production + extra-EU imports", "extra-EU imports")
                notes.append(
                    eu_note if found.commodity == own else f"{eu_note} [proxy: {found.commodity} trade]"
                )
                hhi_eu, eu_detail = _hhi_wgi_t_of(
                    sourcing, wgi, t_eu, tolerance, f"{mat} {stage} EU sourcing", notes=notes
                )
        if isinstance(import_reliance, Mapping):
            ir = float(import_reliance.get(stage, np.nan))
        elif import_reliance == "computed":
            ir = ir_comp
        elif import_reliance == "published":
            ir = ir_pub
        else:
            ir = _num(import_reliance)
        if not np.isnan(ir):
            ir = min(max(ir, 0.0), 1.0)

        basis: Basis
        if published_basis == "EUonly" and not np.isnan(hhi_eu):
            basis = "EUonly"
        elif published_basis != "GSonly" and not np.isnan(hhi_eu) and not np.isnan(ir):
            basis = "GS+EU"
        else:
            basis = "GSonly"
            if published_basis not in ("GSonly", ""):
                why = "no EU sourcing" if np.isnan(hhi_eu) else "no import reliance"
                warn_missing(
                    f"{mat} {stage}: {why}; global-supply-only variant used (EU used {published_basis})",
                    topic="global-supply-only variant used where the EU used EU sourcing too",
                    subject=f"{mat} {stage} ({why})",
                )
                notes.append(f"GS-only variant ({why})")
        try:
            sr = float(supply_risk(hhi_gs, hhi_eu, ir, eol, si, basis=basis))
        except MissingInputError as exc:
            warn_missing(f"{mat} {stage}: {exc}; SR left undefined")
            notes.append(str(exc))
            sr = float("nan")
        out.append(
            {
                "method": "eu_sr",
                "commodity": cid,
                "material": mat,
                "stage": stage,
                "country": pd.NA,
                "year": window[-1],
                "years": span,
                "value": sr,
                "sr": sr,
                "bottleneck": False,
                "supply_basis": basis,
                "supply_basis_published": published_basis,
                "hhi_wgi_t_gs": hhi_gs,
                "hhi_wgi_t_eu": hhi_eu,
                "import_reliance": ir,
                "import_reliance_computed": ir_comp,
                "eol_rir": eol,
                "si_sr": si,
                "gs_shares": gs_detail.get("shares", {}),
                "eu_shares": eu_detail.get("shares", {}),
                "wgi_scaled": {**gs_detail.get("wgi", {}), **eu_detail.get("wgi", {})},
                "t_factors": {"global_supply": gs_detail.get("t", {}), "eu_sourcing": eu_detail.get("t", {})},
                "no_wgi": {**gs_detail.get("no_wgi", {}), **eu_detail.get("no_wgi", {})},
                "production_dataset": dataset,
                "wgi_years": wgi_note,
                "proxy": proxy,
                "members": {},
                "notes": "; ".join(notes),
                "source": (
                    f"EU 2023 parameters ({rec.get('source', 'user')}); supply: {found.source}; "
                    "WGI 2024 update; CEPII BACI HS92"
                ),
            }
        )
    valid = [r for r in out if not np.isnan(r["sr"])]
    if valid:
        top = max(valid, key=lambda r: (r["sr"], r["stage"] == "extraction"))
        top["bottleneck"] = True
    return out


# ---------------------------------------------------------------------------------------------------
# economic importance and the criticality flag


def eu_economic_importance(
    commodity: str | Sequence[str] | None = None,
    *,
    end_uses: pd.DataFrame | str | Path | None = None,
    value_added: pd.DataFrame | str | Path | None = None,
    si_ei: float | None = None,
) -> pd.DataFrame:
    """Economic importance per EU material.

    With ``end_uses`` (columns material or commodity, sector, and share (0–1) or share_pct) and
    ``value_added`` (columns sector, value_added), EI is computed with :func:`economic_importance`; SI_EI
    comes from the EU 2023 parameters unless given. Without them critmin has no sector value added, and
    the EU 2023 published EI is returned, labelled ``basis = "published EU 2023"``.

    Returns: method (``eu_ei``), commodity, material, country (NA), year, value (= ei), ei, si_ei, basis,
    sectors (dict sector → [A_s, Q_s]), notes, source.
    """
    import critmin
    from critmin import vocab

    cids = None if commodity is None else [vocab.resolve_commodity(c) for c in as_list(commodity) or []]
    if end_uses is None or value_added is None:
        if (end_uses is None) != (value_added is None):
            raise MissingInputError("EI needs both end_uses and value_added (or neither, for published EI)")
        pub = published_eu2023()
        if cids is not None:
            pub = pd.concat([_materials_for(c, pub) for c in cids]).drop_duplicates("material")
            if pub.empty:
                raise MissingInputError(f"no published EU 2023 economic importance for {cids}")
        return pd.DataFrame(
            {
                "method": "eu_ei",
                "commodity": pub["commodity"],
                "material": pub["material"],
                "country": pd.NA,
                "year": 2023,
                "value": pub["ei"],
                "ei": pub["ei"],
                "si_ei": np.nan,
                "basis": "published EU 2023",
                "sectors": [{} for _ in range(len(pub))],
                "notes": "critmin holds no NACE sector value added: EU 2023 published EI shown",
                "source": pub["source"],
            }
        ).reset_index(drop=True)

    uses = _read_table(end_uses, "end uses")
    va = _read_table(value_added, "value added")
    require_columns(uses, ["sector"], "end uses")
    require_columns(va, ["sector", "value_added"], "value added")
    if "share" not in uses.columns:
        require_columns(uses, ["share_pct"], "end uses")
        uses["share"] = uses["share_pct"] / 100.0
    if "material" not in uses.columns:
        require_columns(uses, ["commodity"], "end uses")
        uses["material"] = uses["commodity"]
    q = va.set_index(va["sector"].astype(str))["value_added"].astype(float)
    top = float(q.max())
    params = critmin.eu_parameters()
    rows = []
    for mat, part in uses.groupby("material", sort=True):
        if cids is not None:
            try:
                if vocab.resolve_commodity(str(mat)) not in cids:
                    continue
            except vocab.UnknownNameError:
                continue
        sectors = part["sector"].astype(str)
        missing = sorted(set(sectors) - set(q.index))
        if missing:
            raise MissingInputError(f"{mat}: no value added for sector(s) {missing}")
        si = si_ei
        if si is None:
            hit = params[(params["material"].str.lower() == str(mat).lower()) | (params["commodity"] == mat)]
            si = _num(hit["si_ei"].iloc[0]) if not hit.empty else float("nan")
        if si is None or np.isnan(si):
            raise MissingInputError(f"{mat}: no SI_EI (pass si_ei=...)")
        a = part["share"].astype(float).to_numpy()
        qs = q.reindex(sectors).to_numpy()
        ei = economic_importance(a, qs, si, max_value_added=top)
        try:
            cid: Any = vocab.resolve_commodity(str(mat))
        except vocab.UnknownNameError:
            cid = pd.NA
        rows.append(
            {
                "method": "eu_ei",
                "commodity": cid,
                "material": mat,
                "country": pd.NA,
                "year": pd.NA,
                "value": ei,
                "ei": ei,
                "si_ei": si,
                "basis": "computed",
                "sectors": {s: [float(x), float(y)] for s, x, y in zip(sectors, a, qs, strict=True)},
                "notes": f"max sector value added {top:g} ({q.idxmax()})",
                "source": "user end-use shares and sector value added; SI_EI: EU 2023 parameters",
            }
        )
    return pd.DataFrame(rows)


def eu_criticality(
    commodity: str | Sequence[str] | None = None,
    *,
    end_uses: pd.DataFrame | str | Path | None = None,
    value_added: pd.DataFrame | str | Path | None = None,
    **sr_options: Any,
) -> pd.DataFrame:
    """SR (bottleneck stage, from critmin's data) and EI side by side with the criticality flag.

    ``sr_options`` go to :func:`eu_supply_risk`; EI as in :func:`eu_economic_importance`. The EU 2023
    published SR, EI and flag are given beside for comparison. Returns: method (``eu``), commodity,
    material, country (NA), year, value (= sr), sr, sr_stage, ei, ei_basis, critical, sr_published,
    ei_published, critical_published, notes.
    """
    sr = eu_supply_risk(commodity, **sr_options)
    ei = eu_economic_importance(commodity, end_uses=end_uses, value_added=value_added)
    pub = published_eu2023().set_index("material")
    rows = []
    for mat, part in sr.groupby("material", sort=True):
        top = part[part["bottleneck"]]
        rec = top.iloc[0] if not top.empty else part.iloc[0]
        hit = ei[ei["material"] == mat]
        ei_val = float(hit["ei"].iloc[0]) if not hit.empty else float("nan")
        srv = float(rec["sr"]) if not top.empty else float("nan")
        p_sr = _num(pub["sr"].get(mat))
        p_ei = _num(pub["ei"].get(mat))
        rows.append(
            {
                "method": "eu",
                "commodity": rec["commodity"],
                "material": mat,
                "country": pd.NA,
                "year": rec["year"],
                "value": srv,
                "sr": srv,
                "sr_stage": rec["stage"] if not top.empty else pd.NA,
                "ei": ei_val,
                "ei_basis": hit["basis"].iloc[0] if not hit.empty else pd.NA,
                "critical": bool(is_critical(srv, ei_val)),
                "sr_published": p_sr,
                "ei_published": p_ei,
                "critical_published": bool(is_critical(p_sr, p_ei)),
                "notes": rec["notes"],
            }
        )
    return pd.DataFrame(rows)
