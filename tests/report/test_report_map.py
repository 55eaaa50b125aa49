"""The brief's static map: reserves by country as a choropleth over world-atlas shapes, sites as points."""

from __future__ import annotations

from typing import Any

import critmin
from critmin.report import charts
from critmin.store import Store


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec["layer"])


def test_the_map_has_country_shapes_and_site_points(built_store: Store) -> None:
    reserves = critmin.reserves("rare-earths")
    sites = critmin.sites("rare-earths", collapse=True)
    spec = charts.world_map_chart(
        reserves,
        sites,
        commodity_name="Rare earths",
        what="Reserves",
        source_label="USGS",
        sites_label="USGS",
    ).to_dict()
    assert spec["projection"]["type"] == "equalEarth"
    outline, filled, points = _layers(spec)
    datasets = spec["datasets"]
    shapes = datasets[outline["data"]["name"]]
    assert outline["mark"]["type"] == "geoshape" and outline["data"]["format"] == {
        "type": "topojson",
        "feature": "countries",
    }
    assert len(shapes["objects"]["countries"]["geometries"]) > 170  # Natural Earth 1:110m, inlined (offline)
    lookup = filled["transform"][0]
    assert lookup["lookup"] == "id" and filled["mark"]["type"] == "geoshape"
    joined = {r["id"]: r for r in datasets[lookup["from"]["data"]["name"]]}
    assert joined["156"]["country"] == "China" and joined["156"]["value"] > 0  # ISO numeric 156 = CHN
    map_ids = {g["id"] for g in shapes["objects"]["countries"]["geometries"] if "id" in g}
    assert set(joined) <= map_ids  # every country with reserves has a shape
    drawn = datasets[points["data"]["name"]]
    assert points["mark"]["type"] == "point" and len(drawn) == len(sites)
    assert points["encoding"]["longitude"]["field"] == "longitude"
    assert points["encoding"]["color"]["field"] == "site_type"
    assert {"magnet_plant", "mine", "deposit"} <= {p["site_type"] for p in drawn}


def test_the_brief_shows_the_map_after_the_reserves(built_store: Store) -> None:
    from critmin.report.brief import build_brief

    brief = build_brief("rare-earths", as_of="2025-12-01")
    names = [f.name for f in brief.figures]
    assert names[names.index("reserves") + 1] == "reserves-map"
    figure = brief.figures[names.index("reserves-map")]
    reserves = brief.figures[names.index("reserves")]
    assert figure.sources[: len(reserves.sources)] == reserves.sources
    assert any("Labay" in s for s in figure.sources)  # the sites' USGS data release
