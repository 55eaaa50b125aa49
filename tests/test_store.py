"""The DuckDB store: atomic build, transactional row replacement, bookkeeping."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.data.import_summary import ImportOrigin
from critmin.store import Store, StoreError, default_path, package_hash


def _snapshot(store: Store, table: str) -> pd.DataFrame:
    cols = store.columns(table)
    return store.query(f"select * from {table} order by all").reset_index(drop=True)[cols]


def test_default_path_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CRITMIN_DB", str(tmp_path / "x.duckdb"))
    assert default_path() == tmp_path / "x.duckdb"


def test_build_records_editions_and_package_hash(built_store: Store) -> None:
    info = built_store.info().set_index("name")
    assert info.loc["usgs_mcs", "editions"] == "2024;2025;2026"
    assert info.loc["baci_trade", "rows"] > 700_000
    assert built_store.meta()["package_hash"] == package_hash()


ORIGIN = ImportOrigin(("test",), ("2024 update",))


def test_upsert_updates_by_key_and_keeps_the_rest(fresh_store: Store) -> None:
    before = fresh_store.query("select * from wgi where year = 2023")
    changed = before.head(10).copy()
    changed["political_stability"] = 0.5
    summary = fresh_store.upsert("wgi", changed, origin=ORIGIN)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (0, 10, 0, 0)
    after = fresh_store.query("select * from wgi where year = 2023")
    assert len(after) == len(before)
    assert (after.set_index("iso3").loc[changed["iso3"], "political_stability"] == 0.5).all()
    assert fresh_store.imports()["origin"].tolist() == ["test"]


def test_upsert_replace_years_and_dry_run(fresh_store: Store) -> None:
    rows = fresh_store.query("select * from wgi where year = 2023").head(5)
    n2023 = len(fresh_store.query("select * from wgi where year = 2023"))
    dry = fresh_store.upsert("wgi", rows, origin=ORIGIN, replace="years", dry_run=True)
    assert (dry.unchanged, dry.removed) == (5, n2023 - 5)
    assert len(fresh_store.query("select * from wgi where year = 2023")) == n2023
    fresh_store.upsert("wgi", rows, origin=ORIGIN, replace="years")
    assert len(fresh_store.query("select * from wgi where year = 2023")) == 5
    assert len(fresh_store.query("select * from wgi where year = 2022")) > 200


def test_upsert_refuses_repeated_keys(fresh_store: Store) -> None:
    rows = fresh_store.query("select * from wgi where year = 2023").head(2)
    with pytest.raises(StoreError, match="repeat the key iso3="):
        fresh_store.upsert("wgi", pd.concat([rows, rows]), origin=ORIGIN)


def test_failed_replace_leaves_the_store_unchanged(fresh_store: Store) -> None:
    before = _snapshot(fresh_store, "wgi")
    bad = fresh_store.query("select * from wgi where year = 2023")
    bad["year"] = "not a year"  # the insert fails after the delete ran inside the transaction
    with pytest.raises(Exception, match=r"(?i)conver|cast"):
        fresh_store.upsert("wgi", bad, origin=ORIGIN)
    pd.testing.assert_frame_equal(_snapshot(fresh_store, "wgi"), before)
    assert fresh_store.imports().empty


def test_upsert_rejects_wrong_columns(fresh_store: Store) -> None:
    with pytest.raises(StoreError, match="must have columns"):
        fresh_store.upsert("wgi", pd.DataFrame({"iso3": ["CHN"]}), origin=ORIGIN)


def test_unknown_table_is_named(built_store: Store) -> None:
    with pytest.raises(StoreError, match="no table 'nope'"):
        built_store.columns("nope")


def _set_hash(store: Store, value: str) -> None:
    import duckdb

    con = duckdb.connect(str(store.path))
    con.execute("update meta set value = ? where key = 'package_hash'", [value])
    con.close()


def test_store_from_an_older_package_is_rebuilt(fresh_store: Store) -> None:
    _set_hash(fresh_store, "older")
    assert not fresh_store.is_current()
    fresh_store.ensure()
    assert fresh_store.is_current()
    assert fresh_store.meta()["package_hash"] == package_hash()


def test_store_with_user_imports_is_kept_across_package_changes(fresh_store: Store) -> None:
    rows = fresh_store.query("select * from wgi where year = 2023")
    fresh_store.upsert("wgi", rows, origin=ImportOrigin(("user file",), ("2024 update",)))
    _set_hash(fresh_store, "older")
    fresh_store.ensure()
    assert fresh_store.imports()["origin"].tolist() == ["user file"]
