"""End to end: ``critmin serve`` on a free loopback port, its pages in headless Chromium (Playwright).

Each page must load with no console error and no request leaving 127.0.0.1; the commodity picker repaints
the map; the map draws the sites and the type filter changes them; a measure whose summary is a
``<script>`` tag shows as text; axe-core finds no serious or critical violation.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from critmin.store import Store

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCRIPT = "<script>alert(1)</script>"
EVENT = "CHN-20250404-7-REE-LICENCE"
TOKEN = "e2e-token-0123456789abcdef"
#: two made-up news articles from which ``critmin news ingest`` proposes two new measures
ARTICLES = Path(__file__).parents[1] / "web" / "articles.jsonl"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(built_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live ``critmin serve`` on a copy of the store, with a ``<script>`` summary written through the API."""
    work = tmp_path_factory.mktemp("serve")
    store = work / "critmin.duckdb"
    shutil.copy(built_store.path, store)
    token_file = work / "token"
    token_file.write_text(TOKEN + "\n")
    port = _free_port()
    env = {**os.environ, "CRITMIN_DB": str(store)}
    cli = [sys.executable, "-c", "from critmin.cli.main import app; app()"]
    subprocess.run([*cli, "news", "ingest", str(ARTICLES)], env=env, check=True, capture_output=True)
    cmd = [*cli, "serve", "--port", str(port)]
    proc = subprocess.Popen([*cmd, "--token-file", str(token_file)], env=env, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/api/commodities", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        got = httpx.patch(
            f"{base}/api/events/{EVENT}",
            json={"changes": {"summary": SCRIPT}, "by": "user:e2e", "source_url": "https://example.org/e2e"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert got.status_code == 200, got.text
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _open(browser: Any, url: str) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r: Any) -> None:
        if r.request.url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page, errors, outside


def _sites(page: Any) -> int:
    return int(page.get_attribute("#map", "data-sites") or -1)


def _until(check: Any, timeout: float = 20.0) -> None:
    """Poll ``check()`` from Python (the page's CSP forbids the string evaluation of wait_for_function)."""
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.1)


@pytest.mark.parametrize("path", ["/", "/commodity/rare-earths?as_of=2025-12-01", "/events", "/docs"])
def test_page_loads_offline_without_errors_and_passes_axe(server: str, browser: Any, path: str) -> None:
    page, errors, outside = _open(browser, server + path)
    assert not outside, outside
    assert not errors, errors
    if path != "/docs":
        page.wait_for_selector(".chart svg", timeout=20000)
        from axe_playwright_python.sync_playwright import Axe

        result = Axe().run(page)
        bad = [v for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in bad]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(
        path=str(ARTIFACTS / f"dashboard{path.split('?')[0].replace('/', '-') or '-'}.png"), full_page=True
    )
    page.close()


def test_map_draws_sites_filters_them_and_the_picker_repaints(server: str, browser: Any) -> None:
    page, errors, _ = _open(browser, server + "/")
    _until(lambda: _sites(page) >= 0)
    all_sites = _sites(page)
    assert all_sites > 100
    assert page.locator("#map svg g.mark-symbol.role-mark path").count() >= all_sites
    page.select_option("#site-type", "magnet_plant")
    _until(lambda: _sites(page) < all_sites)
    assert 0 < _sites(page) < 30
    page.select_option("#commodity", "graphite")
    _until(lambda: page.get_attribute("#map", "data-commodity") == "graphite")
    assert "graphite" in page.inner_text("h1")
    _until(lambda: int(page.get_attribute("#map", "data-flows") or 0) > 0)  # BACI flows of graphite ores
    assert page.locator("#map svg g.mark-rule.role-mark line").count() == int(
        page.get_attribute("#map", "data-flows")
    )
    assert not errors, errors
    page.close()


def test_a_script_summary_shows_as_text(server: str, browser: Any) -> None:
    page, errors, _ = _open(browser, f"{server}/events?event={EVENT}")
    page.wait_for_selector("#detail-summary", timeout=20000)
    assert page.inner_text("#detail-summary") == SCRIPT
    assert not errors, errors
    page.close()


def test_news_proposals_are_accepted_and_rejected_with_the_token(server: str, browser: Any) -> None:
    page, errors, _ = _open(browser, f"{server}/events")
    items = page.locator("#proposals li[data-proposal]")
    _until(lambda: items.count() == 2)
    first = items.nth(0).get_attribute("data-proposal")
    page.get_by_role("button", name=f"Accept proposal {first}").click()
    _until(lambda: "name" in page.inner_text("#proposals-status"))
    page.get_by_label("Your name").fill("e2e")
    page.get_by_role("button", name=f"Accept proposal {first}").click()
    _until(lambda: "token" in page.inner_text("#proposals-status"))
    page.get_by_label("Bearer token").fill("wrong-token-0123456789")
    page.get_by_role("button", name=f"Accept proposal {first}").click()
    _until(lambda: "valid bearer token" in page.inner_text("#proposals-status"))
    page.get_by_label("Bearer token").fill(TOKEN)
    page.get_by_role("button", name=f"Accept proposal {first}").click()
    _until(lambda: page.inner_text("#proposals-status").startswith(f"Accepted {first} as MYS-"))
    _until(lambda: items.count() == 1)
    second = items.nth(0).get_attribute("data-proposal")
    page.get_by_role("button", name=f"Reject proposal {second}").focus()  # by keyboard
    page.keyboard.press("Enter")
    _until(lambda: page.inner_text("#proposals-status") == f"Rejected {second}.")
    _until(lambda: items.count() == 0)
    assert [e for e in errors if "401" not in e] == [], errors  # the refused try logs its 401
    page.close()


def test_a_small_scenario_runs_from_the_form_and_its_url_is_shareable(server: str, browser: Any) -> None:
    from critmin.scenario.parameters import KEYS

    page, errors, outside = _open(browser, f"{server}/scenarios")
    defaults = page.get_by_role("table")  # the documented defaults the form leaves to critmin, with sources
    assert defaults.get_by_role("rowheader").count() == sum(len(keys) for keys in KEYS.values())
    assert "uniform 1\u20133.3 months" in defaults.inner_text()
    source = defaults.locator("details", has=page.locator("a")).first
    assert not source.locator("a").first.is_visible()
    source.locator("summary").click()  # the full source list unfolds
    assert source.locator("a").first.is_visible()
    page.get_by_role("spinbutton", name="from", exact=True).fill("0.6")
    page.get_by_label("Duration (months)").fill("3")
    page.get_by_label("Draws").fill("20")
    delay = page.get_by_label("Licence delay (months)")
    assert delay.get_attribute("aria-describedby") == "licence-delay-help"
    delay.fill("4")  # longer than the restriction: the form does not submit
    page.get_by_role("button", name="Run").click()
    assert page.locator("#licence-delay:invalid").count() == 1 and page.inner_text("#run-status") == ""
    delay.fill("2")
    with page.expect_request(lambda r: r.method == "POST" and "/api/scenarios" in r.url) as posted:
        page.get_by_role("button", name="Run").click()
    assert [r["licence_delay"] for r in posted.value.post_data_json["restriction"]] == [2]
    page.wait_for_selector("#flows svg", timeout=30000)
    assert page.inner_text("#run-status").startswith("Done:")
    assert page.locator("#shortfall svg g.mark-rect path").count() > 0  # a bar per importer short of supply
    assert page.locator("#prices svg g.mark-area path").count() > 0  # the 5–95 % band of the fan
    shared = page.url
    assert "severity_low=0.6" in shared and "draws=20" in shared and "commodity=rare-earths" in shared
    assert "licence_delay=2" in shared
    from axe_playwright_python.sync_playwright import Axe

    bad = [v for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in bad]
    page.screenshot(path=str(ARTIFACTS / "dashboard-scenarios.png"), full_page=True)
    page.close()
    again, errors_again, _ = _open(browser, shared)  # the shared URL fills the form and runs it
    again.wait_for_selector("#flows svg", timeout=30000)
    assert again.get_by_role("spinbutton", name="from", exact=True).input_value() == "0.6"
    assert again.get_by_label("Licence delay (months)").input_value() == "2"
    assert not outside and not errors and not errors_again, (outside, errors, errors_again)
    again.close()
