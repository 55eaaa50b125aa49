"""``critmin import``: official files in, one transaction, clear errors and an unchanged store on bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import critmin
from critmin.cli.main import app
from critmin.store import Store

FIXTURES = Path(__file__).parents[1] / "data" / "fixtures"
runner = CliRunner()


def _snapshot(store: Store) -> dict[str, pd.DataFrame]:
    return {
        t: store.query(f"select * from {t} order by all").reset_index(drop=True)
        for t in ("usgs_mcs", "baci_trade", "wgi", "imports")
    }


def _assert_unchanged(store: Store, before: dict[str, pd.DataFrame]) -> None:
    after = _snapshot(store)
    for table, frame in before.items():
        pd.testing.assert_frame_equal(after[table], frame, obj=table)


def _edit(src: Path, dst: Path, old: str, new: str) -> Path:
    text = src.read_text(encoding="utf-8-sig")
    assert old in text
    dst.write_text(text.replace(old, new, 1), encoding="utf-8")
    return dst


def test_usgs_import_replaces_that_edition_only(fresh_store: Store, tmp_path: Path) -> None:
    edited = _edit(
        FIXTURES / "mcs2024-raree_world.csv",
        tmp_path / "mcs2024-raree_world.csv",
        "210000,240000",
        "210000,250000",
    )
    result = runner.invoke(app, ["import", "usgs-mcs", str(edited)])
    assert result.exit_code == 0, result.output
    assert "imported" in result.stdout
    old = critmin.production("rare-earths", year=2023, edition=2024).set_index("iso3")
    assert old.loc["CHN", "value"] == 250_000
    new = critmin.production("rare-earths", year=2024, edition=2025).set_index("iso3")
    assert new.loc["CHN", "value"] == 270_000
    assert fresh_store.imports()["origin"].tolist() == ["mcs2024-raree_world.csv"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("210000,240000", "210000,24O000", "column Prod_t_est_2023"),
        ("MCS2024,Burma,", "MCS2024,Atlantis,", "unknown country 'Atlantis'"),
        ("Prod_t_est_2023", "Production_2023", "line 1"),
    ],
)
def test_malformed_usgs_file_changes_nothing(
    fresh_store: Store, tmp_path: Path, old: str, new: str, message: str
) -> None:
    before = _snapshot(fresh_store)
    bad = _edit(FIXTURES / "mcs2024-raree_world.csv", tmp_path / "mcs2024-raree_world.csv", old, new)
    result = runner.invoke(app, ["import", "usgs-mcs", str(bad)])
    assert result.exit_code == 2
    assert "mcs2024-raree_world.csv" in result.output
    assert message in result.output
    assert "nothing was imported" in result.output
    _assert_unchanged(fresh_store, before)


def test_unit_mismatch_is_rejected(fresh_store: Store, tmp_path: Path) -> None:
    before = _snapshot(fresh_store)
    bad = _edit(
        FIXTURES / "MCS2025_World_Data_extract.csv",
        tmp_path / "MCS2025_World_Data.csv",
        "kilograms",
        "metric tons",
    )
    result = runner.invoke(app, ["import", "usgs-mcs", str(bad)])
    assert result.exit_code == 2
    assert "line 2" in result.output and "UNIT_MEAS" in result.output
    _assert_unchanged(fresh_store, before)


def test_one_bad_file_among_good_ones_imports_none(fresh_store: Store, tmp_path: Path) -> None:
    before = _snapshot(fresh_store)
    good = _edit(
        FIXTURES / "mcs2024-raree_world.csv",
        tmp_path / "mcs2024-raree_world.csv",
        "210000,240000",
        "210000,250000",
    )
    bad = _edit(FIXTURES / "mcs2024-niobi_world.csv", tmp_path / "mcs2024-niobi_world.csv", "75600", "lots")
    result = runner.invoke(app, ["import", "usgs-mcs", str(good), str(bad)])
    assert result.exit_code == 2
    _assert_unchanged(fresh_store, before)


def test_baci_import_round_trip(fresh_store: Store) -> None:
    result = runner.invoke(
        app,
        [
            "import",
            "baci",
            str(FIXTURES / "BACI_HS92_Y2022_V202401b.csv"),
            "--country-codes",
            str(FIXTURES / "country_codes_V202401b.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    fixture = pd.read_csv(FIXTURES / "BACI_HS92_Y2022_V202401b.csv")
    stored = critmin.trade(hs=[str(k) for k in fixture["k"].unique()], year=2022)
    assert len(stored) == len(fixture)
    flow = stored[(stored["exporter"] == "CHN") & (stored["importer"] == "CAN") & (stored["hs"] == "280530")]
    assert flow["value_kusd"].tolist() == [1577.57]
    assert len(critmin.trade(hs="280530", year=2021)) > 100  # other years untouched


def test_baci_bad_value_changes_nothing(fresh_store: Store, tmp_path: Path) -> None:
    before = _snapshot(fresh_store)
    bad = _edit(FIXTURES / "BACI_HS92_Y2022_V202401b.csv", tmp_path / "BACI_bad.csv", "1577.57", "abc")
    result = runner.invoke(
        app, ["import", "baci", str(bad), "--country-codes", str(FIXTURES / "country_codes_V202401b.csv")]
    )
    assert result.exit_code == 2
    assert "BACI_bad.csv, line 3, column v" in result.output
    _assert_unchanged(fresh_store, before)


def test_wgi_import_round_trip(fresh_store: Store) -> None:
    result = runner.invoke(app, ["import", "wgi", str(FIXTURES / "WGI_DataBank_extract_Data.csv")])
    assert result.exit_code == 0, result.output
    bhs = critmin.governance(country="Bahamas", year=2013)
    assert bhs["control_of_corruption"].iloc[0] == pytest.approx(1.33469569683075)
