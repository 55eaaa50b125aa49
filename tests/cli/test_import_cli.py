"""``critmin import``: official files in, one transaction, clear errors and an unchanged store on bad input."""

from __future__ import annotations

import json
import re
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
    counts = _counts(result.stdout)
    assert counts["added"] == 0 and counts["removed"] == 0 and counts["updated"] >= 1  # China 2023 at least
    assert counts["updated"] + counts["unchanged"] == 12  # the file's 6 countries x 2 years
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
    assert _counts(result.stdout)["added"] + _counts(result.stdout)["updated"] <= len(fixture)
    assert len(stored) > len(fixture)  # upsert: the flows the file lacks are kept
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


# --- what an import changes ---------------------------------------------------------------------------


WGI = FIXTURES / "WGI_DataBank_extract_Data.csv"


def _counts(output: str) -> dict[str, int]:
    found = re.findall(r"^  (added|updated|removed|unchanged|skipped)\s+([\d,]+)$", output, re.M)
    return {name: int(n.replace(",", "")) for name, n in found}


def test_partial_wgi_file_updates_its_rows_and_keeps_the_others(fresh_store: Store) -> None:
    before = fresh_store.query("select * from wgi")
    result = runner.invoke(app, ["import", "wgi", str(WGI)])
    assert result.exit_code == 0, result.output
    after = fresh_store.query("select * from wgi")
    assert after["iso3"].nunique() == before["iso3"].nunique() > 200
    assert len(after) == len(before)
    counts = _counts(result.stdout)
    in_file = {"BHS", "CHN", "MMR", "ANT"}
    stored = before[before["iso3"].isin(in_file) & before["year"].between(2013, 2023)]
    assert counts == {
        "added": 34 - len(stored),
        "updated": len(stored),
        "removed": 0,
        "unchanged": 0,
        "skipped": counts["skipped"],
    }
    assert "economy-years without any of the six estimates" in result.stdout
    again = runner.invoke(app, ["import", "wgi", str(WGI)])
    assert _counts(again.stdout)["unchanged"] == 34 and _counts(again.stdout)["updated"] == 0


def test_dry_run_counts_and_writes_nothing(fresh_store: Store) -> None:
    before = _snapshot(fresh_store)
    result = runner.invoke(app, ["import", "wgi", str(WGI), "--replace", "all", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run: nothing was written" in result.stdout
    assert _counts(result.stdout)["removed"] == len(before["wgi"]) - _counts(result.stdout)["updated"]
    _assert_unchanged(fresh_store, before)


def test_replace_years_removes_the_rest_of_those_years_only(fresh_store: Store) -> None:
    before = fresh_store.query("select iso3, year from wgi")
    result = runner.invoke(app, ["import", "wgi", str(WGI), "--replace", "years", "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    after = fresh_store.query("select iso3, year from wgi")
    in_years = before["year"].between(2013, 2023)
    assert set(after[after["year"].between(2013, 2023)]["iso3"]) == {"BHS", "CHN", "MMR", "ANT"}
    assert len(after[~after["year"].between(2013, 2023)]) == len(before[~in_years])
    assert summary["removed"] == len(before) - len(after) + summary["added"]
    assert summary["replace"] == "years" and summary["key"] == ["iso3", "year"]
    assert summary["files"] == [WGI.name] and summary["dry_run"] is False


def test_replace_all_makes_the_file_the_table(fresh_store: Store) -> None:
    result = runner.invoke(app, ["import", "wgi", str(WGI), "--replace", "all"])
    assert result.exit_code == 0, result.output
    assert len(fresh_store.query("select * from wgi")) == 34
    info = fresh_store.info().set_index("name")
    assert info.loc["wgi", "rows"] == 34 and info.loc["wgi", "editions"] == "2024 update"
    wgi = critmin.sources().query("name == 'wgi'")
    assert len(wgi) == 1  # the embedded package's entry is gone with its rows
    row = wgi.iloc[0]
    assert row["file"] == WGI.name and row["released"] == "2024-11-05" and row["imported"]
    assert row["source"].startswith(f"{WGI.name}, imported ")
    assert row["url"].startswith("https://") and row["licence"] == "CC BY 4.0"


def test_sources_cite_urls_and_licences_and_have_a_source(built_store: Store) -> None:
    frame = critmin.sources()
    assert frame["source"].notna().all() and frame["licence"].notna().all()
    urls = frame["url"].dropna()
    assert urls.str.match(r"https?://").all(), urls[~urls.str.match(r"https?://")]


def test_wgi_without_footer_needs_a_date_from_the_command_line(fresh_store: Store, tmp_path: Path) -> None:
    lines = WGI.read_bytes().split(b"\r\n")
    path = tmp_path / WGI.name
    path.write_bytes(b"\r\n".join(raw for raw in lines if not raw.startswith((b"Last", b"Data from"))))
    refused = runner.invoke(app, ["import", "wgi", str(path)])
    assert refused.exit_code == 2 and "--released" in refused.output and "pass edition=" not in refused.output
    result = runner.invoke(app, ["import", "wgi", str(path), "--released", "2025-10-01", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert set(
        fresh_store.query("select distinct edition from wgi where iso3 = 'BHS' and year = 2013")["edition"]
    ) == {"2025 update"}
    assert critmin.sources().query("name == 'wgi' and edition == '2025 update'")["released"].tolist() == [
        "2025-10-01"
    ]


def test_baci_repeated_flow_changes_nothing(fresh_store: Store, tmp_path: Path) -> None:
    before = _snapshot(fresh_store)
    lines = (FIXTURES / "BACI_HS92_Y2022_V202401b.csv").read_bytes().splitlines(keepends=True)
    path = tmp_path / "BACI_HS92_Y2022_V202401b.csv"
    path.write_bytes(b"".join([*lines, lines[2]]))
    result = runner.invoke(
        app, ["import", "baci", str(path), "--country-codes", str(FIXTURES / "country_codes_V202401b.csv")]
    )
    assert result.exit_code == 2
    assert f"line {len(lines) + 1}" in result.output and "of line 3 repeats" in result.output
    _assert_unchanged(fresh_store, before)


def test_baci_edition_from_the_command_line(fresh_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "trade.csv"
    path.write_bytes((FIXTURES / "BACI_HS92_Y2022_V202401b.csv").read_bytes())
    (tmp_path / "codes.csv").write_bytes((FIXTURES / "country_codes_V202401b.csv").read_bytes())
    codes = ["--country-codes", str(tmp_path / "codes.csv")]
    refused = runner.invoke(app, ["import", "baci", str(path), *codes])
    assert refused.exit_code == 2 and "--edition" in refused.output
    result = runner.invoke(app, ["import", "baci", str(path), *codes, "--edition", "V202501"])
    assert result.exit_code == 0, result.output
    assert "V202501" in fresh_store.info().set_index("name").loc["baci_trade", "editions"].split(";")
