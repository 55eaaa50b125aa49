"""The REST API through httpx against the app: shapes, errors, CSV, ETag, security headers, writes."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import critmin
from critmin.store import Store

TABLES = [
    "/api/commodities",
    "/api/sources",
    "/api/production/rare-earths",
    "/api/production/rare-earths?source=wmd&year=2023",
    "/api/reserves/rare-earths?edition=2025",
    "/api/stage-shares/rare-earths?stage=magnet",
    "/api/concentration/rare-earths",
    "/api/trade?commodity=rare-earths&year=2023&importer=USA",
    "/api/governance?country=CHN&year=2023",
    "/api/risk/hhi?commodity=rare-earths",
    "/api/events?commodity=rare-earths&as_of=2025-12-01",
    "/api/events/CHN-20250404-7-REE-LICENCE/history",
    "/api/countries/iso-numeric",
    "/api/flows/graphite?year=2023",
]


def test_production_equals_the_library(client: TestClient) -> None:
    got = client.get("/api/production/rare-earths", params={"year": 2024})
    assert got.status_code == 200
    want = critmin.production("rare-earths", year=2024)
    assert len(got.json()) == len(want)
    assert set(got.json()[0]) == set(want.columns)
    assert all(r["source"] for r in got.json())


@pytest.mark.parametrize("url", TABLES)
def test_every_table_endpoint_gives_json_and_csv(client: TestClient, url: str) -> None:
    rows = client.get(url)
    assert rows.status_code == 200, rows.text
    assert isinstance(rows.json(), list) and rows.json()
    got = client.get(url + ("&" if "?" in url else "?") + "format=csv")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(got.text)))
    assert len(table) == len(rows.json())


def test_trade_is_paginated(client: TestClient) -> None:
    first = client.get("/api/trade", params={"commodity": "rare-earths", "page_size": 10})
    second = client.get("/api/trade", params={"commodity": "rare-earths", "page_size": 10, "page": 2})
    total = int(first.headers["x-total-count"])
    assert total > 20 and len(first.json()) == 10
    assert first.json() != second.json()


def test_events_reuse_the_cli_record_shape(client: TestClient) -> None:
    rows = client.get("/api/events", params={"as_of": "2025-12-01", "in_force": True}).json()
    assert rows and all(r["in_force"] is True for r in rows)
    assert {"event_id", "commodity_ids", "target", "relations", "sources", "in_force_reason"} <= set(rows[0])
    one = client.get(f"/api/events/{rows[0]['event_id']}").json()
    assert one["event_id"] == rows[0]["event_id"] and "cited" in one


def test_sites_are_geojson_with_sources(client: TestClient) -> None:
    geo = client.get("/api/sites", params={"commodity": "rare-earths", "site_type": "magnet_plant"})
    assert geo.headers["content-type"].startswith("application/geo+json")
    features = geo.json()["features"]
    assert features and all(f["geometry"]["type"] == "Point" for f in features)
    assert all(f["properties"]["source"] and f["properties"]["licence"] for f in features)
    assert {f["properties"]["site_type"] for f in features} == {"magnet_plant"}


@pytest.mark.parametrize(
    ("url", "status", "code", "suggestion"),
    [
        ("/api/production/rare-earthz", 404, "unknown_name", "rare-earths"),
        ("/api/production/rare-earths?edition=2019", 422, "out_of_range", None),
        ("/api/governance?country=GER", 404, "unknown_name", "DEU"),
        ("/api/sites?site_type=magnet", 404, "unknown_name", "magnet_plant"),
        ("/api/events/CHN-NO-SUCH-EVENT", 404, "unknown_name", None),
        ("/api/nothing-here", 404, "not_found", None),
    ],
)
def test_errors_are_json_with_a_code_and_suggestions(
    client: TestClient, url: str, status: int, code: str, suggestion: str | None
) -> None:
    got = client.get(url)
    assert got.status_code == status
    body = got.json()
    assert body["code"] == code and body["message"]
    if suggestion:
        assert suggestion in body["suggestions"]


def test_validation_errors_name_the_field(client: TestClient) -> None:
    got = client.get("/api/trade", params={"year": "last"})
    assert got.status_code == 422
    assert got.json()["code"] == "invalid_parameter" and got.json()["field"] == "year"


def test_etag_gives_304_and_changes_with_the_store(client: TestClient, fresh_store: Store) -> None:
    first = client.get("/api/commodities")
    etag = first.headers["etag"]
    again = client.get("/api/commodities", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.content
    fresh_store.path.touch()  # another store state (the fixture points CRITMIN_DB at a copy)
    assert client.get("/api/commodities", headers={"If-None-Match": etag}).status_code == 200


def test_security_headers_on_every_response(client: TestClient) -> None:
    for url in ("/", "/api/commodities", "/api/nothing-here", "/docs", "/static/app/common.js"):
        headers = client.get(url).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        script = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
        assert "unsafe-inline" not in script and "unsafe-eval" not in script
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["content-security-policy"].count("default-src") == 1, url


def test_docs_and_openapi_are_served_without_a_cdn(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    page = client.get("/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page and "http" not in page.replace(
        "http-equiv", ""
    )
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


#: operations that change nothing but compute (open like the reads, bounded by the server's limits)
RUNS = {("POST", "/api/scenarios")}


def _writes(client: TestClient) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI document that is not a read or a run, its path parameters filled in."""
    spec = client.get("/openapi.json").json()
    ops = [
        (method.upper(), re.sub(r"\{[^}]+\}", "CHN-20250404-7-REE-LICENCE", path))
        for path, ops in spec["paths"].items()
        for method in ops
        if method.lower() not in ("get", "head", "options")
    ]
    assert set(ops) >= RUNS
    return [op for op in ops if op not in RUNS]


def test_every_write_endpoint_refuses_a_request_without_the_token(client: TestClient, token: str) -> None:
    writes = _writes(client)
    assert {
        ("POST", "/api/events"),
        ("POST", "/api/news/proposals/CHN-20250404-7-REE-LICENCE/accept"),
        ("POST", "/api/news/proposals/CHN-20250404-7-REE-LICENCE/reject"),
    } <= set(writes)
    for method, path in writes:
        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": token}):
            got = client.request(method, path, json={}, headers=headers)
            assert got.status_code == 401, (method, path, headers)
            assert got.json()["code"] == "unauthorized"


def test_without_a_configured_token_writes_are_refused(built_store: Store) -> None:
    from critmin.web.app import create_app

    with TestClient(create_app(token=None), base_url="http://127.0.0.1") as c:
        for method, path in _writes(c):
            assert c.request(method, path, json={}, headers={"Authorization": "Bearer x"}).status_code == 401


def test_an_edit_with_the_token_is_recorded(client: TestClient, fresh_store: Store, token: str) -> None:
    event_id = "CHN-20250404-7-REE-LICENCE"
    got = client.patch(
        f"/api/events/{event_id}",
        json={"changes": {"status_note": "x"}, "by": "user:test", "source_url": "https://example.org/a"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert got.status_code == 422 and got.json()["code"] == "invalid_record"  # not an editable field
    got = client.patch(
        f"/api/events/{event_id}",
        json={
            "changes": {"effective_to": "2026-11-10"},
            "by": "user:test",
            "source_url": "https://example.org/a",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert got.status_code == 200, got.text
    history = client.get(f"/api/events/{event_id}/history").json()
    assert history[-1]["by"] == "user:test" and history[-1]["new_value"] == "2026-11-10"


def test_a_script_summary_is_data_not_markup(client: TestClient, fresh_store: Store, token: str) -> None:
    event_id = "CHN-20250404-7-REE-LICENCE"
    got = client.patch(
        f"/api/events/{event_id}",
        json={
            "changes": {"summary": "<script>alert(1)</script>"},
            "by": "user:test",
            "source_url": "https://example.org/b",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert got.status_code == 200, got.text
    assert client.get(f"/api/events/{event_id}").json()["summary"] == "<script>alert(1)</script>"
    page = client.get("/commodity/rare-earths", params={"as_of": "2025-12-01"}).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


#: two made-up news articles (JSON lines) from which the extractor proposes two new measures
ARTICLES = Path(__file__).with_name("articles.jsonl")


@pytest.fixture()
def proposals(fresh_store: Store) -> list[str]:
    """Two pending proposals read from news articles (extraction and resolution as ``critmin news ingest``)."""
    from critmin.events import resolve
    from critmin.events.ingest import ingest

    frame = resolve.process(ingest([str(ARTICLES)], store=fresh_store).article_ids, store=fresh_store)
    assert list(frame["status"]) == ["pending", "pending"]
    return list(frame["proposal_id"])


def test_news_proposals_are_listed_and_decided_with_the_token(
    client: TestClient, proposals: list[str], token: str
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/news/proposals").json()
    assert [p["proposal_id"] for p in listed] == proposals
    assert listed[0]["evidence"].startswith("Malaysia") and listed[0]["record"]["iso3"] == "MYS"
    assert listed[0]["candidate"]["measure"] == "export_ban"
    assert client.get("/api/news/proposals?format=csv").text.count("news.example.org") >= 2
    accept, reject = proposals
    got = client.post(
        f"/api/news/proposals/{accept}/accept",
        json={"by": "ana", "changes": {"summary": "checked"}},
        headers=auth,
    )
    assert got.status_code == 200, got.text
    event_id = got.json()["event_id"]
    measure = client.get(f"/api/events/{event_id}").json()
    assert measure["iso3"] == "MYS" and measure["summary"] == "checked"
    again = client.post(f"/api/news/proposals/{accept}/reject", json={"by": "ana"}, headers=auth)
    assert again.status_code == 422 and "already accepted" in again.json()["message"]
    got = client.post(f"/api/news/proposals/{reject}/reject", json={"by": "user:bo"}, headers=auth)
    assert got.status_code == 200 and got.json()["status"] == "rejected"
    assert client.get("/api/news/proposals").json() == []
    decided = {p["proposal_id"]: p for p in client.get("/api/news/proposals?status=all").json()}
    assert decided[accept]["decided_by"] == "user:ana" and decided[accept]["result_event_id"] == event_id
    assert decided[reject]["status"] == "rejected" and decided[reject]["decided_by"] == "user:bo"


def test_a_decision_names_a_missing_field_and_an_unknown_proposal(
    client: TestClient, proposals: list[str], token: str
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    got = client.post(f"/api/news/proposals/{proposals[0]}/accept", json={}, headers=auth)
    assert got.status_code == 422 and got.json()["field"] == "by"
    got = client.post(f"/api/news/proposals/{proposals[0]}X/reject", json={"by": "ana"}, headers=auth)
    assert got.status_code == 404 and got.json()["code"] == "unknown_name"
    assert proposals[0] in got.json()["suggestions"]


def test_flows_of_ores_run_from_mining_to_processing_countries_with_map_points(client: TestClient) -> None:
    rows = client.get("/api/flows/graphite", params={"year": 2023, "top": 5}).json()
    assert len(rows) == 5 and rows == sorted(rows, key=lambda r: -r["value_kusd"])
    assert all(r["hs"] and r["source"] and r["exporter"] != r["importer"] for r in rows)
    china = next(r for r in rows if r["exporter"] == "CHN")
    assert 73 < china["exporter_lon"] < 135 and 18 < china["exporter_lat"] < 54  # inside China's bounding box
    trade = critmin.trade(
        hs=["250410", "250490"], year=2023, exporter=china["exporter"], importer=china["importer"]
    )
    assert china["value_kusd"] == pytest.approx(trade["value_kusd"].sum())
    assert client.get("/api/flows/rare-earths").json() == []  # HS92 has no code for rare-earth ores


def test_country_points_lie_inside_their_country_even_across_the_antimeridian() -> None:
    from critmin import vocab
    from critmin.web.geo import country_points

    points, codes = country_points(), vocab.iso_numeric_codes()
    assert len(points) > 170
    lon, lat = points[codes["RUS"]]
    assert 40 < lon < 140 and 50 < lat < 70
    lon, lat = points[codes["FJI"]]
    assert abs(lon) > 175 and -20 < lat < -15
