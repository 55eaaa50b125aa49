"""The supply network of one commodity: a chain of stages, nodes (stage, country), baseline flows.

Read only through :mod:`critmin.query`. Per stage (docs/scenario-model.md, "Network"):

* world volume ``W``: the USGS MCS world total of the latest year with one (the chain's stages carry the same
  contained mass; losses between stages are not modelled);
* output ``Q_i = W · share_i`` from ``stage_shares`` (latest non-projected year), or from production shares
  on the stage production is reported at; a residual share becomes the node ``ROW``; with neither, the
  previous stage's consumers are taken as this stage's producers (a proportional allocation, noted);
* bilateral flows ``b_ij`` from CEPII BACI quantities of the HS codes mapped to the stage, each producer's
  exports capped at its output (``b_ij = q_ij · min(1, Q_i / X_i)``), the rest used at home; where BACI has
  nothing for the stage, proportional allocation: ``b_ij = X_i · M_j / ΣM`` with each country's own output
  serving its own demand first (consumption shares from the user's ``[[demand]]`` rows, else the next stage's
  producers, else where it is produced);
* demand ``d_j = Σ_i b_ij`` (the diagonal is domestic use), so ``Σ_j d_j = Σ_i Q_i = W`` by construction.

``Network.notes`` says per stage which source and which allocation each part came from.
"""

from __future__ import annotations

import csv
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


def _world(cid: str) -> tuple[float, str, int, str, pd.DataFrame]:
    prod = query.production(cid)
    world = prod[(prod["iso3"] == "WLD") & prod["value"].notna()]
    if world.empty:
        raise query.NoDataError(f"no USGS world production total for {cid}")
    row = world.sort_values(["year", "edition"]).iloc[-1]
    year_rows = prod[(prod["year"] == row["year"]) & (prod["edition"] == row["edition"])]
    return float(row["value"]), str(row["unit"]), int(row["year"]), str(row["source"]), year_rows


def _shares_from(frame: pd.DataFrame, value: str) -> dict[str, float]:
    shares: dict[str, float] = {}
    for iso3, v in zip(frame["iso3"], frame[value], strict=True):
        if pd.isna(v) or v <= 0:
            continue
        key = ROW if iso3 is None or pd.isna(iso3) or iso3 == "WLD" else str(iso3)
        shares[key] = shares.get(key, 0.0) + float(v)
    return shares


def _supply_shares(cid: str, stage: str, prod_rows: pd.DataFrame) -> tuple[dict[str, float], str] | None:
    """Country shares (fractions) of output at ``stage`` and where they came from, or None."""
    shares = query.stage_shares(cid, stage)
    if not shares.empty:
        latest = shares[shares["year"] == shares["year"].max()]
        # several sources may give one year: the one covering the most of world output
        source = str(latest.groupby("source")["share_pct"].sum().idxmax())
        latest = latest[latest["source"] == source]
        out = {k: v / 100 for k, v in _shares_from(latest, "share_pct").items()}
        total = sum(out.values())
        note = f"stage_shares {int(latest['year'].iloc[0])}: {source}"
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
            return {k: v / total for k, v in raw.items()}, f"production shares {int(rows['year'].iloc[0])}"
    return None


def _trade(cid: str, stage: str) -> tuple[pd.DataFrame, str] | None:
    codes = vocab.hs_for(cid, stage)
    if not codes:
        return None
    flows = query.trade(hs=codes)
    flows = flows[flows["quantity_t"].notna() & (flows["exporter"] != flows["importer"])]
    if flows.empty:
        return None
    year = int(flows["year"].max())
    flows = flows[flows["year"] == year]
    grouped = pd.DataFrame(flows.groupby(["exporter", "importer"], as_index=False)["quantity_t"].sum())
    return grouped, f"BACI {year} HS {', '.join(codes)}: {flows['source'].iloc[0]!s}"


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
) -> Network:
    """The baseline network of ``commodity`` from ``stage`` to the end of its chain (see module doc).

    Countries below ``min_share`` of world volume at every stage are pooled as ``ROW`` (a size limit for the
    Monte Carlo arrays, not a data choice; ``keep`` names countries that always stay, e.g. the targets).
    """
    stages = chain_for(commodity)
    sid = vocab.resolve_stage(stage)
    if sid not in stages:
        raise query.NoDataError(
            f"stage {sid!r} is not in the chain of {vocab.resolve_commodity(commodity)} "
            f"({' → '.join(stages)})"
        )
    cid = _data_commodity(commodity)
    world, unit, year, world_source, prod_rows = _world(cid)
    notes = [
        {
            "stage": "all",
            "item": "world volume",
            "method": f"USGS MCS world total {year}",
            "source": world_source,
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
        found = _supply_shares(cid, s, prod_rows)
        supply[s] = found[0] if found else None
        if s in chain:
            method = found[1] if found else "no shares: the previous stage's consumers (proportional)"
            notes.append(
                {"stage": s, "item": "output by country", "method": method.split(": ")[0], "source": method}
            )
    trade = {s: _trade(cid, s) for s in chain}
    user = {}
    for d in demand or []:
        if vocab.resolve_commodity(d.commodity) in (vocab.resolve_commodity(commodity), cid):
            factor = vocab.kg_per_unit(d.unit) / vocab.kg_per_unit(unit)
            user[vocab.resolve_country(d.country)] = (d.quantity * factor, d.source, d.year)
    names: set[str] = set()
    for s in chain:
        names.update(supply[s] or {})
        found_trade = trade[s]
        if found_trade is not None:
            names.update(found_trade[0]["importer"])
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
    for k, s in enumerate(chain):
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
            elif k + 1 < len(chain) and supply[chain[k + 1]]:
                dem = vec(supply[chain[k + 1]] or {})
                how = f"proportional allocation; demand = producers of the {chain[k + 1]} stage"
            elif previous_demand is not None:
                dem = previous_demand * output.sum() / previous_demand.sum()
                how = f"proportional allocation; demand = consumers of the {chain[k - 1]} stage"
            else:
                dem = output.copy()
                how = "no trade data and no demand: consumed where produced (no cross-border exposure)"
            flows = _proportional(output, dem)
            notes.append(
                {
                    "stage": s,
                    "item": "cross-border flows",
                    "method": how,
                    "source": "no BACI data for this stage",
                }
            )
        for text in stage_notes:
            notes.append({"stage": s, "item": "cross-border flows", "method": text, "source": ""})
        built.append(Stage(s, output, flows, stage_notes))
        previous_demand = flows.sum(axis=0)
    net = Network(vocab.resolve_commodity(commodity), cid, unit, year, world, countries, built, notes)
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
    ) -> Network:
        """:func:`build_network` of these arguments, built on first use for the store as it is now."""
        key = (_store_stamp(), commodity, stage, tuple(demand or ()), min_share, tuple(keep))
        if key not in self._built:
            self._built[key] = build_network(commodity, stage, demand, min_share, keep)
        return self._built[key]


def _store_stamp() -> tuple[str, int | None]:
    """The store file and its modification time: a cached network is valid while these hold."""
    from critmin.store import Store

    path = Store.open().path
    try:
        return str(path), path.stat().st_mtime_ns
    except OSError:
        return str(path), None
