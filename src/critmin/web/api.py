"""The REST API under ``/api``: thin wrappers around :mod:`critmin.query`, :mod:`critmin.risk` and
:mod:`critmin.events`.

Table endpoints answer a JSON array of records (the field names of the library's DataFrames and of the
CLI's ``--format json``) or, with ``?format=csv``, CSV made safe for spreadsheets. Errors are JSON objects
with ``code`` and ``message`` (see :mod:`critmin.web.app`). Write endpoints need the server's bearer token.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from critmin.cli.common import csv_cell, records

router = APIRouter(prefix="/api")
bearer = HTTPBearer(auto_error=False, description="the token the server owner set with --token-file")

Format = Annotated[Literal["json", "csv"], Query(alias="format", description="json (default) or csv")]
Commodity = Annotated[str, Query(description="commodity name or id, e.g. rare-earths")]
Countries = Annotated[list[str] | None, Query(description="ISO3 codes or names; repeat for several")]
Years = Annotated[list[int] | None, Query(description="one or more years; repeat for several")]
Edition = Annotated[int | None, Query(description="USGS MCS edition (default: the newest holding the data)")]


class ErrorBody(BaseModel):
    """Every error response: a machine code, a message, and where it applies the field and suggestions."""

    code: str = Field(description="machine-readable error code, e.g. unknown_name, invalid_parameter")
    message: str
    field: str | None = None
    suggestions: list[str] | None = None
    errors: list[dict[str, str]] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "unknown name (with suggestions) or no data"},
    422: {"model": ErrorBody, "description": "invalid parameter (names the field) or value out of range"},
}
TABLE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON array of records, or CSV with ?format=csv",
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "text/csv": {"schema": {"type": "string"}},
        },
    },
    304: {"description": "not modified (If-None-Match matched the ETag)"},
    **ERRORS,
}
WRITE: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "the body is not JSON"},
    401: {"model": ErrorBody, "description": "no or wrong token"},
    **ERRORS,
}


def table(frame: pd.DataFrame, fmt: str, name: str, headers: dict[str, str] | None = None) -> Response:
    """``frame`` as a JSON array of records or as a CSV download named ``name.csv``."""
    if fmt == "csv":
        flat = frame.apply(lambda col: col.map(csv_cell) if col.dtype.kind in "fO" else col)
        return Response(
            flat.to_csv(index=False, lineterminator="\n"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"', **(headers or {})},
        )
    body = json.dumps(records(frame), ensure_ascii=False, allow_nan=False, default=str)
    return Response(body, media_type="application/json", headers=headers)


# --------------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------------
@router.get("/commodities", tags=["data"], responses=TABLE)
def commodities(fmt: Format = "json") -> Response:
    """The commodity vocabulary: id, name, kind, symbol, groups, members, synonyms, HS codes."""
    import critmin

    return table(critmin.commodities(), fmt, "commodities")


@router.get("/sources", tags=["data"], responses=TABLE)
def sources(fmt: Format = "json") -> Response:
    """Every dataset in the store with its citation, edition and licence."""
    import critmin

    return table(critmin.sources(), fmt, "sources")


@router.get("/production/{commodity}", tags=["data"], responses=TABLE)
def production(
    commodity: str,
    source: Literal["usgs", "wmd"] = "usgs",
    edition: Edition = None,
    year: Years = None,
    country: Countries = None,
    fmt: Format = "json",
) -> Response:
    """Production by country: USGS MCS (one edition, world total as WLD) or World Mining Data."""
    import critmin

    frame = critmin.production(commodity, year=year, edition=edition, source=source, country=country)
    return table(frame, fmt, f"production-{commodity}")


@router.get("/reserves/{commodity}", tags=["data"], responses=TABLE)
def reserves(
    commodity: str, edition: Edition = None, country: Countries = None, fmt: Format = "json"
) -> Response:
    """USGS MCS reserves by country for one edition."""
    import critmin

    return table(critmin.reserves(commodity, edition=edition, country=country), fmt, f"reserves-{commodity}")


@router.get("/stage-shares/{commodity}", tags=["data"], responses=TABLE)
def stage_shares(
    commodity: str,
    stage: Annotated[str | None, Query(description="mining, refining, metal, magnet, anode")] = None,
    projections: bool = False,
    fmt: Format = "json",
) -> Response:
    """Country shares of world output by supply-chain stage, each with its source and year."""
    import critmin

    frame = critmin.stage_shares(commodity, stage=stage, projections=projections)
    return table(frame, fmt, f"stage-shares-{commodity}")


@router.get("/trade", tags=["data"], responses=TABLE)
def trade(
    commodity: Annotated[str | None, Query(description="commodity (selects its HS codes)")] = None,
    hs: Annotated[list[str] | None, Query(description="HS92 6-digit codes")] = None,
    year: Years = None,
    exporter: Countries = None,
    importer: Countries = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=5000)] = 500,
    fmt: Format = "json",
) -> Response:
    """Bilateral trade flows (CEPII BACI HS92), paginated: ``X-Total-Count`` gives the number of rows."""
    import critmin

    frame = critmin.trade(hs=hs, commodity=commodity, year=year, exporter=exporter, importer=importer)
    start = (page - 1) * page_size
    headers = {"X-Total-Count": str(len(frame)), "X-Page": str(page), "X-Page-Size": str(page_size)}
    return table(frame.iloc[start : start + page_size], fmt, f"trade-page{page}", headers)


@router.get("/governance", tags=["data"], responses=TABLE)
def governance(country: Countries = None, year: Years = None, fmt: Format = "json") -> Response:
    """World Bank WGI estimates with their mean."""
    import critmin

    return table(critmin.governance(country=country, year=year), fmt, "governance")


# --------------------------------------------------------------------------------------------------
# risk
# --------------------------------------------------------------------------------------------------
@router.get("/concentration/{commodity}", tags=["risk"], responses=TABLE)
def concentration(
    commodity: str,
    year: Years = None,
    source: Literal["usgs", "wmd", "trade"] = "usgs",
    edition: Edition = None,
    stage: str | None = None,
    fmt: Format = "json",
) -> Response:
    """Concentration of supply (shares, HHI 0–1 and 0–10,000, CR1, CR3) by stage and year."""
    from critmin import risk

    frame = risk.concentration(commodity, year, source=source, edition=edition, stage=stage)
    return table(frame, fmt, f"concentration-{commodity}")


@router.get("/risk/{method}", tags=["risk"], responses=TABLE)
def risk_by_method(
    method: Literal["hhi", "eu", "geopolrisk", "usgs", "summary"],
    commodity: Commodity,
    country: Annotated[str | None, Query(description="importing country (geopolrisk, usgs, summary)")] = None,
    year: Annotated[int | None, Query(description="year")] = None,
    fmt: Format = "json",
) -> Response:
    """One published supply-risk method for a commodity (``summary``: every method side by side)."""
    from critmin import risk

    if method == "hhi":
        frame = risk.concentration(commodity, year)
    elif method == "eu":
        frame = risk.eu_supply_risk(commodity, years=year)
    elif method == "geopolrisk":
        frame = risk.geopolrisk(commodity, country, year)
    elif method == "usgs":
        frame = risk.usgs_supply_risk(commodity, country or "USA", year)
    else:
        frame = risk.summary(commodity, country=country, year=year)
    return table(frame, fmt, f"risk-{method}-{commodity}")


# --------------------------------------------------------------------------------------------------
# events
# --------------------------------------------------------------------------------------------------
def _event_records(frame: pd.DataFrame) -> pd.DataFrame:
    """Registry rows in the record shape of ``critmin events --format json`` (lists, sources)."""
    from critmin.events import files, registry

    urls = registry.sources(frame["event_id"])
    by_event = {str(k): list(v) for k, v in urls.groupby("event_id")["url"].apply(list).items()}
    return pd.DataFrame(files.to_json_records(frame, by_event))


@router.get("/events", tags=["events"], responses=TABLE)
def events(
    as_of: Annotated[str | None, Query(description="date YYYY-MM-DD (default today)")] = None,
    in_force: Annotated[bool, Query(description="only measures in force on the as-of date")] = False,
    commodity: str | None = None,
    issuer: Annotated[str | None, Query(description="issuing country")] = None,
    target: Annotated[str | None, Query(description="targeted country (measures on all match too)")] = None,
    measure: Annotated[list[str] | None, Query(description="measure types, e.g. export_ban")] = None,
    status: Annotated[list[str] | None, Query(description="statuses as recorded")] = None,
    provenance: Annotated[
        list[Literal["critmin", "OECD"]] | None, Query(description="who recorded it")
    ] = None,
    as_recorded: Annotated[
        str | None, Query(description="read the registry as recorded on this date")
    ] = None,
    fmt: Format = "json",
) -> Response:
    """Export-control measures known by the as-of date, each with whether it is in force then and why."""
    from datetime import date

    import critmin

    frame = critmin.events(
        commodity=commodity,
        country=issuer,
        target=target,
        measure=measure,
        status=status,
        provenance=provenance,
        as_of=as_of or date.today().isoformat(),
        in_force=True if in_force else None,
        as_recorded=as_recorded or None,
    )
    return table(_event_records(frame), fmt, "events")


@router.get("/events/{event_id}", tags=["events"], responses=ERRORS)
def event(event_id: str, as_of: str | None = None) -> dict[str, Any]:
    """One measure with all its fields, relations, sources and whether it is in force on ``as_of``."""
    from datetime import date

    import critmin
    from critmin.events import registry

    registry.get(event_id)
    frame = critmin.events(as_of=as_of or date.today().isoformat())
    hit = frame[frame["event_id"] == event_id]
    if hit.empty:  # not yet known on that date: the record without the in-force answer
        full, _ = registry.load()
        hit = full[full["event_id"] == event_id]
    record: dict[str, Any] = records(_event_records(hit))[0]
    record["cited"] = records(registry.sources([event_id]))
    return record


@router.get("/events/{event_id}/history", tags=["events"], responses=TABLE)
def event_history(event_id: str, fmt: Format = "json") -> Response:
    """Every recorded change of a measure: when, by whom, from which source, old and new value."""
    from critmin.events import registry

    frame = registry.history(event_id)
    cols = ["change_id", "recorded_at", "action", "field", "old_value", "new_value", "by", "source_url"]
    return table(frame[cols], fmt, f"history-{event_id}")


# --------------------------------------------------------------------------------------------------
# sites
# --------------------------------------------------------------------------------------------------
@router.get(
    "/sites",
    tags=["data"],
    responses={
        200: {
            "description": "GeoJSON FeatureCollection (points), or CSV with ?format=csv",
            "content": {"application/geo+json": {"schema": {"type": "object"}}, "text/csv": {}},
        },
        304: {"description": "not modified"},
        **ERRORS,
    },
)
def sites(
    commodity: str | None = None,
    country: Countries = None,
    site_type: Annotated[
        list[str] | None, Query(description="mine, deposit, district, …_plant, refinery")
    ] = None,
    status: Annotated[list[str] | None, Query(description="producing, development, exploration, …")] = None,
    collapse: Annotated[bool, Query(description="one point per physical site (same_site_cluster)")] = True,
    fmt: Format = "json",
) -> Response:
    """Located mines, deposits, districts and plants as GeoJSON points, each with its source and licence."""
    import critmin

    frame = critmin.sites(commodity, country=country, site_type=site_type, status=status, collapse=collapse)
    if fmt == "csv":
        return table(frame, fmt, "sites")
    props = records(frame.drop(columns=["latitude", "longitude"]))
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": p}
        for lon, lat, p in zip(frame["longitude"], frame["latitude"], props, strict=True)
    ]
    body = {"type": "FeatureCollection", "features": features}
    return Response(json.dumps(body, ensure_ascii=False, allow_nan=False), media_type="application/geo+json")


@router.get("/flows/{commodity}", tags=["data"], responses=TABLE)
def flows(
    commodity: str,
    stage: Annotated[
        str, Query(description="the stage whose products are traded (default mining)")
    ] = "mining",
    year: Annotated[int | None, Query(description="year (default: the latest with flows)")] = None,
    top: Annotated[int, Query(ge=1, le=500, description="the largest flows by value")] = 30,
    fmt: Format = "json",
) -> Response:
    """Trade of a stage's products by exporter and importer (CEPII BACI HS92), the largest ``top`` by value,
    with a map point (longitude, latitude) at each end. For the mining stage (ores and concentrates) these
    are the flows from mining to refining countries; empty where no HS code isolates the stage's product."""
    import critmin
    from critmin import vocab
    from critmin.web.geo import country_points

    cid = vocab.resolve_commodity(commodity)
    codes = vocab.hs_for(cid, stage)
    columns = ["year", "exporter", "importer", "value_kusd", "quantity_t", "hs", "source"]
    ends = ["exporter_lon", "exporter_lat", "importer_lon", "importer_lat"]
    if not codes:
        return table(pd.DataFrame(columns=[*columns, *ends]), fmt, f"flows-{cid}-{stage}")
    frame = critmin.trade(hs=codes, year=year)
    frame = frame[frame["year"] == (year if year is not None else frame["year"].max())]
    numeric, points = vocab.iso_numeric_codes(), country_points()
    where = {iso3: points[num] for iso3, num in numeric.items() if num in points}
    frame = frame[frame["exporter"].isin(list(where)) & frame["importer"].isin(list(where))]
    frame = frame[frame["exporter"] != frame["importer"]]
    summed = (
        frame.groupby(["year", "exporter", "importer"], as_index=False)
        .agg(
            value_kusd=("value_kusd", "sum"),
            quantity_t=("quantity_t", "sum"),
            hs=("hs", lambda h: ";".join(sorted(set(map(str, h))))),
            source=("source", "first"),
        )
        .nlargest(top, "value_kusd")
        .reset_index(drop=True)
    )
    for end in ("exporter", "importer"):
        summed[f"{end}_lon"] = [where[c][0] for c in summed[end]]
        summed[f"{end}_lat"] = [where[c][1] for c in summed[end]]
    return table(summed[[*columns, *ends]], fmt, f"flows-{cid}-{stage}")


@router.get("/countries/iso-numeric", tags=["data"], responses=TABLE)
def iso_numeric(fmt: Format = "json") -> Response:
    """ISO3 → ISO 3166 numeric codes (the keys of the world map's TopoJSON)."""
    from critmin import vocab

    frame = pd.DataFrame(
        [
            {"iso3": k, "iso_numeric": v, "source": "ISO 3166 via country_converter"}
            for k, v in vocab.iso_numeric_codes().items()
        ]
    )
    return table(frame, fmt, "iso-numeric")


# --------------------------------------------------------------------------------------------------
# writes (bearer token)
# --------------------------------------------------------------------------------------------------
def require_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    """Refuse (401) a write without the server's bearer token."""
    from critmin.web.app import check_token

    given = f"Bearer {credentials.credentials}" if credentials else None
    check_token(request.app.state.token, given)


class NewEvents(BaseModel):
    """Measures to add to the registry (all or none)."""

    records: list[dict[str, Any]] = Field(description="registry records (the fields of critmin events)")
    by: str = Field(description="who: user:NAME, news:URL or import:FILE", examples=["user:alice"])
    source_url: str | None = None


class EventEdit(BaseModel):
    """Changes to one measure; each changed field becomes one history row."""

    changes: dict[str, str] = Field(examples=[{"effective_to": "2026-11-10"}])
    by: str = Field(examples=["user:alice"])
    source_url: str = Field(description="the source of the change")


@router.post(
    "/events", tags=["events"], status_code=201, responses=WRITE, dependencies=[Depends(require_token)]
)
def add_events(body: NewEvents) -> dict[str, list[str]]:
    """Add measures to the registry (checked whole, one transaction)."""
    from critmin.events import registry

    return {"event_ids": registry.add(body.records, by=body.by, source_url=body.source_url)}


@router.patch("/events/{event_id}", tags=["events"], responses=WRITE, dependencies=[Depends(require_token)])
def edit_event(event_id: str, body: EventEdit) -> dict[str, list[str]]:
    """Change fields of one measure (append-only history with who, when and which source)."""
    from critmin.events import registry

    return {"event_ids": registry.edit(event_id, body.changes, by=body.by, source_url=body.source_url)}


# --------------------------------------------------------------------------------------------------
# news proposals (read open, decisions with the bearer token)
# --------------------------------------------------------------------------------------------------
class Rejection(BaseModel):
    """Who rejects a proposal."""

    by: str = Field(min_length=1, description="who decides (NAME, recorded as user:NAME)", examples=["alice"])


class Acceptance(Rejection):
    """Who accepts a proposal, and corrections to its record applied first."""

    changes: dict[str, str] = Field(
        default_factory=dict,
        description="FIELD → VALUE corrections of the proposed record (a blank value clears the field)",
        examples=[{"summary": "checked against the ministry's notice"}],
    )


def _user(by: str) -> str:
    return by if by.startswith("user:") else f"user:{by}"


@router.get("/news/proposals", tags=["events"], responses=TABLE)
def news_proposals(
    status: Annotated[
        Literal["pending", "accepted", "rejected", "matched", "all"],
        Query(description="pending (default): awaiting a decision; matched: known measures; all"),
    ] = "pending",
    fmt: Format = "json",
) -> Response:
    """Measures read from news articles (new ones and updates of known ones) with their evidence sentence."""
    from critmin.events import resolve

    frame = resolve.proposals(None if status == "all" else status)
    frame = frame.assign(
        candidate=frame["candidate"].map(json.loads),
        record=frame["record"].map(lambda r: json.loads(r)["record"]),
    )
    return table(frame, fmt, f"news-proposals-{status}")


@router.post(
    "/news/proposals/{proposal_id}/accept",
    tags=["events"],
    responses=WRITE,
    dependencies=[Depends(require_token)],
)
def accept_proposal(proposal_id: str, body: Acceptance) -> dict[str, str]:
    """Add the proposed measure to the registry (provenance news:URL, one transaction); returns its id."""
    from critmin.events import resolve

    event_id = resolve.accept(proposal_id, by=_user(body.by), changes=body.changes)
    return {"proposal_id": proposal_id, "status": "accepted", "event_id": event_id}


@router.post(
    "/news/proposals/{proposal_id}/reject",
    tags=["events"],
    responses=WRITE,
    dependencies=[Depends(require_token)],
)
def reject_proposal(proposal_id: str, body: Rejection) -> dict[str, str]:
    """Mark a pending proposal rejected; the registry is not touched."""
    from critmin.events import resolve

    resolve.reject(proposal_id, by=_user(body.by))
    return {"proposal_id": proposal_id, "status": "rejected"}
