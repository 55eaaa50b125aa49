"""Scenario runs over the API: a job per run in a background pool, its status, tables, limits and failures."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from critmin.store import Store

#: the JSON form of a small scenario file: China restricts separated rare-earth exports to every destination for 6 months
SPEC: dict[str, Any] = {
    "scenario": {"name": "REE licensing, all destinations", "start": "2025-04", "months": 6},
    "restriction": [
        {
            "issuer": "CHN",
            "commodity": "rare-earths",
            "stage": "refining",
            "targets": ["all"],
            "start": "2025-04",
            "duration": 6,
            "severity": {"dist": "uniform", "low": 0.5, "high": 0.9},
        }
    ],
    "prices": {"demand_elasticity": -0.5, "supply_elasticity": 0.5},
}


def _finished(client: TestClient, job_id: str) -> dict[str, Any]:
    for _ in range(300):
        job: dict[str, Any] = client.get(f"/api/scenarios/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_a_scenario_runs_in_the_background_and_gives_its_tables(client: TestClient) -> None:
    got = client.post("/api/scenarios", params={"draws": 50, "seed": 3}, json=SPEC)
    assert got.status_code == 202, got.text
    job = got.json()
    assert job["status"] in ("queued", "running", "done") and got.headers["location"].endswith(job["id"])
    done = _finished(client, job["id"])
    assert done["status"] == "done" and done["error"] is None and done["progress"] == 1.0
    results = done["results"]
    assert set(results) == {"shortfall", "sectors", "volumes", "prices", "flows", "notes"}
    importers = {r["importer"] for r in results["shortfall"] if r["unserved"] > 0}
    assert {"USA", "JPN"} <= importers
    fan = results["prices"]
    assert all(r["multiple_p05"] <= r["multiple_median"] <= r["multiple_p95"] for r in fan)
    csv = client.get(f"/api/scenarios/{job['id']}/shortfall", params={"format": "csv"})
    assert (
        csv.headers["content-type"].startswith("text/csv")
        and csv.text.count("\n") == len(results["shortfall"]) + 1
    )
    assert "etag" not in client.get(f"/api/scenarios/{job['id']}").headers  # job state is not the store's
    again = _finished(
        client, client.post("/api/scenarios", params={"draws": 50, "seed": 3}, json=SPEC).json()["id"]
    )
    assert again["results"] == results  # same seed, same result


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("restriction", 0, "severity"), 1.5, "restriction.0.severity"),
        (("restriction", 0, "sevrity"), 0.5, "restriction.0.sevrity"),
        (("scenario", "months"), 0, "scenario.months"),
        (("restriction", 0, "licence_delay"), -1, "restriction.0.licence_delay"),
        (("restriction", 0, "licence_delay"), 121, "restriction.0.licence_delay"),
    ],
)
def test_an_invalid_spec_names_the_field(
    client: TestClient, path: tuple[Any, ...], value: Any, field: str
) -> None:
    spec = copy.deepcopy(SPEC)
    node: Any = spec
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    got = client.post("/api/scenarios", json=spec)
    assert got.status_code == 422
    assert got.json()["code"] == "invalid_parameter" and got.json()["field"].startswith(field), got.json()


def test_a_licence_delay_is_accepted_and_stops_deliveries_at_first(client: TestClient) -> None:
    """The builder's licence delay reaches the run: two months with nothing delivered (severity 1 instead of
    the median 0.7) drain the importers' stocks sooner, so the run is short of more than without them."""

    def unserved(delay: int) -> pd.Series:
        spec = copy.deepcopy(SPEC)
        spec["restriction"][0]["licence_delay"] = delay
        got = client.post("/api/scenarios", params={"draws": 0}, json=spec)
        assert got.status_code == 202, got.text
        done = _finished(client, got.json()["id"])
        assert done["status"] == "done", done["error"]
        rows = pd.DataFrame(done["results"]["shortfall"])
        return rows[rows["stage"] == "refining"].groupby("month")["unserved"].sum().sort_index()

    plain, delayed = unserved(0), unserved(2)
    assert (delayed >= plain - 1e-9).all(), (plain, delayed)
    assert delayed.sum() > plain.sum() * 1.05, (plain, delayed)


def test_the_builder_lists_the_documented_defaults(client: TestClient) -> None:
    """The scenario page shows each documented [response]/[prices] key, its value and its source."""
    from critmin.scenario.parameters import KEYS, documented

    page = client.get("/scenarios")
    assert page.status_code == 200
    html = page.text
    assert 'name="licence_delay"' in html and 'aria-describedby="licence-delay-help"' in html
    assert "documented defaults" in html
    for section, keys in KEYS.items():
        for key in keys:
            assert f'<code class="key">{section}.{key}</code>' in html
    assert "uniform 1\u20133.3 months of consumption" in html  # stocks_months, a distribution
    assert "4 % of the market per year" in html  # ramp, a number
    assert "Assumption:" in html and "Sprecher et al. 2017" in html
    why = documented().why["stocks_months"]
    first = why.split("https://", 1)[1].split(" ", 1)[0]
    assert f'href="https://{first}"' in html  # the full source list, linked, in a <details>


def test_a_failed_job_says_why(client: TestClient) -> None:
    spec = copy.deepcopy(SPEC)
    spec["restriction"][0]["issuer"] = "Atlantis"
    job = _finished(client, client.post("/api/scenarios", params={"draws": 0}, json=spec).json()["id"])
    assert job["status"] == "failed" and job["error"]["code"] == "invalid_spec"
    assert "Atlantis" in job["error"]["message"] and job["results"] is None
    table = client.get(f"/api/scenarios/{job['id']}/prices")
    assert table.status_code == 409 and table.json()["code"] == "not_finished"
    assert client.get("/api/scenarios/0123456789abcdef0123456789abcdef").json()["code"] == "not_found"


@pytest.fixture()
def limited(built_store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TestClient]:
    """An app allowing 100 draws and one job at a time, its runs held until the test releases them."""
    from critmin.scenario import Scenario
    from critmin.web.app import create_app

    monkeypatch.setenv("CRITMIN_WEB_MAX_DRAWS", "100")
    monkeypatch.setenv("CRITMIN_WEB_MAX_JOBS", "1")
    monkeypatch.setenv("CRITMIN_WEB_JOBS_DIR", str(tmp_path))
    release = threading.Event()
    run = Scenario.run

    def held(self: Scenario, *args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        return run(self, *args, **kwargs)

    monkeypatch.setattr(Scenario, "run", held)
    with TestClient(create_app(), base_url="http://127.0.0.1") as c:
        c.release = release
        yield c
    release.set()


def test_limits_on_draws_and_concurrent_jobs(limited: TestClient) -> None:
    from critmin.web.app import create_app

    over = limited.post("/api/scenarios", params={"draws": 101}, json=SPEC)
    assert over.status_code == 422 and over.json()["field"] == "draws"
    first = limited.post("/api/scenarios", params={"draws": 10}, json=SPEC).json()
    busy = limited.post("/api/scenarios", params={"draws": 10}, json=SPEC)
    assert busy.status_code == 429 and busy.json()["code"] == "too_many_jobs" and busy.headers["retry-after"]
    limited.release.set()
    assert _finished(limited, first["id"])["status"] == "done"
    # another worker process of the same server (same jobs directory) answers for the job
    with TestClient(create_app(), base_url="http://127.0.0.1") as other:
        assert other.get(f"/api/scenarios/{first['id']}").json()["status"] == "done"
    assert limited.post("/api/scenarios", params={"draws": 10}, json=SPEC).status_code == 202
