"""USGS-style supply risk: disruption potential × trade exposure (× economic vulnerability).

Nassar, N.T. et al. (2020), *Evaluating the mineral commodity supply risk of the U.S. manufacturing
sector*, Science Advances 6(8):eaay8647, doi:10.1126/sciadv.aay8647; Nassar, N.T. & Fortier, S.M. (2021),
*Methodology and technical input for the 2021 review and revision of the U.S. Critical Minerals List*, USGS
Open-File Report 2021-1045, doi:10.3133/ofr20211045. Supply risk is the product of three factors, for a
commodity, an assessed (importing) country c and a year::

    DP  = Σ_{i ≠ c} s_i² · w_i          disruption potential: governance-weighted HHI of world production,
                                         foreign producers only (s_i share of world production, 0–1;
                                         w_i = (2.5 − WGI_i) / 5, the WGI rescaled to 0 = best … 1 = worst)
    NIR = (M − X) / (P + M − X)          net import reliance (imports M, exports X, domestic production P,
                                         apparent consumption P + M − X; stock changes not available)
    TE  = min(max(NIR, 0), 1)            trade exposure (a net exporter has none)
    EV                                   economic vulnerability of the country's manufacturing sector
    SR  = DP · TE · EV

What critmin approximates (stated in every output row's ``approximations``):

* WGI: the mean of the six 2024-update estimates by default (``governance="political_stability"`` uses PV
  only); the published method's exact WGI aggregate and rescaling were not available to check;
* NIR from BACI trade quantities (gross weight of the HS products mapped to the commodity) against USGS or
  World Mining Data production (content basis): the bases differ, so NIR is indicative; stock changes are
  ignored;
* EV needs industry-level expenditure and value-added data critmin does not hold: it is NaN unless given
  (``economic_vulnerability=``), and ``value`` is then DP × TE (the part of the risk the data allow).
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
    cached_governance,
    cached_production,
    cached_trade,
    format_shares,
    store_tables,
    tonnes_factor,
    warn_missing,
)

__all__ = [
    "disruption_potential",
    "governance_risk",
    "net_import_reliance",
    "trade_exposure",
    "usgs_supply_risk",
]

APPROXIMATIONS = (
    "WGI aggregate and rescaling as documented here, not checked against USGS's; NIR from BACI gross-weight "
    "trade vs. content-basis production, no stock changes; economic vulnerability not available"
)


def governance_risk(estimate: ArrayLike) -> np.ndarray:
    """WGI estimate (−2.5 … 2.5) rescaled to a 0 (best) … 1 (worst) governance risk: ``(2.5 − x) / 5``."""
    return (2.5 - np.asarray(estimate, dtype=float)) / 5.0


def disruption_potential(shares: ArrayLike, risk: ArrayLike, domestic: ArrayLike | None = None) -> float:
    """``DP = Σ_{i foreign} s_i² · w_i``: governance-weighted HHI of production, foreign producers only.

    ``shares`` are shares of world production (0–1), ``risk`` the 0–1 governance risk of each producer,
    ``domestic`` a boolean mask of the assessed country's own production (left out).
    """
    s, w = np.asarray(shares, dtype=float), np.asarray(risk, dtype=float)
    if s.shape != w.shape:
        raise ValueError("shares and risk must have the same length")
    foreign = np.ones(s.shape, dtype=bool) if domestic is None else ~np.asarray(domestic, dtype=bool)
    if np.isnan(s[foreign]).any() or np.isnan(w[foreign]).any():
        raise MissingInputError("a foreign producer's share or governance score is missing")
    return float(np.sum(s[foreign] ** 2 * w[foreign]))


def net_import_reliance(
    production: float, imports: float, exports: float, stock_change: float = 0.0
) -> float:
    """``NIR = (M − X + ΔS) / (P + M − X + ΔS)``, NaN when apparent consumption is not positive."""
    consumption = production + imports - exports + stock_change
    if consumption <= 0:
        return float("nan")
    return float((imports - exports + stock_change) / consumption)


def trade_exposure(nir: ArrayLike) -> np.ndarray:
    """Trade exposure: net import reliance clipped to 0–1 (net exporters have none)."""
    return np.clip(np.asarray(nir, dtype=float), 0.0, 1.0)


def _governance(years: list[int], which: str) -> tuple[pd.DataFrame, dict[int, str]]:
    """WGI per country for ``years`` (nearest year borrowed where missing, warned once) and each year's
    note for its rows."""
    gov = cached_governance()
    col = "mean_estimate" if which == "mean" else "political_stability"
    have = sorted(int(y) for y in gov["year"].unique())
    frames, borrowed = [], []
    notes: dict[int, str] = {}
    for y in years:
        use = y if y in have else min(have, key=lambda h: (abs(h - y), -h))
        notes[y] = (
            f"WGI 2024 update ({'mean of six estimates' if which == 'mean' else 'political stability'})"
        )
        if use != y:
            borrowed.append(f"{y}←{use}")
            notes[y] += f"; WGI year borrowed: {y}←{use}"
        frames.append(gov[gov["year"] == use][["iso3", col]].assign(year=y))
    table = pd.concat(frames, ignore_index=True).rename(columns={col: "wgi"})
    if borrowed:
        warn_missing(f"no WGI for year(s) {', '.join(borrowed)} (nearest year used)")
    return table, notes


def usgs_supply_risk(
    commodity: str | Sequence[str],
    country: str | Sequence[str] = "USA",
    year: int | Sequence[int] | None = None,
    *,
    source: Literal["usgs", "wmd"] = "usgs",
    edition: int | None = None,
    governance: Literal["mean", "political_stability"] = "mean",
    economic_vulnerability: float | Mapping[tuple[str, str], float] | None = None,
    wgi_tolerance: float = 0.01,
) -> pd.DataFrame:
    """USGS-style supply risk (Nassar et al. 2020) from critmin's data, per commodity × country × year.

    ``source``: production (USGS MCS, one edition: ``edition`` or the newest; or World Mining Data);
    ``year``: default the latest production year. ``economic_vulnerability``: a number, or
    ``{(commodity, iso3): value}``; without it ``supply_risk`` is NaN and ``value`` = DP × TE.

    Returns: method (``usgs``), commodity, country, year, stage, value, disruption_potential,
    trade_exposure, net_import_reliance, economic_vulnerability, supply_risk, dp_x_te,
    domestic_production_t, imports_t, exports_t, hs, shares (world production), governance_risk (per
    producer), no_wgi, approximations, notes, source.
    """
    from critmin import vocab
    from critmin.query import NoDataError, check_years

    rows: list[dict[str, Any]] = []
    isos = [vocab.resolve_country(str(c)) for c in as_list(country) or []]
    for name in as_list(commodity) or []:
        cid = vocab.resolve_commodity(str(name))
        prod = cached_production(cid, source, edition)
        prod = prod[prod["iso3"] != "WLD"]
        have = set(int(y) for y in prod["year"].unique())
        codes_all = vocab.hs_for(cid)
        years = [int(y) for y in as_list(year) or []] or [_default_year(have, codes_all)]
        try:
            check_years(years, have, f"years of {source} production of {cid}")
        except NoDataError as exc:
            raise MissingInputError(str(exc)) from exc
        gov, gov_notes = _governance(years, governance)
        stage = str(prod["stage"].iloc[0])
        codes = [r["hs"] for r in vocab.hs_codes() if r["hs"] in codes_all and r["stage"] == stage]
        hs_note = ""
        if not codes:
            codes = codes_all
            hs_note = f"no HS code at the {stage} stage: all HS codes of {cid} used for trade"
        flows = cached_trade(tuple(codes), tuple(years)) if codes else pd.DataFrame()
        for y in years:
            p_y = prod[prod["year"] == y]
            year_notes: list[str] = []
            if p_y["value"].isna().any():
                listed = ", ".join(p_y.loc[p_y["value"].isna(), "country"].astype(str))
                warn_missing(
                    f"{cid} {y}: production missing/withheld for {listed}; left out of the shares",
                    topic="production withheld or missing, left out of the shares",
                    subject=f"{cid} {y}: {listed}",
                    notes=year_notes,
                )
                p_y = p_y[p_y["value"].notna()]
            total = float(p_y["value"].sum())
            if total <= 0:
                raise MissingInputError(f"{cid} {y}: world production is zero or missing")
            label = p_y["iso3"].astype("string").fillna("Other countries")
            shares = p_y.assign(_k=label).groupby("_k")["value"].sum() / total
            named = shares.drop(labels=["Other countries"], errors="ignore")
            w = gov[gov["year"] == y].set_index("iso3")["wgi"].reindex(named.index)
            risk = pd.Series(governance_risk(w.to_numpy()), index=named.index)
            unit = str(p_y["unit"].iloc[0])
            factor = tonnes_factor(unit)
            for iso in isos:
                notes = [n for n in (hs_note, gov_notes[y], *year_notes) if n]
                foreign = named[named.index != iso]
                no_wgi = foreign[risk.reindex(foreign.index).isna()]
                bound = float((no_wgi**2).sum())
                dp_value: float
                if len(no_wgi):
                    listed = ", ".join(f"{k} ({v:.2%})" for k, v in no_wgi.head(6).items())
                    if bound > wgi_tolerance:
                        warn_missing(
                            f"{cid} {y}: no WGI for {listed}; disruption potential undefined",
                            topic="producers without WGI: disruption potential undefined",
                            subject=f"{cid} {y} ({iso}): {listed}",
                            notes=notes,
                        )
                        dp_value = float("nan")
                    else:
                        warn_missing(
                            f"{cid} {y}: no WGI for {listed}; left out (DP moves ≤ {bound:.4f})",
                            topic="producers without WGI left out of the disruption potential (within tolerance)",
                            subject=f"{cid} {y} ({iso}): {listed}",
                            notes=notes,
                        )
                        ok = foreign.index.difference(no_wgi.index)
                        dp_value = disruption_potential(foreign[ok], risk[ok])
                else:
                    dp_value = disruption_potential(foreign, risk[foreign.index])
                domestic = float(named.get(iso, 0.0)) * total
                domestic_t = domestic * factor if factor is not None else float("nan")
                if factor is None:
                    notes.append(f"production unit {unit!r} is not a mass: NIR undefined")
                f_y = flows[flows["year"] == y] if len(flows) else flows
                if len(f_y):
                    m = float(f_y.loc[f_y["importer"] == iso, "quantity_t"].sum())
                    x = float(f_y.loc[f_y["exporter"] == iso, "quantity_t"].sum())
                    if f_y["quantity_t"].isna().any():
                        notes.append("some BACI flows lack a quantity and are left out")
                else:
                    m = x = float("nan")
                    notes.append("no BACI trade for this year")
                nir = net_import_reliance(domestic_t, m, x) if not np.isnan(m) else float("nan")
                if np.isnan(nir) and not np.isnan(m):
                    notes.append("apparent consumption not positive: NIR undefined")
                te = float(trade_exposure(nir)) if not np.isnan(nir) else float("nan")
                ev = _ev(economic_vulnerability, cid, iso)
                dp_te = dp_value * te
                sr = dp_te * ev if ev is not None else float("nan")
                rows.append(
                    {
                        "method": "usgs",
                        "commodity": cid,
                        "country": iso,
                        "year": y,
                        "stage": stage,
                        "value": sr if ev is not None else dp_te,
                        "disruption_potential": dp_value,
                        "trade_exposure": te,
                        "net_import_reliance": nir,
                        "economic_vulnerability": ev if ev is not None else float("nan"),
                        "supply_risk": sr,
                        "dp_x_te": dp_te,
                        "domestic_production_t": domestic_t,
                        "imports_t": m,
                        "exports_t": x,
                        "hs": ";".join(codes),
                        "shares": format_shares({str(k): float(v) for k, v in shares.items()}),
                        "governance_risk": {str(k): round(float(v), 4) for k, v in risk.dropna().items()},
                        "no_wgi": format_shares({str(k): float(v) for k, v in no_wgi.items()}),
                        "approximations": APPROXIMATIONS,
                        "notes": "; ".join(notes),
                        "source": (
                            f"{'USGS MCS ' + str(p_y['edition'].iloc[0]) if source == 'usgs' else 'World Mining Data'}"
                            "; CEPII BACI HS92; World Bank WGI 2024 update; method: Nassar et al. 2020"
                        ),
                    }
                )
    return pd.DataFrame(rows)


def _default_year(production_years: set[int], codes: list[str]) -> int:
    """The latest production year that also has BACI trade for ``codes`` (else the latest production year)."""
    if codes:
        baci = store_tables()["baci_trade"]
        both = production_years & {int(y) for y in baci.loc[baci["hs"].isin(codes), "year"].unique()}
        if both:
            return max(both)
    return max(production_years)


def _ev(ev: float | Mapping[tuple[str, str], float] | None, cid: str, iso: str) -> float | None:
    if ev is None:
        return None
    if isinstance(ev, Mapping):
        value = ev.get((cid, iso))
        return None if value is None else float(value)
    return float(ev)
