"""End to end: ``critmin brief rare-earths`` in a subprocess, then the HTML in headless Chromium.

The store is a fresh temp file (so the command also builds it, as on a first run). Every request the
page makes other than ``file:`` is blocked and recorded; the test asserts there were none, that every
chart container holds an SVG with marks, and that the console shows no errors or Vega warnings. A
full-page screenshot is saved to ``test-artifacts/rare-earths-brief.png``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: SVG elements that are data marks (not axes or legends) in Vega's SVG renderer
MARKS = (
    "svg g.mark-rect.role-mark path, svg g.mark-symbol.role-mark path, svg g.mark-line.role-mark path, "
    "svg g.mark-rule.role-mark line, svg g.mark-tick.role-mark path, svg g.mark-area.role-mark path"
)


def _critmin() -> list[str]:
    """The installed ``critmin`` console script next to this interpreter (else the same entry point)."""
    script = Path(sys.executable).with_name("critmin")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from critmin.cli.main import app; app()"]


@pytest.fixture(scope="module")
def brief_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the command once for the module; return the HTML it wrote."""
    work = tmp_path_factory.mktemp("e2e")
    out = work / "rare-earths-brief.html"
    env = {
        **os.environ,
        "CRITMIN_DB": str(work / "store.duckdb"),
        "CRITMIN_CACHE_DIR": str(work / "cache"),
    }
    proc = subprocess.run(
        [*_critmin(), "brief", "rare-earths", "--out", str(out), "--as-of", "2025-06-01"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(out)
    assert (work / "store.duckdb").exists()
    return out


def test_command_writes_one_html_file(brief_html: Path) -> None:
    assert brief_html.stat().st_size > 500_000
    assert [p.name for p in brief_html.parent.glob("*.html")] == [brief_html.name]


def test_brief_renders_offline_in_chromium(brief_html: Path) -> None:
    sync_api: Any = pytest.importorskip("playwright.sync_api")
    assert CHROMIUM.exists(), "Debian chromium is required for the browser tests (apt-get install chromium)"
    console: list[tuple[str, str]] = []
    page_errors: list[str] = []
    blocked: list[str] = []

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda msg: console.append((msg.type, msg.text)))
            page.on("pageerror", lambda exc: page_errors.append(str(exc)))

            def route(r: Any) -> None:
                if r.request.url.startswith("file:"):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(brief_html.as_uri())
            page.wait_for_selector("body[data-charts-done=true]", timeout=30_000)

            containers = page.locator("[data-chart]")
            names = [containers.nth(i).get_attribute("data-chart") for i in range(containers.count())]
            assert len(names) >= 8, names
            for name in names:
                el = page.locator(f'[data-chart="{name}"]')
                assert el.get_attribute("data-rendered") == "true", name
                assert el.locator("svg, canvas").count() >= 1, name
                assert el.locator(MARKS).count() > 0, f"chart {name} has no marks"

            for sid in ("reserves", "production", "stages", "trade", "controls", "risk", "sources"):
                assert page.locator(f"section#{sid} h2").count() == 1, sid
            assert page.locator("section#sources table tbody tr").count() >= 3
            assert page.locator("section#controls table tbody tr").count() >= 1

            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "rare-earths-brief.png"), full_page=True)
        finally:
            browser.close()

    assert blocked == [], f"the page tried to reach the network: {blocked}"
    assert page_errors == []
    errors = [text for kind, text in console if kind == "error"]
    assert errors == []
    vega_warnings = [text for kind, text in console if kind == "warning" and "WARN" in text]
    assert vega_warnings == []
