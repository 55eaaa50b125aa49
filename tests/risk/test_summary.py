"""``critmin.risk.summary``: the methods side by side for the brief's Risk section."""

from __future__ import annotations

import pandas as pd

from critmin.risk import summary
from critmin.risk.summary import SUMMARY_COLUMNS


def test_rare_earths_side_by_side(built_store):
    out = summary("rare-earths")
    assert list(out.columns) == SUMMARY_COLUMNS
    assert {"concentration", "eu", "geopolrisk", "usgs"} <= set(out["method"])
    assert (out["commodity"] == "rare-earths").all()
    hhi = out[out["metric"].str.startswith("HHI (USGS MCS")]
    assert len(hhi) == 1 and 0 < hhi["value"].iloc[0] < 1 and "CHN" in hhi["inputs"].iloc[0]
    gpr = out[out["method"] == "geopolrisk"]
    assert {"EU27", "USA", "JPN"} <= set(gpr["country"])
    eu = out[out["method"] == "eu"]
    assert eu["inputs"].str.contains("EU 2023 published SR").all()
    assert out["inputs"].map(lambda s: isinstance(s, str)).all()


def test_what_cannot_be_computed_says_why(built_store):
    out = summary("gallium", country=["USA"], year=2024, edition=2025)
    missing = out[out["value"].isna()]
    assert len(missing) > 0
    assert missing["notes"].str.len().gt(0).all()
    assert pd.api.types.is_integer_dtype(out["year"])
