"""The supply network of one commodity: a chain of stages, nodes (stage, country), baseline flows.

Read only through :mod:`critmin.query`. Per stage (docs/scenario-model.md, "Network"):

* world volume ``W``: the USGS MCS world total of the latest year with one (the chain's stages carry the same
  contained mass; losses between stages are not modelled); where USGS withholds it (germanium), the ``World``
  production row of the calibration ``capacity`` table at a stage of the chain (USGS OFR 2024-1057);
* output ``Q_i = W · share_i`` from ``stage_shares`` (latest non-projected year), or from production shares
  on the stage production is reported at; a residual share becomes the node ``ROW``; with neither, the
  previous stage's consumers are taken as this stage's producers (a proportional allocation, noted);
* bilateral flows ``b_ij`` from CEPII BACI quantities of the HS codes mapped to the stage, each producer's
  exports capped at its output (``b_ij = q_ij · min(1, Q_i / X_i)``), the rest used at home; where BACI has
  nothing for the stage, proportional allocation: ``b_ij = X_i · M_j / ΣM`` with each country's own output
  serving its own demand first (consumption shares from the user's ``[[demand]]`` rows, else the next stage's
  producers, else where it is produced);
* export anchors: where BACI has nothing for the stage but ``stage_exports`` has a sourced full-year export
  figure of a producer (China's gallium, germanium, magnet and antimony exports), that producer exports this
  figure (capped at its output): to the importers named in its destination rows as published, the rest to the
  other importers in proportion to the demand above, none above its demand (what is left: ``ROW``); it uses the
  remainder at home and imports none of the stage; the other producers keep the proportional allocation
  against the demand left (trading no more than is demanded);
* demand ``d_j = Σ_i b_ij`` (the diagonal is domestic use), so ``Σ_j d_j = Σ_i Q_i = W`` by construction.

``Network.notes`` says per stage which source and which allocation each part came from. With ``year``, every
source (world total, stage shares, production shares, BACI, anchors) takes the row of that year, else of the
nearest earlier year, else of the earliest later one, and its note says so; without it, the latest year.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from critmin import query, vocab
from critmin.scenario.spec import Demand

ROW = "ROW"  # rest of the world: residual shares without a country


@cache
def chains() -> dict[str, list[str]]:
    """Stages per commodity in chain order, from ``data/vocab/chains.csv``."""
    text = resources.files("critmin.data").joinpath("vocab/chains.csv").read_text(encoding="utf-8")
    out: dict[str, list[tuple[int, str]]] = {}
    for row in csv.DictReader(text.splitlines()):
        out.setdefault(row["commodity"], []).append((int(row["order"]), row["stage"]))
    return {c: [s for _, s in sorted(v)] for c, v in out.items()}


#: the generic chain of a commodity without a hand-made one
GENERIC_CHAIN = ("mining", "refining")


def chain_for(commodity: str) -> list[str]:
    """The stages of ``commodity`` (its own chain, else its group's, else mining → refining)."""
    cid = vocab.resolve_commodity(commodity)
    for key in (cid, *vocab.commodity(cid).groups):
        if key in chains():
            return chains()[key]
    return list(GENERIC_CHAIN)


@dataclass
class Stage:
    """Baseline of one stage: outputs ``Q`` and flows ``F[i, j]`` (i → j, diagonal = domestic use)."""

    name: str
    output: np.ndarray
    flows: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def demand(self) -> np.ndarray:
        return self.flows.sum(axis=0)


@dataclass
class Network:
    """Countries (ISO3 or ``ROW``), the stages from the restricted one to the end of the chain, and notes."""

    commodity: str
    data_commodity: str
    unit: str
    year: int
    world: float
    countries: list[str]
    stages: list[Stage]
    notes: list[dict[str, str]]

    def index(self, iso3: str) -> int:
        return self.countries.index(iso3)


def _data_commodity(commodity: str) -> str:
    """``commodity`` itself if the store has its production, else the first group that has (Dy → REE)."""
    cid = vocab.resolve_commodity(commodity)
    for key in (cid, *vocab.commodity(cid).groups):
        try:
            if not query.production(key).empty:
                return key
        except query.NoDataError:
            continue
    raise query.NoDataError(f"no production data for {cid} or its groups; a scenario needs a world total")


def _pick_year(available: Iterable[Any], requested: int | None) -> int | None:
    """The year of a source to use: the latest without ``requested``; else ``requested`` if held, else the
    nearest earlier year, else the earliest later one (None when the source holds no year)."""
    years = sorted({int(y) for y in available if not pd.isna(y)})
    if not years:
        return None
    if requested is None:
        return years[-1]
    earlier = [y for y in years if y <= requested]
    return earlier[-1] if earlier else years[0]


def _year_text(used: int, requested: int | None) -> str:
    """``used``, and when a year was requested and differs, that it is the nearest available one."""
    if requested is None or used == requested:
        return str(used)
    side = "earlier" if used < requested else "later"
    return f"{used} (requested {requested}; not held, nearest {side} year)"


@dataclass(frozen=True)
class _World:
    """The world volume of a network and where it came from."""

    value: float
    unit: str
    year: int
    method: str
    source: str
    rows: pd.DataFrame  # production rows of that year, for production shares


def _world(cid: str, chain: list[str], year: int | None = None) -> _World:
    """USGS MCS world total (``year`` or the nearest, latest edition), else the calibration fallback."""
    prod = query.production(cid)
    world = prod[(prod["iso3"] == "WLD") & prod["value"].notna()]
    if world.empty:
        return _world_from_capacity(cid, chain, year)
    used = _pick_year(world["year"], year)
    row = world[world["year"] == used].sort_values("edition").iloc[-1]
    year_rows = prod[(prod["year"] == row["year"]) & (prod["edition"] == row["edition"])]
    method = f"USGS MCS world total {_year_text(int(row['year']), year)}"
    return _World(
        float(row["value"]), str(row["unit"]), int(row["year"]), method, str(row["source"]), year_rows
    )


@cache
def _calibration_stages() -> dict[str, str]:
    """Stage names of the calibration ``capacity`` table → critmin stage ids (``vocab/calibration_stages.csv``)."""
    text = (
        resources.files("critmin.data").joinpath("vocab/calibration_stages.csv").read_text(encoding="utf-8")
    )
    return {row["calibration_stage"]: row["stage"] for row in csv.DictReader(text.splitlines())}


def _or_none(resolve: Any, name: Any) -> str | None:
    try:
        return str(resolve(name))
    except vocab.UnknownNameError:
        return None


def _world_from_capacity(cid: str, chain: list[str], year: int | None) -> _World:
    """World volume where USGS MCS withholds the world total (germanium): the ``World`` production row of the
    calibration ``capacity`` table at a stage of the chain (first stage of the chain if several), and its
    country rows, the residual as ``ROW``, as production shares. Units per year are taken as annual mass."""
    cap = query.calibration("capacity")
    cap = cap[cap["production"].notna() & cap["year"].astype(str).str.fullmatch(r"\d{4}")].copy()
    cap["cid"] = cap["commodity"].map(lambda c: _or_none(vocab.resolve_commodity, c))
    cap["stage_id"] = cap["stage"].map(_calibration_stages().get)
    cap = cap[(cap["cid"] == cid) & cap["stage_id"].isin(chain)]
    cap["iso3"] = cap["country_or_plant"].map(lambda c: _or_none(vocab.resolve_country, c))
    cap["year"] = cap["year"].astype(int)
    world = cap[cap["iso3"] == "WLD"]
    used = _pick_year(world["year"], year)
    if used is None:
        raise query.NoDataError(
            f"no USGS world production total for {cid} and no World production row of it in the calibration "
            "capacity table"
        )
    world = world[world["year"] == used]
    row = world.iloc[int(np.argmin([chain.index(s) for s in world["stage_id"]]))]
    same = cap[(cap["year"] == used) & (cap["stage"] == row["stage"]) & (cap["source"] == row["source"])]
    countries = same[same["iso3"].notna() & (same["iso3"] != "WLD")]
    rest = float(row["production"]) - float(countries["production"].sum())
    rows = pd.DataFrame(
        {
            "iso3": [*countries["iso3"], *([None] if rest > 0 else [])],
            "value": [*countries["production"].astype(float), *([rest] if rest > 0 else [])],
        }
    ).assign(stage=row["stage_id"], year=used, dataset="scenario_capacity", source=str(row["source"]))
    method = (
        f"calibration capacity table, World {row['stage']} production {_year_text(used, year)} "
        f"(USGS MCS has no world total for {cid})"
    )
    unit = str(row["unit"]).split("/")[0].strip()  # "t/yr": a year's output in t
    return _World(float(row["production"]), unit, used, method, str(row["source"]), rows)


def _shares_from(frame: pd.DataFrame, value: str) -> dict[str, float]:
    shares: dict[str, float] = {}
    for iso3, v in zip(frame["iso3"], frame[value], strict=True):
        if pd.isna(v) or v <= 0:
            continue
        key = ROW if iso3 is None or pd.isna(iso3) or iso3 == "WLD" else str(iso3)
        shares[key] = shares.get(key, 0.0) + float(v)
    return shares


def _supply_shares(
    cid: str, stage: str, prod_rows: pd.DataFrame, year: int | None = None
) -> tuple[dict[str, float], str] | None:
    """Country shares (fractions) of output at ``stage`` and where they came from, or None."""
    shares = query.stage_shares(cid, stage)
    if not shares.empty:
        used = _pick_year(shares["year"], year)
        latest = shares[shares["year"] == used]
        # several sources may give one year: the one covering the most of world output
        source = str(latest.groupby("source")["share_pct"].sum().idxmax())
        latest = latest[latest["source"] == source]
        out = {k: v / 100 for k, v in _shares_from(latest, "share_pct").items()}
        total = sum(out.values())
        note = f"stage_shares {_year_text(int(latest['year'].iloc[0]), year)}: {source}"
        if total < 1 - 1e-9:
            out[ROW] = out.get(ROW, 0.0) + 1 - total
            note += f"; unallocated {100 * (1 - total):.1f} % as ROW"
        elif total > 1:
            out = {k: v / total for k, v in out.items()}
            note += f"; shares summed to {100 * total:.1f} %, rescaled"
        return out, note
    rows = prod_rows[(prod_rows["stage"] == stage) & (prod_rows["iso3"] != "WLD")]
    if not rows.empty and rows["value"].notna().any():
        raw = _shares_from(rows, "value")
        total = sum(raw.values())
        if total > 0:
            note = f"production shares {_year_text(int(rows['year'].iloc[0]), year)}"
            if "dataset" in rows and (rows["dataset"] == "scenario_capacity").all():
                note += (
                    f": country rows of the calibration capacity table, rest as ROW; {rows['source'].iloc[0]}"
                )
            return {k: v / total for k, v in raw.items()}, note
    return None


def _trade(cid: str, stage: str, year: int | None = None) -> tuple[pd.DataFrame, str] | None:
    codes = vocab.hs_for(cid, stage)
    if not codes:
        return None
    flows = query.trade(hs=codes)
    flows = flows[flows["quantity_t"].notna() & (flows["exporter"] != flows["importer"])]
    if flows.empty:
        return None
    used = int(_pick_year(flows["year"], year) or 0)
    flows = flows[flows["year"] == used]
    grouped = pd.DataFrame(flows.groupby(["exporter", "importer"], as_index=False)["quantity_t"].sum())
    return grouped, f"BACI {_year_text(used, year)} HS {', '.join(codes)}: {flows['source'].iloc[0]!s}"


@dataclass(frozen=True)
class _Anchor:
    """A producer's sourced full-year exports at a stage without BACI flows, in the network's unit."""

    exporter: str
    year: str  # the year used, with the requested one if it differs
    quantity: float
    published: str  # the figure as published, e.g. "69440 kg"
    destinations: dict[str, float]  # importer → quantity published for it, same year
    series: str
    source: str
    note: str


def _anchors(ids: list[str], stage: str, unit: str, year: int | None) -> dict[str, _Anchor]:
    """Export anchors of ``stage`` by exporter (``stage_exports``): rows of the first of ``ids`` (the commodity,
    then its data commodity) that has any; per exporter the all-destinations figure of ``year`` or the
    nearest, and the destination rows of that same year (a destination row alone is not used)."""
    rows = query.stage_exports(stage=stage)
    for cid in ids:
        mine = rows[rows["commodity"] == cid]
        if not mine.empty:
            break
    else:
        return {}
    out: dict[str, _Anchor] = {}
    for exporter, group in mine.groupby("exporter", sort=True):
        totals = group[group["importer"].isna()]
        used = _pick_year(totals["year"], year)
        if used is None:
            continue
        row = totals[totals["year"] == used].sort_values("source").iloc[0]
        factor = vocab.kg_per_unit(str(row["unit"])) / vocab.kg_per_unit(unit)
        dest = group[group["importer"].notna() & (group["year"] == used)]
        out[str(exporter)] = _Anchor(
            exporter=str(exporter),
            year=_year_text(used, year),
            quantity=float(row["quantity"]) * factor,
            published=f"{float(row['quantity']):g} {row['unit']}",
            destinations={
                str(i): float(q) * vocab.kg_per_unit(str(u)) / vocab.kg_per_unit(unit)
                for i, q, u in zip(dest["importer"], dest["quantity"], dest["unit"], strict=True)
            },
            series=str(row["series"]),
            source="; ".join(dict.fromkeys([str(row["source"]), *map(str, dest["source"])])),
            note="" if pd.isna(row["note"]) else str(row["note"]),
        )
    return out


def _fill(quantity: float, room: np.ndarray) -> np.ndarray:
    """``quantity`` spread in proportion to ``room`` with no entry above its room (an entry that would exceed
    it gets its room, the rest is spread again over the others); what no room takes is left out."""
    out = np.zeros_like(room)
    left = quantity
    free = room > 0
    while left > 1e-12 * max(quantity, 1.0) and free.any():
        share = left * np.where(free, room, 0.0) / room[free].sum()
        full = free & (out + share >= room)
        if not full.any():
            return out + share
        left -= float((room[full] - out[full]).sum())
        out[full] = room[full]
        free &= ~full
    return out


def _anchored(
    output: np.ndarray,
    demand: np.ndarray,
    anchors: dict[str, _Anchor],
    pos: dict[str, int],
    unit: str,
) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Flows of a stage without BACI data where some producers have export anchors, and a (method, source)
    note per anchor. An anchored producer exports its anchor (capped at its output): destination rows as
    published (scaled down if they exceed it), the rest to the other non-anchored countries in proportion to
    ``demand``, none above its demand (what no demand takes: ``ROW``); the remainder of its output is used at home and it imports none of the stage.
    The other producers: own output serves own demand left by the anchored flows first, then exports go to
    the demand left in proportion (as :func:`_proportional`), scaled so no importer gets more than that demand;
    output nobody demands stays at home. Rows sum to ``output``, so ``Σ demand = Σ output``."""
    n = len(output)
    fixed = np.zeros((n, n))
    anchored = np.zeros(n, dtype=bool)
    for e in anchors:
        anchored[pos[e]] = output[pos[e]] > 0
    texts: list[tuple[str, str]] = []
    for e, a in anchors.items():
        i = pos[e]
        if output[i] <= 0:
            texts.append(
                (
                    f"export anchor of {e} ({a.published}, {a.year}) not used: no output at this stage",
                    a.source,
                )
            )
            continue
        total = min(a.quantity, float(output[i]))
        text = f"export anchor: {e} exports {a.published} in {a.year} ({a.series})"
        if a.quantity > output[i]:
            text += f", capped at its output {output[i]:g} {unit}"
        fixed[i, i] = output[i] - total
        listed = {j: q for j, q in a.destinations.items() if j != e and j in pos}
        scale = min(1.0, total / sum(listed.values())) if listed else 1.0
        for j, q in listed.items():
            fixed[i, pos[j]] += q * scale
            text += f"; to {j} {q * scale:g} {unit} as published" + (
                " (scaled to the total)" if scale < 1 else ""
            )
        rest = total - scale * sum(listed.values())
        room = np.where(anchored, 0.0, demand - fixed.sum(axis=0))
        room[[pos[j] for j in listed]] = 0.0
        share = _fill(rest, np.maximum(room, 0.0))
        fixed[i] += share
        fixed[i, pos[ROW]] += rest - share.sum()
        what = "all of it" if not listed else f"the remaining {rest:g} {unit}"
        text += (
            f"; {what} to the other importers in proportion to their demand, none above it "
            f"({share.sum():g} {unit}), the rest to ROW ({rest - share.sum():g} {unit})"
        )
        text += f"; {e} uses the rest of its output at home and imports none of this stage"
        if a.note:
            text += f" [{a.note}]"
        texts.append((text, a.source))
    others = np.where(anchored, 0.0, output)
    left = np.maximum(demand - fixed.sum(axis=0), 0.0)
    left[anchored] = 0.0
    own = np.minimum(others, left)
    exports, imports = others - own, left - own
    # exports and imports no longer balance once anchored producers keep less at home than their demand:
    # only what is demanded is traded (none above an importer's demand), the rest of the output stays at home
    traded = min(float(exports.sum()), float(imports.sum()))
    rest_flows = np.diag(others)
    if traded > 0:
        sent = exports * traded / exports.sum()
        rest_flows = np.diag(others - sent) + np.outer(sent, imports) / imports.sum()
    return fixed + rest_flows, texts


def _proportional(output: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Flows where trade data are missing: own output serves own demand, the rest ``X_i · M_j / ΣM``."""
    own = np.minimum(output, demand)
    exports = output - own
    imports = demand - own
    flows = np.diag(own)
    if imports.sum() > 0:
        flows = flows + np.outer(exports, imports) / imports.sum()
    return flows


def build_network(
    commodity: str,
    stage: str,
    demand: list[Demand] | None = None,
    min_share: float = 0.001,
    keep: tuple[str, ...] = (),
    year: int | None = None,
) -> Network:
    """The baseline network of ``commodity`` from ``stage`` to the end of its chain (see module doc).

    Countries below ``min_share`` of world volume at every stage are pooled as ``ROW`` (a size limit for the
    Monte Carlo arrays, not a data choice; ``keep`` names countries that always stay, e.g. the targets).
    ``year`` selects the data year of every source (the nearest held year where one lacks it, noted); None:
    each source's latest year.
    """
    stages = chain_for(commodity)
    sid = vocab.resolve_stage(stage)
    if sid not in stages:
        raise query.NoDataError(
            f"stage {sid!r} is not in the chain of {vocab.resolve_commodity(commodity)} "
            f"({' → '.join(stages)})"
        )
    cid = _data_commodity(commodity)
    found_world = _world(cid, stages, year)
    world, unit, prod_rows = found_world.value, found_world.unit, found_world.rows
    notes = [
        {
            "stage": "all",
            "item": "world volume",
            "method": found_world.method,
            "source": found_world.source,
        }
    ]
    if cid != vocab.resolve_commodity(commodity):
        notes.append(
            {
                "stage": "all",
                "item": "commodity",
                "method": f"data of the group {cid}",
                "source": "critmin vocabulary",
            }
        )
    chain = stages[stages.index(sid) :]
    supply: dict[str, dict[str, float] | None] = {}
    for s in stages:
        found = _supply_shares(cid, s, prod_rows, year)
        supply[s] = found[0] if found else None
        if s in chain:
            method = found[1] if found else "no shares: the previous stage's consumers (proportional)"
            notes.append(
                {"stage": s, "item": "output by country", "method": method.split(": ")[0], "source": method}
            )
    # stages before the restricted one are built too (and dropped at the end): a stage without output shares
    # takes the previous stage's consumers as its producers (antimony refining: where the ore is consumed)
    first = stages.index(sid)
    while first > 0 and supply[stages[first]] is None:
        first -= 1
    built_chain = stages[first:]
    trade = {s: _trade(cid, s, year) for s in built_chain}
    ids = list(dict.fromkeys([vocab.resolve_commodity(commodity), cid]))
    anchors = {s: _anchors(ids, s, unit, year) for s in built_chain if trade[s] is None}
    user = {}
    for d in demand or []:
        if vocab.resolve_commodity(d.commodity) in (vocab.resolve_commodity(commodity), cid):
            factor = vocab.kg_per_unit(d.unit) / vocab.kg_per_unit(unit)
            user[vocab.resolve_country(d.country)] = (d.quantity * factor, d.source, d.year)
    names: set[str] = set()
    for s in built_chain:
        names.update(supply[s] or {})
        found_trade = trade[s]
        if found_trade is not None:
            names.update(found_trade[0]["importer"])
        for a in anchors.get(s, {}).values():
            names.update(a.destinations)
    names.update(user)
    countries = [*sorted(n for n in names if n != ROW), ROW]
    pos = {c: i for i, c in enumerate(countries)}
    n = len(countries)

    def vec(shares: dict[str, float]) -> np.ndarray:
        v = np.zeros(n)
        for k, x in shares.items():
            v[pos[k]] += x * world
        return v

    built: list[Stage] = []
    previous_demand: np.ndarray | None = None
    for k, s in enumerate(built_chain):
        shares = supply[s]
        output = vec(shares) if shares else (previous_demand if previous_demand is not None else np.zeros(n))
        stage_notes: list[str] = []
        stage_trade = trade[s]
        if stage_trade is not None:
            frame, source = stage_trade
            q = np.zeros((n, n))
            for e, i, v in zip(frame["exporter"], frame["importer"], frame["quantity_t"], strict=True):
                if e in pos and i in pos and output[pos[e]] > 0:
                    q[pos[e], pos[i]] += v * 1000 / vocab.kg_per_unit(unit)
            exports = q.sum(axis=1)
            cap = np.divide(output, exports, out=np.ones(n), where=exports > 0)
            q = q * np.minimum(1.0, cap)[:, None]
            flows = q + np.diag(output - q.sum(axis=1))
            notes.append(
                {
                    "stage": s,
                    "item": "cross-border flows",
                    "method": "BACI quantities, capped at output",
                    "source": source,
                }
            )
            no_trade = [c for c in countries if output[pos[c]] > 0 and exports[pos[c]] == 0 and c != ROW]
            if no_trade:
                stage_notes.append(
                    f"no BACI exports for producers {', '.join(no_trade)}: domestic use assumed"
                )
        else:
            if user:
                dem = np.zeros(n)
                for c, (qty, _, _) in user.items():
                    dem[pos[c]] = qty
                rest = max(world - dem.sum(), 0.0)
                others = output.copy()
                others[[pos[c] for c in user]] = 0
                dem = dem + (others / others.sum() * rest if others.sum() > 0 else 0)
                dem = dem * world / dem.sum()
                how = (
                    "proportional allocation; demand of "
                    + ", ".join(f"{c} {qty:g} {unit} ({yr}; {src})" for c, (qty, src, yr) in user.items())
                    + "; the rest where produced"
                )
            elif k + 1 < len(built_chain) and supply[built_chain[k + 1]]:
                dem = vec(supply[built_chain[k + 1]] or {})
                how = f"proportional allocation; demand = producers of the {built_chain[k + 1]} stage"
            elif previous_demand is not None:
                dem = previous_demand * output.sum() / previous_demand.sum()
                how = f"proportional allocation; demand = consumers of the {built_chain[k - 1]} stage"
            else:
                dem = output.copy()
                how = "no trade data and no demand: consumed where produced (no cross-border exposure)"
            stage_anchors = {e: a for e, a in anchors.get(s, {}).items() if e in pos}
            texts = [
                (
                    f"export anchor of {e} ({a.published}, {a.year}) not used: {e} has no output at this stage",
                    a.source,
                )
                for e, a in anchors.get(s, {}).items()
                if e not in pos
            ]
            if stage_anchors:
                flows, used = _anchored(output, dem, stage_anchors, pos, unit)
                texts += used
                how = f"{how}; for producers without an export anchor"
            else:
                flows = _proportional(output, dem)
            notes.append(
                {
                    "stage": s,
                    "item": "cross-border flows",
                    "method": how,
                    "source": "no BACI data for this stage",
                }
            )
            notes.extend(
                {"stage": s, "item": "cross-border flows", "method": m, "source": src} for m, src in texts
            )
        for text in stage_notes:
            notes.append({"stage": s, "item": "cross-border flows", "method": text, "source": ""})
        built.append(Stage(s, output, flows, stage_notes))
        previous_demand = flows.sum(axis=0)
    built = built[len(built_chain) - len(chain) :]
    notes = [note for note in notes if note["stage"] in ("all", *chain)]
    net = Network(
        vocab.resolve_commodity(commodity), cid, unit, found_world.year, world, countries, built, notes
    )
    return _pooled(net, min_share, {*keep, *user})


def _pooled(net: Network, min_share: float, keep: set[str]) -> Network:
    """``net`` with countries below ``min_share`` of world volume in output and demand at every stage merged
    into ``ROW`` (flows summed, so mass is unchanged); countries in ``keep`` always stay."""
    big = np.zeros(len(net.countries), dtype=bool)
    for s in net.stages:
        big |= (s.output >= min_share * net.world) | (s.demand >= min_share * net.world)
    for i, c in enumerate(net.countries):
        big[i] |= c in keep
    big[-1] = True  # ROW itself
    small = [c for c, b in zip(net.countries, big, strict=True) if not b]
    if not small:
        return net
    target = np.where(big, np.cumsum(big) - 1, int(big.sum()) - 1)
    m = np.zeros((len(net.countries), int(big.sum())))
    m[np.arange(len(net.countries)), target] = 1.0
    stages = [Stage(s.name, s.output @ m, m.T @ s.flows @ m, s.notes) for s in net.stages]
    notes = [
        *net.notes,
        {
            "stage": "all",
            "item": "countries",
            "method": f"{len(small)} countries below {100 * min_share:g} % of world volume at every stage pooled as ROW",
            "source": "",
        },
    ]
    countries = [c for c, b in zip(net.countries, big, strict=True) if b]
    return Network(net.commodity, net.data_commodity, net.unit, net.year, net.world, countries, stages, notes)


class NetworkCache:
    """Networks built once per store state and arguments of :func:`build_network`, for many scenarios over
    the same chain (a sweep). A run never modifies its network, so a shared one gives the results of a fresh
    one (tested)."""

    def __init__(self) -> None:
        self._built: dict[tuple[Any, ...], Network] = {}

    def get(
        self,
        commodity: str,
        stage: str,
        demand: list[Demand] | None = None,
        min_share: float = 0.001,
        keep: tuple[str, ...] = (),
        year: int | None = None,
    ) -> Network:
        """:func:`build_network` of these arguments, built on first use for the store as it is now."""
        key = (_store_stamp(), commodity, stage, tuple(demand or ()), min_share, tuple(keep), year)
        if key not in self._built:
            self._built[key] = build_network(commodity, stage, demand, min_share, keep, year=year)
        return self._built[key]


def _store_stamp() -> tuple[str, int | None]:
    """The store file and its modification time: a cached network is valid while these hold."""
    from critmin.store import Store

    path = Store.open().path
    try:
        return str(path), path.stat().st_mtime_ns
    except OSError:
        return str(path), None
