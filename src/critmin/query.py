"""The public data API: tidy DataFrames from the store, each row with its ``source``.

Names are resolved through :mod:`critmin.vocab` (unknown names raise ``UnknownNameError`` with
suggestions). USGS editions are never mixed: one call returns one edition, the newest that holds the
requested commodity and years unless ``edition`` is given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Literal

import pandas as pd

from critmin import vocab
from critmin.store import Store

PRODUCTION_COLUMNS = [
    "dataset", "commodity", "product", "stage", "edition", "year", "country", "iso3",
    "value", "unit", "estimated", "note", "source",
]  # fmt: skip
WGI_ESTIMATES = [
    "voice_accountability", "political_stability", "government_effectiveness",
    "regulatory_quality", "rule_of_law", "control_of_corruption",
]  # fmt: skip
WMD_FLAGS = {"r": "reported", "e": "estimated", "p": "preliminary"}


class NoDataError(LookupError):
    """The store holds no rows for what was asked (e.g. an edition without that commodity)."""


class OutOfRangeError(NoDataError):
    """An edition or year the store does not hold: names the ones it holds and suggests the nearest."""

    def __init__(self, what: str, value: int, valid: Iterable[int], scope: str) -> None:
        self.what = what
        self.value = value
        self.valid = sorted({int(v) for v in valid})
        self.scope = scope
        best = min((abs(v - value) for v in self.valid), default=None)
        self.suggestions = [v for v in self.valid if abs(v - value) == best]
        hint = f"; did you mean {' or '.join(str(v) for v in self.suggestions)}?" if self.suggestions else ""
        have = f"{scope}: {spans(self.valid)}" if self.valid else f"no {scope} in the store"
        super().__init__(f"no {what} {value} ({have}){hint}")


def spans(values: Iterable[int]) -> str:
    """Integers as compact ranges: ``[2010, 2011, 2012, 2015]`` → ``"2010–2012, 2015"``."""
    items = sorted({int(v) for v in values})
    parts: list[str] = []
    start = prev = None
    for v in [*items, None]:
        if start is not None and prev is not None and v == prev + 1:
            prev = v
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}–{prev}")
        start = prev = v
    return ", ".join(parts)


def check_edition(edition: int | None, valid: Iterable[Any], scope: str) -> int | None:
    """``edition`` as an int if it is one of ``valid`` (or None); else :class:`OutOfRangeError`.

    The one check of editions for every library function and command (``scope`` names what ``valid`` is,
    e.g. "USGS MCS editions with rare-earths").
    """
    if edition is None:
        return None
    have = [int(v) for v in valid]
    if int(edition) not in have:
        raise OutOfRangeError("edition", int(edition), have, scope)
    return int(edition)


def check_years(years: Any, valid: Iterable[Any], scope: str) -> list[int] | None:
    """``years`` (one or many) as a list of ints if every one is in ``valid`` (None stays None); else
    :class:`OutOfRangeError` naming the years held. The one check of years for every function and command.
    """
    items = _as_list(years)
    if items is None:
        return None
    have = {int(v) for v in valid}
    out = [int(y) for y in items]
    for y in out:
        if y not in have:
            raise OutOfRangeError("year", y, have, scope)
    return out


def data_years(table: Literal["usgs_mcs", "wmd_production", "baci_trade", "wgi"]) -> list[int]:
    """Years present in a store table, sorted (for :func:`check_years` by callers with their own data)."""
    frame = Store.open().query(f"select distinct year from {table} order by year")
    return [int(y) for y in frame["year"]]


def _missing(cid: str, table: str, title: str) -> NoDataError:
    """ "No data" for ``cid`` that points to the groups of it that ``table`` holds (neodymium → rare-earths)."""
    groups: list[str] = []
    pending = list(vocab.commodity(cid).groups)
    while pending:
        group = pending.pop(0)
        if group not in groups:
            groups.append(group)
            pending.extend(vocab.commodity(group).groups)
    held: list[str] = []
    if groups:
        marks = ", ".join("?" for _ in groups)
        frame = Store.open().query(
            f"select distinct commodity from {table} where commodity in ({marks})", groups
        )
        held = [g for g in groups if g in set(frame["commodity"])]
    hint = f"; the source reports {cid} only as part of {' and '.join(held)}: use {held[0]!r}" if held else ""
    return NoDataError(f"no {title} for {cid}{hint}")


def _as_list(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, str | int):
        return [value]
    return list(value)


def _where(clauses: list[str], params: list[Any], column: str, values: Iterable[Any] | None) -> None:
    if values is None:
        return
    vals = list(values)
    clauses.append(f"{column} in ({', '.join('?' for _ in vals)})")
    params.extend(vals)


def _countries(names: Any) -> list[str] | None:
    """ISO3 codes for one or many names; ``EU27`` expands to its members."""
    items = _as_list(names)
    if items is None:
        return None
    out: list[str] = []
    for name in items:
        iso3 = vocab.resolve_country(str(name))
        out.extend(vocab.eu27() if iso3 == "EU27" else [iso3])
    return out


def _select(table: str, clauses: list[str], params: list[Any], order: str) -> pd.DataFrame:
    where = f" where {' and '.join(clauses)}" if clauses else ""
    return Store.open().query(f"select * from {table}{where} order by {order}", params)


def commodities() -> pd.DataFrame:
    """The commodity vocabulary: id, name, kind, symbol, groups, members, synonyms, HS codes."""
    rows = []
    for cid in vocab.commodity_ids():
        com = vocab.commodity(cid)
        rows.append(
            {
                "id": com.id,
                "name": com.name,
                "kind": com.kind,
                "symbol": com.symbol,
                "groups": ";".join(com.groups),
                "members": ";".join(com.members),
                "synonyms": ";".join(com.synonyms),
                "hs_codes": ";".join(r["hs"] for r in vocab.hs_codes() if r["commodity"] == cid),
                "source": "critmin vocabulary (src/critmin/data/vocab/commodities.csv, hs_codes.csv)",
            }
        )
    return pd.DataFrame(rows)


def usgs_editions(commodity: str | None = None) -> list[int]:
    """USGS MCS editions in the store (that hold ``commodity`` if given), newest first."""
    if commodity is None:
        frame = Store.open().query("select distinct edition from usgs_mcs order by edition desc")
    else:
        frame = Store.open().query(
            "select distinct edition from usgs_mcs where commodity = ? order by edition desc",
            [vocab.resolve_commodity(commodity)],
        )
    return [int(e) for e in frame["edition"]]


def check_usgs_edition(commodity: str, edition: int | None) -> int | None:
    """``edition`` if the store holds that USGS MCS edition for ``commodity`` (or for any commodity when it
    has no USGS table of its own, as for group members like neodymium); else :class:`OutOfRangeError`."""
    cid = vocab.resolve_commodity(commodity)
    own = usgs_editions(cid)
    scope = f"USGS MCS editions with {cid}" if own else "USGS MCS editions"
    return check_edition(edition, own or usgs_editions(), scope)


def _pick_edition(cid: str, edition: int | None, years: list[int] | None) -> int:
    frame = Store.open().query("select edition, year from usgs_mcs where commodity = ? group by all", [cid])
    if frame.empty:
        raise _missing(cid, "usgs_mcs", "USGS MCS data")
    if edition is not None:
        check_edition(edition, frame["edition"], f"USGS MCS editions with {cid}")
        held = frame.loc[frame["edition"] == edition, "year"]
        check_years(years, held, f"years of {cid} in USGS MCS {edition}")
        return int(edition)
    check_years(years, frame["year"], f"years of {cid} in USGS MCS")
    if years:
        ok = frame.groupby("edition")["year"].apply(lambda ys: set(years) <= set(ys))
        candidates = [int(str(e)) for e, good in ok.items() if good]
        if not candidates:
            raise NoDataError(f"no single USGS MCS edition has {cid} for years {years}")
        return max(candidates)
    return int(frame["edition"].max())


def _usgs(
    cid: str, value_column: str, edition: int | None, years: list[int] | None, country: Any
) -> pd.DataFrame:
    chosen = _pick_edition(cid, edition, years)
    clauses, params = ["commodity = ?", "edition = ?"], [cid, chosen]
    _where(clauses, params, "year", years)
    isos = _countries(country)
    if isos is not None:
        clauses.append(f"(iso3 in ({', '.join('?' for _ in isos)}) or iso3 = 'WLD')")
        params.extend(isos)
    df = _select("usgs_mcs", clauses, params, "year, product, iso3 = 'WLD', country")
    df = df.rename(columns={value_column: "value"})
    if value_column == "reserves":  # USGS estimate marks refer to production figures only
        df["estimated"] = pd.NA
    df.insert(0, "dataset", "usgs_mcs")
    return df[PRODUCTION_COLUMNS]


def production(
    commodity: str,
    year: int | Sequence[int] | None = None,
    edition: int | None = None,
    source: Literal["usgs", "wmd"] = "usgs",
    country: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Production by country: USGS MCS (one edition, world total as ``WLD``) or World Mining Data.

    Columns: dataset, commodity, product, stage, edition, year, country, iso3, value, unit, estimated, note,
    source. Missing values (USGS W/NA) are NaN with the symbol in ``note``.
    """
    cid = vocab.resolve_commodity(commodity)
    years = _as_list(year)
    if source == "usgs":
        return _usgs(cid, "mine_production", edition, years, country)
    if source != "wmd":
        raise ValueError(f"unknown production source {source!r}; use 'usgs' or 'wmd'")
    held = Store.open().query("select distinct year from wmd_production where commodity = ?", [cid])
    if held.empty:
        raise _missing(cid, "wmd_production", "World Mining Data production")
    check_years(years, held["year"], f"years of {cid} in World Mining Data")
    clauses, params = ["commodity = ?"], [cid]
    _where(clauses, params, "year", years)
    _where(clauses, params, "iso3", _countries(country))
    df = _select("wmd_production", clauses, params, "year, wmd_commodity, country")
    return wmd_production_frame(df)


def wmd_production_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of the ``wmd_production`` table in the columns of :func:`production`."""
    out = pd.DataFrame(
        {
            "dataset": "wmd",
            "commodity": rows["commodity"],
            "product": rows["wmd_commodity"],
            "stage": rows["stage"],
            "edition": pd.NA,
            "year": rows["year"],
            "country": rows["country"],
            "iso3": rows["iso3"],
            "value": rows["value"],
            "unit": rows["unit"],
            "estimated": rows["flag"] == "e",
            "note": rows["flag"].map(WMD_FLAGS).fillna(""),
            "source": rows["source"],
        }
    )
    return out[PRODUCTION_COLUMNS]


def with_mean_estimate(wgi: pd.DataFrame) -> pd.DataFrame:
    """``wgi`` rows with ``mean_estimate``, the plain mean of the six estimates (NaN unless all six exist)."""
    out = wgi.copy()
    out.insert(len(out.columns) - 2, "mean_estimate", out[WGI_ESTIMATES].mean(axis=1, skipna=False))
    return out


def reserves(
    commodity: str, edition: int | None = None, country: str | Sequence[str] | None = None
) -> pd.DataFrame:
    """USGS MCS reserves by country for one edition (year = the edition's latest production year)."""
    cid = vocab.resolve_commodity(commodity)
    chosen = _pick_edition(cid, edition, None)
    latest = Store.open().query(
        "select max(year) as y from usgs_mcs where commodity = ? and edition = ?", [cid, chosen]
    )
    return _usgs(cid, "reserves", chosen, [int(latest["y"].iloc[0])], country)


def trade(
    hs: str | Sequence[str] | None = None,
    commodity: str | None = None,
    year: int | Sequence[int] | None = None,
    exporter: str | Sequence[str] | None = None,
    importer: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Bilateral trade flows (CEPII BACI HS92): year, exporter, importer, hs, value_kusd, quantity_t, source.

    ``commodity`` selects the HS codes mapped to it (``rare-earths`` → 280530, 284610, 284690); exporter and
    importer accept names or ISO3 codes, ``EU27`` meaning its member states.
    """
    codes = [str(h).zfill(6) for h in _as_list(hs) or []]
    if commodity is not None:
        codes += vocab.hs_for(commodity)
        if not codes:
            raise NoDataError(f"no HS codes mapped to {vocab.resolve_commodity(commodity)}")
    clauses: list[str] = []
    params: list[Any] = []
    _where(clauses, params, "hs", codes or None)
    _where(clauses, params, "year", check_years(year, data_years("baci_trade"), "years of BACI trade"))
    _where(clauses, params, "exporter", _countries(exporter))
    _where(clauses, params, "importer", _countries(importer))
    return _select("baci_trade", clauses, params, "year, hs, exporter, importer")


def governance(
    country: str | Sequence[str] | None = None, year: int | Sequence[int] | None = None
) -> pd.DataFrame:
    """World Bank WGI estimates (2024 update) with ``mean_estimate``, the mean of the six (NaN unless all six)."""
    clauses: list[str] = []
    params: list[Any] = []
    _where(clauses, params, "iso3", _countries(country))
    _where(clauses, params, "year", check_years(year, data_years("wgi"), "years of WGI estimates"))
    return with_mean_estimate(_select("wgi", clauses, params, "iso3, year"))


def stage_shares(commodity: str, stage: str | None = None, projections: bool = False) -> pd.DataFrame:
    """Country shares of world output by supply-chain stage (several sources and years may coexist).

    Projected shares (e.g. the IEA base case for 2030) are left out unless ``projections`` is true.
    """
    clauses, params = ["commodity = ?"], [vocab.resolve_commodity(commodity)]
    if not projections:
        clauses.append("not projection")
    if stage is not None:
        clauses.append("stage = ?")
        params.append(vocab.resolve_stage(stage))
    return _select("stage_shares", clauses, params, "stage, year, source, share_pct desc")


def _commodity_filter(commodity: str | None) -> tuple[list[str], list[Any]]:
    """SQL clauses and parameters selecting one commodity (none when ``commodity`` is None)."""
    if commodity is None:
        return [], []
    return ["commodity = ?"], [vocab.resolve_commodity(commodity)]


def _material_filter(material: str | None) -> tuple[list[str], list[Any]]:
    """Clauses selecting an EU material by critmin commodity id or by the EU's own material name."""
    if material is None:
        return [], []
    return ["(commodity = ? or lower(material) = lower(?))"], [_commodity_or_raw(material), material]


def end_uses(commodity: str | None = None) -> pd.DataFrame:
    """End-use shares by application (sources differ in year, scope and basis: do not sum across them)."""
    clauses, params = _commodity_filter(commodity)
    return _select("end_uses", clauses, params, "commodity, commodity_detail, scope, year, share_pct desc")


def import_sources(commodity: str | None = None, importer: str | None = None) -> pd.DataFrame:
    """Published import-source shares by importer and partner."""
    clauses, params = _commodity_filter(commodity)
    if importer is not None:
        clauses.append("importer = ?")
        params.append(importer)
    return _select("import_sources", clauses, params, "commodity, importer, period, share_pct desc")


def prices(commodity: str | None = None) -> pd.DataFrame:
    """Annual prices in USD/kg with their basis."""
    clauses, params = _commodity_filter(commodity)
    return _select("prices", clauses, params, "commodity, form, year")


#: the scenario-calibration tables (``critmin.scenario``; docs/scenario-model.md, "Parameters")
CALIBRATION = {
    "episodes": ("scenario_episodes", "episode, date, series, location"),
    "elasticities": ("scenario_elasticities", "commodity, element, kind, horizon, source"),
    "stocks": ("scenario_stocks", "holder, commodity, year, source"),
    "capacity": ("scenario_capacity", "commodity, stage, country_or_plant, year, source"),
    "benchmarks": ("scenario_benchmarks", "source_model, commodity, scenario, metric"),
}


def calibration(
    what: Literal["episodes", "elasticities", "stocks", "capacity", "benchmarks"], episode: str | None = None
) -> pd.DataFrame:
    """Scenario-calibration rows as researched, each with its source: dated observations of past episodes
    (``episode`` selects one, e.g. ``GAGE_2023``), elasticities (mostly no number), stocks, capacity, and
    published model outputs and response speeds. Numbers a source gives only as a bound are in ``more_than``.
    """
    if what not in CALIBRATION:
        raise ValueError(f"no calibration table {what!r}; choose from {', '.join(CALIBRATION)}")
    table, order = CALIBRATION[what]
    clauses: list[str] = []
    params: list[Any] = []
    if episode is not None:
        if what != "episodes":
            raise ValueError("episode selects rows of the episodes table only")
        held = Store.open().query(f"select distinct episode from {table} order by episode")["episode"]
        if episode not in set(held):
            raise NoDataError(f"no episode {episode!r}; the store holds {', '.join(held)}")
        clauses.append("episode = ?")
        params.append(episode)
    return _select(table, clauses, params, order)


def stage_exports(commodity: str | None = None, stage: str | None = None) -> pd.DataFrame:
    """Sourced full-year exports of a supply-chain stage by exporter, to all destinations (``importer``
    empty) or to one importer, for stages BACI has no bilateral flows of (the scenario network's anchors)."""
    clauses, params = _commodity_filter(commodity)
    if stage is not None:
        clauses.append("stage = ?")
        params.append(vocab.resolve_stage(stage))
    return _select("stage_exports", clauses, params, "commodity, stage, exporter, year, importer nulls first")


def eu_parameters(material: str | None = None) -> pd.DataFrame:
    """EU 2023 criticality-assessment parameters (SI, IR, EoL-RIR, supply basis) per material."""
    clauses, params = _material_filter(material)
    return _select("eu_parameters", clauses, params, "material")


def eu_trade_parameters(material: str | None = None) -> pd.DataFrame:
    """EU 2023 trade-adjustment factors t per material, country, stage and scope."""
    clauses, params = _material_filter(material)
    return _select("eu_trade_parameters", clauses, params, "material, stage, scope, country")


def _commodity_or_raw(name: str) -> str:
    try:
        return vocab.resolve_commodity(name)
    except vocab.UnknownNameError:
        return name


def parse_date(value: str | date | None) -> date:
    """A date from ISO text (``2025``, ``2025-10``, ``2025-10-09``) or a ``date``; ``None`` means today."""
    if value is None:
        return date.today()
    if isinstance(value, date):
        return value
    from dateutil.parser import isoparse

    try:
        return isoparse(str(value)).date()
    except ValueError as exc:
        raise ValueError(f"not an ISO date: {value!r} (use YYYY-MM-DD)") from exc


def events(
    commodity: str | None = None,
    country: str | None = None,
    as_of: str | date | None = None,
    status: str | Sequence[str] | None = None,
    measure: str | Sequence[str] | None = None,
    target: str | None = None,
    provenance: str | Sequence[str] | None = None,
    in_force: bool | None = None,
    as_recorded: str | date | None = None,
) -> pd.DataFrame:
    """Export-control measures of the registry (see :mod:`critmin.events`), one row each with its ``source``.

    ``commodity`` matches the commodity, its members and its groups; ``country`` is the issuer; ``target``
    keeps measures aimed at that country or at all; ``provenance`` is ``critmin`` or ``OECD``;
    ``as_recorded`` reads the registry as it stood on that recording date.

    With ``as_of``, measures first dated (announced or effective) after that date, or undated, are dropped,
    and ``in_force_on_as_of`` says whether each applied on that date, from its validity interval and the
    relations pointing at it (a suspension in force pauses it, a lifting or replacing measure ends it); it is
    NA only where a needed date is missing or too coarse, and ``in_force_reason`` always says why.
    ``in_force=True`` keeps only the measures in force on ``as_of`` (today if not given).
    """
    from critmin.events import registry
    from critmin.events.model import split
    from critmin.events.temporal import in_force_on

    frame, compiled = registry.load(as_recorded)
    df = frame
    if as_of is not None or in_force is not None:
        day = parse_date(as_of)
        state = in_force_on(frame, day, compiled)
        df = frame.assign(in_force_on_as_of=state["in_force"], in_force_reason=state["in_force_reason"])
        known = (compiled.first_known >= 0) & (compiled.first_known <= day.toordinal())
        if in_force is not None:
            known &= (state["in_force"].fillna(False) == in_force).to_numpy()
        df = df[known]
    if country is not None:
        df = df[df["iso3"] == vocab.resolve_country(country)]
    if target is not None:
        iso3 = vocab.resolve_country(target)
        df = df[df["target"].map(lambda t: t == "all" or iso3 in split(t))]
    for column, values in (("status", status), ("measure", measure), ("provenance", provenance)):
        wanted = _as_list(values)
        if wanted is not None:
            df = df[df[column].isin(wanted)]
    if commodity is not None:
        com = vocab.commodity(commodity)
        wanted_ids = set(vocab.expand_commodity(com.id)) | set(com.groups)
        df = df[df["commodity_ids"].map(lambda ids: bool(wanted_ids & set(split(ids))))]
    return df.reset_index(drop=True)  # the registry comes ordered by date (effective, else announced) and id


SITE_TYPES = ("mine", "deposit", "district", "separation_plant", "metal_plant", "magnet_plant", "refinery")
SITE_STATUSES = ("producing", "development", "exploration", "closed", "unknown")


def _check_choice(what: str, values: Any, valid: Sequence[str]) -> list[str] | None:
    """``values`` as a list if each is one of ``valid``; else ``UnknownNameError`` with close matches."""
    items = _as_list(values)
    if items is None:
        return None
    for item in items:
        if item not in valid:
            from rapidfuzz import process

            close = [m[0] for m in process.extract(str(item), list(valid), limit=3, score_cutoff=50)]
            raise vocab.UnknownNameError(what, str(item), close or list(valid))
    return [str(i) for i in items]


def sites(
    commodity: str | None = None,
    country: str | Sequence[str] | None = None,
    site_type: str | Sequence[str] | None = None,
    status: str | Sequence[str] | None = None,
    collapse: bool = True,
) -> pd.DataFrame:
    """Located mines, deposits, districts and plants (USGS data releases and curated rows), with sources.

    ``commodity`` matches the commodity, its members and its groups; ``country`` accepts names or ISO3
    codes; ``site_type`` is one or more of :data:`SITE_TYPES`, ``status`` of :data:`SITE_STATUSES` (status is
    valid as of ``status_as_of``; mostly ``unknown`` for the deposit inventories). The table holds one row per
    source record; ``collapse=True`` keeps one row per physical site (``same_site_cluster``): a key site
    first, then a row with a known status, then the first id. ``records`` counts the source records of the
    site and ``site_ids`` names them. Every row has its ``source`` and ``licence``.
    """
    clauses: list[str] = []
    params: list[Any] = []
    _where(clauses, params, "iso3", _countries(country))
    _where(clauses, params, "site_type", _check_choice("site type", site_type, SITE_TYPES))
    _where(clauses, params, "status", _check_choice("site status", status, SITE_STATUSES))
    if commodity is not None:
        com = vocab.commodity(commodity)
        wanted = sorted(set(vocab.expand_commodity(com.id)) | set(com.groups))
        clauses.append("len(list_intersect(string_split(commodity_ids, ';'), ?)) > 0")
        params.append(wanted)
    df = _select("sites", clauses, params, "site_id")
    if not collapse:
        return df.assign(records=1, site_ids=df["site_id"])
    cluster = df["same_site_cluster"].fillna(df["site_id"])
    df = df.assign(
        records=cluster.map(cluster.value_counts()),
        site_ids=cluster.map(df.groupby(cluster)["site_id"].agg(";".join)),
    )
    rank = df.assign(
        _cluster=cluster, _other=~df["key_site"].astype(bool), _unknown=df["status"] == "unknown"
    ).sort_values(["_cluster", "_other", "_unknown", "site_id"], kind="mergesort")
    df = df.loc[rank.drop_duplicates("_cluster").index].sort_values("site_id", kind="mergesort")
    return df.reset_index(drop=True)


def sources() -> pd.DataFrame:
    """Every dataset in the store with its sources, as held now (imports included).

    One row per source: name, title, rows, edition, citation, url (a citation URL; empty where rows cite
    their sources one by one or the source is a file of the package), licence, file and imported (date) for rows a user imported, released (the
    publisher's date, if known) and ``source`` (the embedded data package, or the imported file).
    """
    info = Store.open().info()
    rows = []
    for rec in info.to_dict("records"):
        for src in json.loads(rec["sources"]):
            imported = src.get("imported")
            rows.append(
                {
                    "name": rec["name"],
                    "title": rec["title"],
                    "rows": rec["rows"],
                    "edition": src.get("version"),
                    "citation": src.get("title"),
                    "url": path if re.match(r"https?://", path := src.get("path") or "") else None,
                    "licence": src.get("licence"),
                    "file": src.get("file"),
                    "imported": imported,
                    "released": src.get("released"),
                    "source": f"{src['file']}, imported {imported[:10]}"
                    if imported
                    else "critmin embedded data package (datapackage.json)",
                }
            )
    return pd.DataFrame(rows)
