"""Published supply-risk methods, reproducible in code, each returning its inputs beside its result.

* :mod:`critmin.risk.concentration` — shares, HHI (0–1 and 0–10,000), CR1/CR3: :func:`hhi`,
  :func:`concentration`;
* :mod:`critmin.risk.eu` — EU criticality (Blengini et al. 2017): :func:`eu_supply_risk`,
  :func:`eu_economic_importance`, :func:`eu_criticality`;
* :mod:`critmin.risk.geopolrisk` — GeoPolRisk (Gemechu et al. 2016; Koyamparambath et al. 2024), equal to
  geopolrisk-py 2.0.1: :func:`geopolrisk`;
* :mod:`critmin.risk.usgs` — USGS-style supply risk (Nassar et al. 2020): :func:`usgs_supply_risk`;
* :func:`summary` — the methods side by side for one commodity.

A missing input raises :class:`MissingInputError` or warns with :class:`MissingInputWarning` (naming what
is missing); it is never turned into a silent zero. See ``docs/methods.md``.
"""

from critmin.risk._common import MissingInputError, MissingInputWarning
from critmin.risk.concentration import concentration, concentration_frame, cr, cr1, cr3, hhi, shares
from critmin.risk.eu import (
    bottleneck,
    economic_importance,
    eu_criticality,
    eu_economic_importance,
    eu_supply_risk,
    hhi_wgi_t,
    is_critical,
    published_eu2023,
    scale_wgi,
)
from critmin.risk.eu import supply_risk as eu_sr_formula
from critmin.risk.geopolrisk import (
    characterization_factor,
    geopolrisk,
    geopolrisk_frame,
    geopolrisk_materials,
    geopolrisk_score,
    political_instability,
)
from critmin.risk.summary import summary
from critmin.risk.usgs import (
    disruption_potential,
    governance_risk,
    net_import_reliance,
    trade_exposure,
    usgs_supply_risk,
)

__all__ = [
    "MissingInputError",
    "MissingInputWarning",
    "bottleneck",
    "characterization_factor",
    "concentration",
    "concentration_frame",
    "cr",
    "cr1",
    "cr3",
    "disruption_potential",
    "economic_importance",
    "eu_criticality",
    "eu_economic_importance",
    "eu_sr_formula",
    "eu_supply_risk",
    "geopolrisk",
    "geopolrisk_frame",
    "geopolrisk_materials",
    "geopolrisk_score",
    "governance_risk",
    "hhi",
    "hhi_wgi_t",
    "is_critical",
    "net_import_reliance",
    "political_instability",
    "published_eu2023",
    "scale_wgi",
    "shares",
    "summary",
    "trade_exposure",
    "usgs_supply_risk",
]
