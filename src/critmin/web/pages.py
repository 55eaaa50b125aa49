"""The dashboard's pages (server-rendered Jinja templates; the charts fetch the API) and the API docs page.

Text from the registry, news and imported files reaches the page only through Jinja's autoescaping or as
JSON data drawn by Vega, never as HTML.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache, lru_cache
from typing import Any
from urllib.parse import urlsplit

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
        defaults=_scenario_defaults(),
        page="scenarios",
    )


#: how the scenario page names each documented default: a plain label, the unit and the factor to show it in
_DEFAULT_LABELS: dict[str, tuple[str, str, float]] = {
    "spare_capacity": ("Spare capacity of other producers", "× their output", 1.0),
    "ramp": ("Ramp-up of other producers", "% of the market per year", 100.0),
    "stocks_months": ("Importers' stocks", "months of consumption", 1.0),
    "substitution": ("Substitution", "% of demand per year", 100.0),
    "rerouting": ("Re-routing to non-targets", "% of the blocked volume per year", 100.0),
    "demand_elasticity": ("Short-run demand elasticity", "", 1.0),
    "supply_elasticity": ("Short-run supply elasticity", "", 1.0),
    "cap_multiple": ("Cap on the price multiple", "× the base price", 1.0),
}
_URL = re.compile(r"https?://[^\s;()]+")
#: characters of a source shown before the rest is folded into a <details>
_SHORT_SOURCE = 100


def _number(x: float) -> str:
    return f"{x:g}".replace("-", "\u2212")


def _range(low: float, high: float) -> str:
    # an en dash between a negative and a number reads as a minus: say "to" there
    sep = " to " if low < 0 else "\u2013"
    return f"{_number(low)}{sep}{_number(high)}"


def _default_value(value: Any, unit: str, scale: float) -> str:
    """A parameter as the page shows it: ``4 % of the market per year``, ``uniform 1–3.3 months …``."""
    if isinstance(value, dict):
        low, high = value["low"] * scale, value["high"] * scale
        shown = f"{value['dist']} {_range(low, high)}"
        if "mode" in value:
            shown += f", mode {_number(value['mode'] * scale)}"
    else:
        shown = _number(float(value) * scale)
    return f"{shown} {unit}" if unit else shown


def _split_top(text: str) -> list[str]:
    """``text`` split at the semicolons outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if ch == ";" and depth <= 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _host(url: re.Match[str]) -> str:
    return urlsplit(url.group(0)).netloc.removeprefix("www.")


def _short_source(text: str) -> str:
    """A source list in brief: ``low:``/``high:`` dropped, each address by its host, repeats once, cut at a
    word near :data:`_SHORT_SOURCE` characters."""
    parts = [_URL.sub(_host, re.sub(r"^(low|high|mode): ", "", p)) for p in _split_top(text)]
    short = "; ".join(dict.fromkeys(parts))
    if len(short) <= _SHORT_SOURCE:
        return short
    cut = short[:_SHORT_SOURCE].rsplit(" ", 1)[0]
    if cut.count("(") > cut.count(")"):  # no parenthesis left open
        cut = cut[: cut.rfind("(")]
    return cut.rstrip(" ;,") + "\u2026"


def _linked(text: str) -> list[tuple[str, str | None]]:
    """``text`` as pieces of plain text and addresses (rendered as links, autoescaped)."""
    pieces: list[tuple[str, str | None]] = []
    end = 0
    for m in _URL.finditer(text):
        pieces += [(text[end : m.start()], None), (m.group(0), m.group(0))]
        end = m.end()
    return [*pieces, (text[end:], None)]


def _scenario_defaults() -> list[dict[str, Any]]:
    """The documented ``[response]`` and ``[prices]`` defaults, one row per key, for the scenario page."""
    from critmin.scenario.parameters import KEYS, documented

    doc = documented()
    rows = []
    for section, keys in KEYS.items():
        for key in keys:
            label, unit, scale = _DEFAULT_LABELS.get(key, (key.replace("_", " ").capitalize(), "", 1.0))
            why = doc.why[key]
            assumption = why.lower().startswith("assumption:")
            full = why
            if assumption:
                full = why.split(":", 1)[1].strip()
                full = full[:1].upper() + full[1:]
            short = _short_source(full)
            rows.append(
                {
                    "key": f"{section}.{key}",
                    "label": label,
                    "value": _default_value(doc.values[section][key], unit, scale),
                    "kind": "Assumption" if assumption else "Source",
                    "short": short,
                    "full": _linked(full),
                    "folded": short != full,
                }
            )
    return rows


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
