"""The baseline network against the store: export anchors where BACI has no flows, the germanium world volume
from the calibration capacity table, and the data year of every source (``year``)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from critmin import query
from critmin.scenario import Scenario
from critmin.scenario.network import ROW, Network, NetworkCache, _fill, _pick_year, build_network
from critmin.scenario.spec import Demand, parse_spec
from critmin.store import Store

US_GALLIUM = Demand(
    commodity="gallium", country="USA", quantity=19_000, unit="kg", year=2024, source="test figure"
)


@pytest.fixture(scope="module", autouse=True)
def _store(built_store: Store) -> Store:
    return built_store


def _exports(net: Network, stage: int, iso3: str) -> float:
    flows = net.stages[stage].flows[net.index(iso3)]
    return float(flows.sum() - flows[net.index(iso3)])


def _methods(net: Network) -> str:
    return "\n".join(f"{n['method']} | {n['source']}" for n in net.notes)


def _balanced(net: Network) -> None:
    for s in net.stages:
        assert s.flows.min() >= 0, s.name
        np.testing.assert_allclose(s.flows.sum(axis=1), s.output, rtol=1e-9, atol=1e-9 * net.world)
        assert s.demand.sum() == pytest.approx(s.output.sum(), rel=1e-9)
        assert s.output.sum() == pytest.approx(net.world, rel=1e-9)


def test_anchor_rows_equal_the_calibration_rows_they_cite() -> None:
    anchors = query.stage_exports()
    episodes = query.calibration("episodes")
    assert anchors["source"].notna().all() and (anchors["source"].str.strip() != "").all()
    for row in anchors.itertuples():
        episode, rest = str(row.series).split(" ", 1)
        date, series = rest.split(": ", 1)
        match = episodes[
            (episodes["episode"] == episode) & (episodes["date"] == date) & (episodes["series"] == series)
        ]
        assert len(match) == 1, row.series
        assert float(match["value"].iloc[0]) == row.quantity
        assert match["unit"].iloc[0] == row.unit and match["source"].iloc[0] == row.source
        assert date == str(row.year)  # full calendar years only
    total = anchors[(anchors["commodity"] == "gallium") & anchors["importer"].isna()]
    assert total[["exporter", "year", "quantity", "unit"]].values.tolist() == [["CHN", 2024, 69_440, "kg"]]


def test_gallium_anchor_gives_china_its_sourced_exports() -> None:
    net = build_network("gallium", "refining")
    assert _exports(net, 0, "CHN") == pytest.approx(69_440)  # kg, China customs 2024
    text = _methods(net)
    assert "export anchor: CHN exports 69440 kg in 2024" in text
    assert "rohstoff.net/2024-germaniumexport-geht-zurueck-gallium-legt-zu" in text
    _balanced(net)


def test_us_gallium_from_china_is_the_proportional_share_capped_at_us_demand() -> None:
    net = build_network("gallium", "refining", [US_GALLIUM], keep=("CHN", "USA"))
    s, c, u = net.stages[0], net.index("CHN"), net.index("USA")
    # the US share of the anchor in proportion to demand (19 t of about 33 t outside China) exceeds the US
    # demand, so the US gets its demand and the rest goes to ROW; the US demand stays the one given
    assert s.flows[c, u] == pytest.approx(19_000)
    assert s.demand[u] == pytest.approx(19_000)
    assert _exports(net, 0, "CHN") == pytest.approx(69_440)
    _balanced(net)


def test_us_magnets_from_china_are_the_proportional_remainder() -> None:
    net = build_network("rare-earths", "refining", keep=("CHN", "USA"))
    metal, magnet = net.stages[-2], net.stages[-1]
    assert magnet.name == "magnet"
    c, u = net.index("CHN"), net.index("USA")
    assert _exports(net, len(net.stages) - 1, "CHN") == pytest.approx(58_152)  # t, Adamas 2024
    basis = metal.demand * magnet.output.sum() / metal.demand.sum()  # demand = consumers of the metal stage
    expected = 58_152 * basis[u] / (basis.sum() - basis[c])
    assert expected < basis[u]  # not capped: the proportional share
    assert magnet.flows[c, u] == pytest.approx(expected, rel=1e-9)
    assert magnet.flows[c, u] > 0
    assert "treated as t of contained rare-earth mass" in _methods(net)
    _balanced(net)


def test_antimony_destination_row_goes_to_its_importer() -> None:
    net = build_network("antimony", "mining", keep=("CHN", "NLD"))
    refining = net.stages[-1]
    # the published destination figure (Reuters 2024); a listed importer gets no share of the remainder
    assert refining.flows[net.index("CHN"), net.index("NLD")] == pytest.approx(1016.65)
    assert "to NLD 1016.65 t as published" in _methods(net)
    assert _exports(net, len(net.stages) - 1, "CHN") == pytest.approx(38_632)
    _balanced(net)


def test_a_stage_without_shares_is_produced_where_the_previous_stage_is_consumed() -> None:
    """Restricting antimony refining (no refinery shares): refiners are the ore's consumers, as in the
    network built from mining, and China's sourced exports anchor the refining stage."""
    whole = build_network("antimony", "mining", keep=("CHN", "NLD"))
    ore_use = whole.stages[0].flows.sum(axis=0)
    net = build_network("antimony", "refining", keep=("CHN", "NLD"))
    assert [s.name for s in net.stages] == ["refining"]
    china = net.index("CHN")
    assert net.stages[0].output[china] == pytest.approx(ore_use[whole.index("CHN")])
    assert _exports(net, 0, "CHN") == pytest.approx(38_632)
    assert "not used" not in _methods(net)
    assert {n["stage"] for n in net.notes} <= {
        "all",
        "refining",
    }  # the mining stage built on the way is dropped
    _balanced(net)


def test_germanium_world_volume_and_shares_from_ofr_2024_1057() -> None:
    net = build_network("germanium", "refining", keep=("CHN",))
    assert (net.world, net.unit, net.year) == (210.0, "t", 2022)
    s = net.stages[0]
    assert s.output[net.index("CHN")] == pytest.approx(180, rel=1e-3)  # share 180/210 from stage_shares
    assert s.output[net.index("CHN")] / net.world == pytest.approx(180 / 210, rel=1e-3)
    assert _exports(net, 0, "CHN") == pytest.approx(29.389)  # 29,389 kg China customs 2024
    world = net.notes[0]
    assert "calibration capacity table, World primary refinery production 2022" in world["method"]
    assert "OFR 2024-1057" in world["source"]
    _balanced(net)


def test_china_restrictions_on_gallium_magnets_and_germanium_block_volume() -> None:
    spec = """\
[scenario]
name = "t"
start = "2025-01"
months = 3

[[restriction]]
issuer = "China"
commodity = "{commodity}"
stage = "{stage}"
targets = {targets}
start = "2025-01"
duration = 3
severity = 1.0
leakage = 0.0

[response]
stocks_months = 0.0
spare_capacity = 0.0
ramp = 0.0
rerouting = 0.0
substitution = 0.0

[[demand]]
commodity = "{commodity}"
country = "United States"
quantity = {quantity}
unit = "{unit}"
year = 2024
source = "test figure"
"""
    for commodity, stage, quantity, unit in (
        ("gallium", "refining", 19_000, "kg"),
        ("rare-earths", "magnet", 1_000, "t"),
        ("germanium", "refining", 10_000, "kg"),
    ):
        for targets in ('["all"]', '["USA"]'):
            text = spec.format(
                commodity=commodity, stage=stage, targets=targets, quantity=quantity, unit=unit
            )
            res = Scenario(parse_spec(text)).run()
            lost = res.shortfall.groupby("importer")["unserved"].sum()
            assert lost.get("USA", 0.0) > 0, (commodity, targets)


def test_year_2010_uses_baci_2010_and_says_which_year_each_source_has() -> None:
    default = build_network("rare-earths", "refining")
    old = build_network("rare-earths", "refining", year=2010)
    flows = [n for n in old.notes if n["stage"] == "refining" and n["item"] == "cross-border flows"]
    assert flows[0]["source"].startswith("BACI 2010 HS 284610, 284690")
    assert "requested" not in flows[0]["source"]  # BACI holds 2010
    assert any(n["source"].startswith("BACI 2024") for n in default.notes)
    world = old.notes[0]["method"]
    assert f"{old.year} (requested 2010; not held, nearest later year)" in world
    for note in old.notes:
        used = re.match(r"stage_shares (\d{4})", note["method"])
        if used and used.group(1) != "2010":
            assert "(requested 2010; not held, nearest" in note["method"], note
    assert (
        "export anchor: CHN exports 58152 t in 2024 (requested 2010; not held, nearest later year)"
        in _methods(old)
    )
    assert "requested" not in _methods(default)
    c = old.index("CHN")
    assert not np.allclose(
        old.stages[0].flows[c].sum() - old.stages[0].flows[c, c],
        default.stages[0].flows[default.index("CHN")].sum()
        - default.stages[0].flows[default.index("CHN"), default.index("CHN")],
    )
    _balanced(old)


def test_the_latest_year_gives_the_network_without_a_year() -> None:
    default = build_network("rare-earths", "refining")
    same = build_network("rare-earths", "refining", year=default.year)
    assert same.countries == default.countries
    for a, b in zip(default.stages, same.stages, strict=True):
        np.testing.assert_allclose(a.flows, b.flows)


def test_pick_year_prefers_the_nearest_earlier_then_the_earliest_later() -> None:
    held = [2008, 2012, 2024]
    assert _pick_year(held, None) == 2024
    assert _pick_year(held, 2012) == 2012
    assert _pick_year(held, 2020) == 2012
    assert _pick_year(held, 2005) == 2008
    assert _pick_year(pd.Series([], dtype=float), 2010) is None


def test_fill_caps_each_entry_at_its_room_and_leaves_the_excess() -> None:
    out = _fill(10.0, np.array([1.0, 3.0, 0.0, 100.0]))
    assert out[2] == 0 and out[0] <= 1.0 and out.sum() == pytest.approx(10.0)
    np.testing.assert_allclose(out, [10 / 104, 30 / 104, 0, 1000 / 104])
    capped = _fill(10.0, np.array([1.0, 3.0]))
    np.testing.assert_allclose(capped, [1.0, 3.0])  # 6 left for ROW


def test_network_cache_keys_on_the_year() -> None:
    cache = NetworkCache()
    a = cache.get("rare-earths", "refining")
    b = cache.get("rare-earths", "refining", year=2010)
    assert a is not b and a is cache.get("rare-earths", "refining")
    assert b is cache.get("rare-earths", "refining", year=2010)
    assert ROW in b.countries
