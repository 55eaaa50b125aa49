"""The dashboard's pages (server-rendered Jinja templates; the charts fetch the API) and the API docs page.

Text from the registry, news and imported files reaches the page only through Jinja's autoescaping or as
JSON data drawn by Vega, never as HTML.
"""

from __future__ import annotations

from datetime import date
from functools import cache, lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)

#: the stages of the overview's stepper, in the order of the chain
STAGES = [
    ("reserves", "Reserves"),
    ("mining", "Mining"),
    ("refining", "Refining"),
    ("metal", "Metal"),
    ("magnet", "Magnets"),
]


@cache
def _templates() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("critmin.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **context: Any) -> HTMLResponse:
    """A page from ``templates/`` (autoescaped)."""
    return HTMLResponse(_templates().get_template(name).render(**context))


def _commodities() -> list[dict[str, str]]:
    import critmin

    frame = critmin.commodities()
    held = _with_data()
    return [{"id": str(r.id), "name": str(r.name)} for r in frame.itertuples() if r.id in held]


@cache
def _with_data() -> frozenset[str]:
    """Commodities with USGS MCS rows (the ones the overview can map)."""
    from critmin.store import Store

    frame = Store.open().query("select distinct commodity from usgs_mcs")
    return frozenset(frame["commodity"])


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, commodity: str = "rare-earths") -> HTMLResponse:
    """Overview: commodity picker, world map with the sites layer, stage stepper, year slider, HHI, measures."""
    from critmin import vocab

    cid = vocab.resolve_commodity(commodity)
    return render("overview.html", commodities=_commodities(), commodity=cid, stages=STAGES, page="overview")


@router.get("/commodity/{commodity}", response_class=HTMLResponse)
def commodity_page(commodity: str, as_of: str | None = None) -> HTMLResponse:
    """The brief's content for one commodity, its charts interactive and each table downloadable as CSV."""
    from critmin import query, vocab
    from critmin.web.app import store_state

    cid = vocab.resolve_commodity(commodity)
    return HTMLResponse(_commodity_html(cid, query.parse_date(as_of), store_state()))


@lru_cache(maxsize=16)
def _commodity_html(cid: str, as_of: date, state: str) -> str:
    """The commodity page, built once per commodity, as-of date and store ``state`` (a brief takes seconds)."""
    import json

    from critmin.report.brief import build_brief

    brief = build_brief(cid, as_of=as_of)
    specs = {f.name: f.spec() for f in brief.figures}
    return str(
        _templates()
        .get_template("commodity.html")
        .render(
            brief=brief,
            commodity=cid,
            commodities=_commodities(),
            # JSON in a <script type="application/json">: "<" escaped so no text of the data can close it
            specs_json=json.dumps(specs, separators=(",", ":"), allow_nan=False, default=str).replace(
                "<", "\\u003c"
            ),
            page="commodity",
        )
    )


@router.get("/events", response_class=HTMLResponse)
def events_page() -> HTMLResponse:
    """Events: timeline with filters; each measure with its sources and history."""
    from critmin.events.model import measures

    return render("events.html", measures=measures(), commodities=_commodities(), page="events")


@router.get("/scenarios", response_class=HTMLResponse)
def scenarios_page(request: Request) -> HTMLResponse:
    """Scenario builder: a form (issuer, stage, commodities, targets, severity, duration, draws) → run → charts."""
    from critmin.web.scenarios import jobs

    return render(
        "scenarios.html",
        commodities=_commodities(),
        stages=STAGES[1:],
        max_draws=jobs(request).max_draws,
        page="scenarios",
    )


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    """Swagger UI for ``/openapi.json``, served from the vendored swagger-ui-dist (no CDN)."""
    return render("docs.html", page="docs")


@router.get("/static/vega/vega-bundle.js")
def vega_bundle() -> Response:
    """Vega, Vega-Lite and Vega-Embed as one script (from vl-convert, as the brief inlines it)."""
    from critmin.report.brief import javascript_bundle

    return Response(
        javascript_bundle(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )
