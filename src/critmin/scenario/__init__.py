"""Restriction scenarios: what an export measure does to each importer, sector and price, with uncertainty.

``Scenario.from_toml(path).run(draws=…, seed=…)`` builds each restricted commodity's network from the store
(:mod:`critmin.scenario.network`, through :mod:`critmin.query` only), allocates supply month by month
(:mod:`critmin.scenario.solve`), prices the shortfall (:mod:`critmin.scenario.prices`) and summarises the
Monte Carlo draws (:mod:`critmin.scenario.montecarlo`). Method: docs/scenario-model.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from critmin import query, vocab
from critmin.scenario.montecarlo import bands, draw
from critmin.scenario.network import ROW, Network, NetworkCache, build_network
from critmin.scenario.parameters import cap_multiple, complete
from critmin.scenario.prices import market_multiples
from critmin.scenario.solve import Outcome, Params, Shock, simulate
from critmin.scenario.spec import Restriction, ScenarioSpecError, Spec, load_spec, month_index, parse_spec

__all__ = ["Scenario", "ScenarioResult", "ScenarioSpecError", "load_spec", "parse_spec"]

#: the tables of a result, in the order they are written
TABLES = ("shortfall", "sectors", "volumes", "prices", "flows", "notes")


@dataclass
class ScenarioResult:
    """Tables of one run. ``value`` columns are the run at median parameters; ``p05``/``median``/``p95`` the
    Monte Carlo bands (equal to ``value`` when ``draws`` is 0)."""

    name: str
    draws: int
    seed: int
    shortfall: pd.DataFrame
    sectors: pd.DataFrame
    volumes: pd.DataFrame
    prices: pd.DataFrame
    flows: pd.DataFrame
    notes: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {t: getattr(self, t) for t in TABLES}

    def write(self, out: Path) -> list[Path]:
        """Every table as Parquet and CSV in ``out``; returns the paths."""
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, frame in self.tables().items():
            for ext in ("parquet", "csv"):
                path = out / f"{name}.{ext}"
                if ext == "parquet":
                    frame.to_parquet(path, index=False)
                else:
                    frame.to_csv(path, index=False)
                paths.append(path)
        return paths


@dataclass
class _Prepared:
    restriction: Restriction
    net: Network
    shock: Shock
    first_stage_names: list[str] = field(default_factory=list)


def _months(spec: Spec) -> list[str]:
    start = spec.start_month()
    out = []
    for t in range(spec.scenario.months):
        m = start.month - 1 + t
        out.append(f"{start.year + m // 12:04d}-{m % 12 + 1:02d}")
    return out


class Scenario:
    """A checked scenario spec, ready to run."""

    def __init__(
        self,
        spec: Spec,
        path: Path | None = None,
        notes: list[dict[str, str]] | None = None,
        networks: NetworkCache | None = None,
    ) -> None:
        #: the spec as run: keys it leaves out are filled from the documented parameter set
        self.spec, defaulted = complete(spec)
        self.path = path
        #: where networks come from when several scenarios share them (a sweep); else built per scenario
        self.networks = networks
        #: where parts of the spec came from (e.g. a registry measure), added to the notes table of a run
        self.notes = list(notes or [])
        #: the notes of the keys the documented parameter set filled (item ``response.ramp`` etc.)
        self.defaulted = defaulted
        self._prepared: dict[int, _Prepared] = {}  # networks built once per restriction

    @classmethod
    def from_toml(cls, path: Path | str) -> Scenario:
        return cls(load_spec(path), Path(path))

    @classmethod
    def from_event(cls, event_id: str, months: int = 12, stage: str | None = None) -> Scenario:
        """A scenario of the registry measure ``event_id`` (:func:`critmin.scenario.events.spec_from_event`):
        issuer, commodities, targets and dates from the registry, severity from the kind of measure; the
        assumptions this takes are in the notes table of every run."""
        from critmin.scenario.events import spec_from_event

        spec, notes = spec_from_event(event_id, months=months, stage=stage)
        return cls(spec, None, notes)

    def _prepare(self, r: Restriction) -> _Prepared:
        where = f"{self.path or 'spec'}: restriction {r.commodity}"
        try:
            issuer = vocab.resolve_country(r.issuer)
            named = [vocab.resolve_country(t) for t in r.targets if t.lower() != "all"]
            build = self.networks.get if self.networks else build_network
            year = self.spec.scenario.network_year
            when = {} if year is None else {"year": year}
            net = build(r.commodity, r.stage, self.spec.demand, keep=(issuer, *named), **when)
        except (query.NoDataError, vocab.UnknownNameError) as exc:
            raise ScenarioSpecError(f"{where}: {exc}") from None
        if issuer not in net.countries or net.stages[0].output[net.index(issuer)] <= 0:
            raise ScenarioSpecError(
                f"{where}: issuer {issuer} has no output at the {r.stage} stage in the store"
            )
        n = len(net.countries)
        if [t.lower() for t in r.targets] == ["all"]:
            targets = np.ones(n, dtype=bool)
        else:
            targets = np.zeros(n, dtype=bool)
            for t in r.targets:
                try:
                    iso = vocab.resolve_country(t)
                except vocab.UnknownNameError as exc:
                    raise ScenarioSpecError(f"{where}: targets: {exc}") from None
                if iso in net.countries:
                    targets[net.index(iso)] = True
        targets[net.index(issuer)] = False
        priority = np.ones(n)
        for country, w in self.spec.response.priority.items():
            iso = vocab.resolve_country(country)
            if iso in net.countries:
                priority[net.index(iso)] = w
        start = month_index(self.spec.start_month(), r.start)
        shock = Shock(net.index(issuer), targets, start, r.duration, r.licence_delay, priority)
        return _Prepared(r, net, shock)

    def _params(self, r: Restriction, net: Network, draws: int, rng: np.random.Generator | None) -> Params:
        resp, pr = self.spec.response, self.spec.prices
        stocks = np.repeat(draw(resp.stocks_months, draws, rng)[:, None], len(net.countries), axis=1)
        for country, months in resp.stocks.items():
            iso = vocab.resolve_country(country)
            if iso in net.countries:
                stocks[:, net.index(iso)] = draw(months, draws, rng)
        return Params(
            severity=draw(r.severity, draws, rng),
            leakage=draw(r.leakage, draws, rng),
            spare_capacity=draw(resp.spare_capacity, draws, rng),
            ramp=draw(resp.ramp, draws, rng),
            rerouting=draw(resp.rerouting, draws, rng),
            substitution=draw(resp.substitution, draws, rng),
            stocks_months=stocks,
            demand_elasticity=draw(pr.demand_elasticity, draws, rng),
            supply_elasticity=draw(pr.supply_elasticity, draws, rng),
        )

    def run(
        self, draws: int = 0, seed: int = 0, progress: Callable[[int, int], None] | None = None
    ) -> ScenarioResult:
        """Run at median parameters and, with ``draws`` > 0, the Monte Carlo (same seed → same result).

        ``progress(done, total)`` is called after each chunk of draws.
        """
        if draws < 0:
            raise ValueError(f"draws must be >= 0, got {draws}")
        months = _months(self.spec)
        rng = np.random.default_rng(seed)
        parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
        for r in self.spec.restriction:
            prep = self._prepared.get(id(r)) or self._prepared.setdefault(id(r), self._prepare(r))
            base = simulate(prep.net, prep.shock, self._params(r, prep.net, 1, None), len(months))
            mc: Outcome | None = None
            params = None
            if draws:
                params = self._params(r, prep.net, draws, rng)
                mc = _chunked(prep, params, len(months), draws, progress)
            for name, frame in _tables(self.spec, prep, months, base, mc, params).items():
                parts[name].append(frame)
            if self.defaulted:
                parts["notes"].append(
                    pd.DataFrame([{"commodity": prep.net.commodity, **n} for n in self.defaulted])
                )
        if self.notes:
            parts["notes"].insert(0, pd.DataFrame(self.notes, columns=list(parts["notes"][0].columns)))
        frames = {t: pd.concat(v, ignore_index=True) for t, v in parts.items()}
        return ScenarioResult(self.spec.scenario.name, draws, seed, **frames)


def _chunked(
    prep: _Prepared, p: Params, months: int, draws: int, progress: Callable[[int, int], None] | None
) -> Outcome:
    """:func:`simulate` over chunks of draws (results do not depend on the chunking)."""
    size = max(1, min(draws, 1000))
    outs = []
    for lo in range(0, draws, size):
        sl = slice(lo, min(lo + size, draws))
        part = Params(**{k: v[sl] for k, v in vars(p).items()})
        outs.append(simulate(prep.net, prep.shock, part, months))
        if progress:
            progress(min(lo + size, draws), draws)
    first = outs[0]
    return Outcome(
        np.concatenate([o.unserved for o in outs]),
        first.demand,
        np.concatenate([o.idle for o in outs]),
        first.issuer_market,
        np.concatenate([o.stock_draw for o in outs]),
        np.concatenate([o.market_gap for o in outs]),
    )


def _with_bands(frame: pd.DataFrame, column: str, values: np.ndarray | None, fallback: np.ndarray) -> None:
    """Add ``p05``, ``median``, ``p95`` of ``column`` (``values`` shaped ``(draws, rows)``)."""
    if values is None:
        low = mid = high = fallback
    else:
        low, mid, high = bands(values)
    frame[f"{column}_p05"], frame[f"{column}_median"], frame[f"{column}_p95"] = low, mid, high


def _end_uses(cid: str) -> tuple[pd.DataFrame, str]:
    uses = query.end_uses(cid)
    world = uses[uses["scope"] == "world"]
    if world.empty:
        return world, ""
    year = world["year"].max()
    latest = world[world["year"] == year]
    return latest, f"end_uses {year} (world): {'; '.join(sorted(set(latest['source'])))}"


def _tables(
    spec: Spec, prep: _Prepared, months: list[str], base: Outcome, mc: Outcome | None, params: Params | None
) -> dict[str, pd.DataFrame]:
    net, shock, r = prep.net, prep.shock, prep.restriction
    n, nm = len(net.countries), len(months)
    names = [s.name for s in net.stages]
    cid = net.commodity
    # shortfall by importer × stage × month: countries with any shortfall, and the targets
    hit = (base.unserved[0] > 0).any(axis=(0, 1))
    if mc is not None:
        hit |= (mc.unserved > 0).any(axis=(0, 1, 2))
    keep = np.flatnonzero(hit | shock.targets)
    idx = pd.MultiIndex.from_product([range(nm), range(len(names)), keep], names=["t", "s", "j"])
    t_i, s_i, j_i = (idx.get_level_values(x).to_numpy() for x in ("t", "s", "j"))
    demand = base.demand[s_i, j_i]
    short = pd.DataFrame(
        {
            "commodity": cid,
            "stage": [names[s] for s in s_i],
            "importer": [net.countries[j] for j in j_i],
            "month": [months[t] for t in t_i],
            "demand": demand,
            "unserved": base.unserved[0][t_i, s_i, j_i],
        }
    )
    _with_bands(
        short, "unserved", None if mc is None else mc.unserved[:, t_i, s_i, j_i], short["unserved"].to_numpy()
    )
    short["share"] = np.divide(short["unserved"], demand, out=np.zeros(len(short)), where=demand > 0)
    short = short[short["demand"] > 0].reset_index(drop=True)
    short["unit"] = f"{net.unit} per month"
    # served/unserved volume per stage and month (world)
    tot = base.unserved[0].sum(axis=2)  # (months, stages)
    vol = pd.DataFrame(
        {
            "commodity": cid,
            "stage": np.tile(names, nm),
            "month": np.repeat(months, len(names)),
            "demand": np.tile(base.demand.sum(axis=1), nm),
            "unserved": tot.ravel(),
        }
    )
    vol["served"] = vol["demand"] - vol["unserved"]
    _with_bands(
        vol,
        "unserved",
        None if mc is None else mc.unserved.sum(axis=3).reshape(mc.unserved.shape[0], -1),
        vol["unserved"].to_numpy(),
    )
    vol["unit"] = f"{net.unit} per month"
    # sectors: the final stage's unserved volume split by world end-use shares
    uses, uses_source = _end_uses(net.data_commodity)
    final = base.unserved[0][:, -1, :].sum(axis=1)
    final_mc = None if mc is None else mc.unserved[:, :, -1, :].sum(axis=2)
    rows = []
    shares = list(zip(uses["application"], uses["share_pct"] / 100, strict=True))
    rest = 1 - sum(s for _, s in shares)
    if rest > 1e-9:
        shares.append(("not allocated by the end-use source", rest))
    for app, share in shares:
        frame = pd.DataFrame({"commodity": cid, "sector": app, "month": months, "unserved": final * share})
        _with_bands(
            frame, "unserved", None if final_mc is None else final_mc * share, frame["unserved"].to_numpy()
        )
        frame["source"] = uses_source or "no world end-use shares in the store"
        rows.append(frame)
    sectors = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    # prices inside the issuer and in the target market
    tmask = shock.targets
    prices = query.prices(net.data_commodity)
    form = spec.prices.form
    if form is not None:
        prices = prices[prices["form"] == form]
        if prices.empty:
            raise ScenarioSpecError(f"prices.form: no price series {form!r} for {net.data_commodity}")
    p0 = prices.sort_values("year").iloc[-1] if not prices.empty else None

    def multiples(out: Outcome, p: Params) -> tuple[np.ndarray, np.ndarray]:
        return market_multiples(out, p, tmask, cap_multiple(spec))

    base_params = Scenario(spec)._params(r, net, 1, None)
    inside, outside = multiples(base, base_params)
    mc_in = mc_out = None
    if mc is not None and params is not None:
        mc_in, mc_out = multiples(mc, params)
    price_rows = []
    for market, value, band in (
        ("inside " + net.countries[shock.issuer], inside, mc_in),
        ("outside (targets)", outside, mc_out),
    ):
        frame = pd.DataFrame({"commodity": cid, "market": market, "month": months, "multiple": value[0]})
        _with_bands(frame, "multiple", band, frame["multiple"].to_numpy())
        if p0 is not None:
            frame["form"] = p0["form"]
            frame["base_year"] = int(p0["year"])
            frame["base_price_usd_per_kg"] = float(p0["price_usd_per_kg"])
            for col in ("multiple", "multiple_p05", "multiple_median", "multiple_p95"):
                frame[col.replace("multiple", "price_usd_per_kg")] = frame[col] * float(
                    p0["price_usd_per_kg"]
                )
            frame["source"] = p0["source"]
        price_rows.append(frame)
    # baseline vs shocked flows at the restricted stage, mean over the months in force
    flows = net.stages[0].flows / 12.0
    k = shock.issuer
    active = [t for t in range(nm) if shock.start <= t < shock.start + shock.duration]
    unserved_mean = base.unserved[0][active, 0, :].mean(axis=0) if active else np.zeros(n)
    lost = np.zeros(n)
    if active:
        from critmin.scenario.solve import blocked_share

        lost = np.mean([blocked_share(shock, base_params, t)[0] for t in active]) * flows[k] * tmask
    top = [j for j in np.argsort(-flows[k] * tmask) if tmask[j] and flows[k, j] > 0][:5]
    flow_rows = []
    issuer_name = vocab.country_name(net.countries[k])
    for j in range(n):
        if j == k:
            group = f"{issuer_name} (domestic)"
        elif j in top:
            group = net.countries[j] if net.countries[j] == ROW else vocab.country_name(net.countries[j])
        elif tmask[j]:
            group = "other targets"
        else:
            group = "non-targets"
        others_base = flows[:, j].sum() - flows[k, j]
        flow_rows.append((issuer_name, group, flows[k, j], flows[k, j] - lost[j]))
        flow_rows.append(
            (
                "other producers, stocks, substitution",
                group,
                others_base,
                others_base + lost[j] - unserved_mean[j],
            )
        )
        flow_rows.append(("unserved", group, 0.0, unserved_mean[j]))
    flow = pd.DataFrame(flow_rows, columns=["source", "target", "baseline", "shocked"])
    flow = flow.groupby(["source", "target"], as_index=False, sort=False)[["baseline", "shocked"]].sum()
    flow = flow[(flow["baseline"] > 0) | (flow["shocked"] > 0)]
    flow.insert(0, "stage", names[0])
    flow.insert(0, "commodity", cid)
    flow["unit"] = f"{net.unit} per month"
    notes = pd.DataFrame(net.notes)
    notes.insert(0, "commodity", cid)
    if uses_source:
        notes.loc[len(notes)] = [
            cid,
            names[-1],
            "sectors",
            "world end-use shares of the latest year",
            uses_source,
        ]
    return {
        "shortfall": short,
        "sectors": sectors,
        "volumes": vol,
        "prices": pd.concat(price_rows, ignore_index=True),
        "flows": flow.reset_index(drop=True),
        "notes": notes,
    }
