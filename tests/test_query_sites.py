"""critmin.sites(): the located mines, deposits and plants of the data package."""

from __future__ import annotations

import pytest

import critmin
from critmin.store import Store
from critmin.vocab import UnknownNameError


def test_clusters_collapse_duplicate_records_as_the_source_counts_them(built_store: Store) -> None:
    assert len(critmin.sites(collapse=False)) == 5233
    assert len(critmin.sites()) == 4351  # 5,233 rows, 1,394 of them in 512 clusters
    assert len(critmin.sites("rare-earths", collapse=False)) == 802
    assert len(critmin.sites("rare-earths")) == 672  # the source README's count with clusters collapsed


def test_a_collapsed_site_keeps_its_key_record_and_names_the_others(built_store: Store) -> None:
    frame = critmin.sites("rare-earths", country="China")
    bayan_obo = frame[frame["site_ids"].str.contains("SC-001")].iloc[0]
    assert bayan_obo["site_id"] == "SC-001"
    assert bayan_obo["records"] >= 3
    assert {"PP1802-1335", "OFR02-0009"} <= set(bayan_obo["site_ids"].split(";"))


def test_filters_and_every_row_has_source_and_licence(built_store: Store) -> None:
    frame = critmin.sites(
        "neodymium", country="CHN", site_type="magnet_plant", status=["producing", "unknown"]
    )
    assert set(frame["site_type"]) == {"magnet_plant"}
    assert set(frame["iso3"]) == {"CHN"}
    assert frame["source"].str.len().gt(0).all()
    assert frame["licence"].str.startswith("ODbL 1.0").any()


def test_openstreetmap_rows_are_the_nineteen_under_odbl(built_store: Store) -> None:
    frame = critmin.sites(collapse=False)
    odbl = frame[frame["licence"].str.startswith("ODbL")]
    assert len(odbl) == 19
    assert odbl["site_id"].str.startswith("SC-").all()
    assert "SC-020" in set(odbl["site_id"])  # reuses the SC-019 OpenStreetMap geocode


def test_unknown_site_type_suggests(built_store: Store) -> None:
    with pytest.raises(UnknownNameError, match="magnet_plant"):
        critmin.sites(site_type="magnet")
