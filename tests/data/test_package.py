"""Fidelity of the embedded data package: values equal the researched inputs, sums, sources, rebuild."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import critmin
from critmin.data import build
from critmin.store import Store


def test_mcs2025_rare_earths_match_usgs(built_store: Store) -> None:
    prod = critmin.production("rare-earths", year=2024, edition=2025).set_index("iso3")
    assert prod.loc["WLD", "value"] == 390_000
    assert prod.loc["CHN", "value"] == 270_000
    assert (prod["unit"] == "t REO").all()
    res = critmin.reserves("rare-earths", edition=2025).set_index("iso3")
    assert res.loc["WLD", "value"] == 90_000_000
    assert res.loc["CHN", "value"] == 44_000_000


def test_mcs2024_and_2026_rare_earths_are_kept_apart(built_store: Store) -> None:
    old = critmin.production("rare-earths", year=2023, edition=2024).set_index("iso3")
    new = critmin.production("rare-earths", year=2024, edition=2026).set_index("iso3")
    assert old.loc["CHN", "value"] == 240_000
    assert old.loc["WLD", "value"] == 350_000
    assert new.loc["AUS", "value"] == 29_000
    assert set(critmin.production("rare-earths", year=2024)["edition"]) == {2026}


def test_usgs_rows_equal_the_input_table(built_store: Store, shared_data: Path) -> None:
    src = pd.read_csv(shared_data / "usgs_mcs" / "production_reserves.csv")
    stored = built_store.query("select * from usgs_mcs")
    assert len(stored) == len(src)
    key = ["usgs_commodity", "edition", "year", "country"]
    merged = src.rename(columns={"commodity": "usgs_commodity"}).merge(stored, on=key, suffixes=("_in", ""))
    assert len(merged) == len(src)
    for col in ("mine_production", "reserves"):
        pd.testing.assert_series_equal(merged[f"{col}_in"], merged[col], check_names=False)


def _country_sums(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    keys = ["usgs_commodity", "edition", "year"]
    world = frame[frame["iso3"] == "WLD"].set_index(keys)[value]
    countries = frame[frame["iso3"] != "WLD"].groupby(keys)[value].sum(min_count=1)
    both = pd.DataFrame({"world": world, "countries": countries}).dropna()
    return both[both["world"] > 0]


def test_country_rows_sum_to_world_total_within_usgs_rounding(built_store: Store) -> None:
    """USGS world totals are rounded and include withheld (W) countries: 5 % covers both (MCS notes)."""
    frame = built_store.query("select * from usgs_mcs")
    sums = _country_sums(frame, "mine_production")
    assert len(sums) > 60
    rel = (sums["countries"] - sums["world"]).abs() / sums["world"]
    assert rel.max() <= 0.05, rel.sort_values().tail()


def test_every_row_of_every_table_has_a_source(built_store: Store) -> None:
    for table in built_store.tables():
        missing = built_store.query(
            f"select count(*) as n from {table} where coalesce(trim(source), '') = ''"
        )
        assert int(missing["n"].iloc[0]) == 0, table


def test_committed_package_equals_a_fresh_build(tmp_path: Path, shared_data: Path) -> None:
    build.build_package(shared_data, out_dir=tmp_path)
    committed = json.loads((build.DATA_DIR / "datapackage.json").read_text())
    fresh = json.loads((tmp_path / "datapackage.json").read_text())
    assert fresh == committed
    for res in fresh["resources"]:
        if res["format"] == "parquet":
            pd.testing.assert_frame_equal(
                pd.read_parquet(tmp_path / res["path"]), pd.read_parquet(build.DATA_DIR / res["path"])
            )
        else:
            assert (tmp_path / res["path"]).read_bytes() == (build.DATA_DIR / res["path"]).read_bytes(), res[
                "name"
            ]


def test_datapackage_is_valid_frictionless() -> None:
    from frictionless import Package

    package = Package(str(build.DATA_DIR / "datapackage.json"))
    csv_resources = [r.name for r in package.resources if r.format == "csv"]
    assert "usgs_mcs" in csv_resources
    for name in csv_resources:
        report = package.get_resource(name).validate()
        assert report.valid, (name, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5])


def test_ticm_rows_are_not_shipped() -> None:
    for name in ("stage_shares", "end_uses", "import_sources", "prices"):
        frame = pd.read_csv(build.DATA_DIR / "resources" / f"{name}.csv")
        assert not frame["source"].str.contains("TiCM").any(), name


def test_unknown_commodity_suggests_names(built_store: Store) -> None:
    with pytest.raises(critmin.vocab.UnknownNameError, match="rare-earths"):
        critmin.production("rare earthz")


def test_every_numeric_field_states_its_unit_and_every_resource_its_sources() -> None:
    descriptor = json.loads((build.DATA_DIR / "datapackage.json").read_text())
    for res in descriptor["resources"]:
        assert res["sources"] and all(s["title"] for s in res["sources"]), res["name"]
        assert res["schema"]["primaryKey"], res["name"]
        for field in res["schema"]["fields"]:
            if field["type"] == "number":
                assert field.get("unit"), (res["name"], field["name"])
