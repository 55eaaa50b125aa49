"""``POST /api/imports/{kind}``: the import of ``critmin import`` over the API, with the bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from critmin.store import Store

FIXTURES = Path(__file__).parents[1] / "data" / "fixtures"
WGI = FIXTURES / "WGI_DataBank_extract_Data.csv"
URL = "/api/imports/wgi?filename=WGI_DataBank_extract_Data.csv"


def test_the_import_endpoint_is_a_write_refused_without_the_token(client: TestClient) -> None:
    ops = client.get("/openapi.json").json()["paths"]["/api/imports/{kind}"]
    assert set(ops) == {"post"}
    assert set(ops["post"]["requestBody"]["content"]) == {"text/csv", "application/octet-stream"}
    got = client.post(URL, content=WGI.read_bytes(), headers={"Content-Type": "text/csv"})
    assert got.status_code == 401
    assert got.json()["code"] == "unauthorized"


def test_a_dry_run_counts_the_changes_and_leaves_the_store_alone(
    client: TestClient, fresh_store: Store, token: str
) -> None:
    before = fresh_store.query("select * from wgi order by iso3, year")
    got = client.post(
        URL + "&dry_run=true",
        content=WGI.read_bytes(),
        headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"},
    )
    assert got.status_code == 200, got.text
    summary = got.json()
    assert summary["table"] == "wgi" and summary["dry_run"] is True
    assert summary["files"] == ["WGI_DataBank_extract_Data.csv"]
    assert summary["added"] + summary["updated"] == 34
    assert summary["skipped"] > 0
    assert "economy-years without any of the six estimates" in " ".join(summary["skipped_reasons"])
    assert fresh_store.query("select * from wgi order by iso3, year").equals(before)


def test_an_import_writes_the_file_into_the_store(client: TestClient, fresh_store: Store, token: str) -> None:
    before = fresh_store.query("select * from wgi where iso3 = 'BHS' and year = 2013")
    got = client.post(
        URL,
        content=WGI.read_bytes(),
        headers={"Content-Type": "application/octet-stream", "Authorization": f"Bearer {token}"},
    )
    assert got.status_code == 200, got.text
    assert got.json()["dry_run"] is False and got.json()["updated"] > 0
    after = fresh_store.query("select * from wgi where iso3 = 'BHS' and year = 2013")
    assert not after.equals(before)
    assert after["control_of_corruption"].iloc[0] == pytest.approx(1.33469569683075)
    assert "WGI_DataBank_extract_Data.csv" in after["source"].iloc[0]


def test_a_malformed_file_is_refused_naming_its_line(
    client: TestClient, fresh_store: Store, token: str
) -> None:
    before = fresh_store.query("select count(*) as n from wgi")
    lines = WGI.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("0.72524631023407", "abc")
    got = client.post(
        URL,
        content=("\n".join(lines) + "\n").encode(),
        headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"},
    )
    assert got.status_code == 422
    error = got.json()
    assert error["code"] == "invalid_file"
    assert error["file"] == "WGI_DataBank_extract_Data.csv" and error["line"] == 4
    assert error["column"] == "2014 [YR2014]" and "line 4" in error["message"]
    assert fresh_store.query("select count(*) as n from wgi").equals(before)


def test_an_oversized_body_is_refused(
    client: TestClient, fresh_store: Store, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRITMIN_WEB_MAX_IMPORT_BYTES", "1000")
    headers = {"Content-Type": "text/csv", "Authorization": f"Bearer {token}"}
    got = client.post(URL, content=WGI.read_bytes(), headers=headers)
    assert got.status_code == 413
    assert got.json()["code"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while the body streams in
        yield WGI.read_bytes()

    got = client.post(URL, content=chunks(), headers=headers)
    assert got.status_code == 413


def test_an_unknown_kind_names_the_known_ones(client: TestClient, token: str) -> None:
    got = client.post(
        "/api/imports/wgj?filename=x.csv",
        content=b"a,b\n",
        headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"},
    )
    assert got.status_code == 404
    assert got.json()["code"] == "unknown_name" and got.json()["suggestions"] == ["wgi"]


def test_a_baci_file_is_read_with_the_embedded_country_codes(
    client: TestClient, fresh_store: Store, token: str
) -> None:
    got = client.post(
        "/api/imports/baci?filename=BACI_HS92_Y2022_V202401b.csv&dry_run=true",
        content=(FIXTURES / "BACI_HS92_Y2022_V202401b.csv").read_bytes(),
        headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"},
    )
    assert got.status_code == 200, got.text
    assert got.json()["table"] == "baci_trade"
