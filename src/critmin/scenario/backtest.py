"""Backtests: the scenario model run on past export restrictions and compared with what was observed.

Each episode is data (``critmin/data/backtests/<name>.toml``): a scenario spec without responses or prices,
its severity as references to observed rows (``1 − after / before``; several pairs give a uniform range),
and ``[[observed]]`` metrics whose values are references to rows of :func:`critmin.query.calibration`
(a ratio of two dated prices, a percent change, or a published figure). Every episode runs with the
documented parameter set (:mod:`critmin.scenario.parameters`, the default of every scenario), whose numbers
are checked against the calibration rows they cite (no per-episode tuning). Predictions are the model's price multiples inside the issuer and in the target
market (:func:`critmin.scenario.prices.market_multiples`) and the time until the targets are served again;
``low``/``high`` are the 5th and 95th percentiles over the Monte Carlo draws. Method and results:
docs/scenario-model.md, "Backtests".
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from critmin.scenario import Scenario
from critmin.scenario.montecarlo import QUANTILES
from critmin.scenario.parameters import ParameterError, cap_multiple, number, row
from critmin.scenario.prices import market_multiples
from critmin.scenario.solve import Outcome, blocked_share, simulate
from critmin.scenario.spec import ScenarioSpecError, Spec, month_index

#: the public columns of ``critmin backtest --format json`` (one record per metric)
COLUMNS = ("episode", "metric", "observed", "predicted", "low", "high", "unit", "source")
#: how far a prediction may be from the observation and still count as a hit
FACTOR = 2.0


class BacktestError(ScenarioSpecError):
    """An episode or parameter file that cannot be run: names the file and what is wrong."""


def _files() -> Traversable:
    return resources.files("critmin.data").joinpath("backtests")


def episode_files() -> list[Traversable]:
    """The episode files, sorted by name."""
    return sorted((f for f in _files().iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)


def _read(file: Traversable) -> dict[str, Any]:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BacktestError(f"{file.name}: not valid TOML: {exc}") from None


def _row(ref: dict[str, Any], where: str) -> pd.Series:
    try:
        return row(ref, where)
    except ParameterError as exc:
        raise BacktestError(str(exc)) from None


def _number(found: pd.Series, column: str, where: str) -> float:
    try:
        return number(found, column, where)
    except ParameterError as exc:
        raise BacktestError(str(exc)) from None


@dataclass
class Episode:
    """One backtest: its spec (with the documented parameters), the severity's sources and the metrics."""

    name: str
    episode: str
    title: str
    spec: Spec
    severity_sources: list[str]
    observed: list[dict[str, Any]]


def _severity(pairs: list[dict[str, Any]], where: str) -> tuple[float | dict[str, Any], list[str]]:
    """``1 − after / before`` per pair: one number, or a uniform range over several pairs."""
    values, sources = [], []
    for k, pair in enumerate(pairs):
        after, before = (
            _row(pair["after"], f"{where}: severity[{k}].after"),
            _row(pair["before"], f"{where}: severity[{k}].before"),
        )
        values.append(
            1.0
            - _number(after, "value", f"{where}: severity[{k}]")
            / _number(before, "value", f"{where}: severity[{k}]")
        )
        sources.extend([str(after["source"]), str(before["source"])])
    if not values:
        raise BacktestError(f"{where}: no [[severity]] (the shock must come from data)")
    severity: float | dict[str, Any] = (
        values[0] if len(values) == 1 else {"dist": "uniform", "low": min(values), "high": max(values)}
    )
    return severity, list(dict.fromkeys(sources))


def load_episode(file: Traversable) -> Episode:
    """An episode file checked as a scenario spec; it runs with the documented parameter set, so an episode
    that sets its own ``[response]`` or ``[prices]`` (per-episode tuning) is refused."""
    raw = _read(file)
    meta = raw.pop("backtest", None)
    observed = raw.pop("observed", [])
    pairs = raw.pop("severity", [])
    if not meta or "episode" not in meta or not observed:
        raise BacktestError(f"{file.name}: needs [backtest] with episode and at least one [[observed]]")
    tuned = [k for k in ("response", "prices") if k in raw]
    if tuned:
        raise BacktestError(
            f"{file.name}: [{tuned[0]}] is not allowed: every episode runs with data/scenario/parameters.toml"
        )
    sources: list[str] = []
    for r in raw.get("restriction", []):
        # a [[severity]] pair with a commodity belongs to that restriction; one without to every restriction
        mine = [p for p in pairs if p.get("commodity", r.get("commodity")) == r.get("commodity")]
        r["severity"], found = _severity(mine, f"{file.name}: restriction {r.get('commodity')}")
        sources.extend(found)
    sources = list(dict.fromkeys(sources))
    try:
        spec = Spec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BacktestError(f"{file.name}: {where}: {first['msg']}") from None
    return Episode(file.name, meta["episode"], meta.get("title", meta["episode"]), spec, sources, observed)


def _observed(metric: dict[str, Any], where: str) -> tuple[float, str, list[str]]:
    """The observed number (a multiple, or a published figure in its own unit), its unit and sources."""
    row = _row(metric["value"], f"{where}: value")
    sources = [str(row["source"])]
    if metric["value"].get("change") == "percent":
        return 1.0 + _number(row, "value", where) / 100.0, "multiple", sources
    if "base" in metric:
        base = _row(metric["base"], f"{where}: base")
        if base["unit"] != row["unit"]:
            raise BacktestError(f"{where}: value in {row['unit']} but base in {base['unit']}")
        sources.append(str(base["source"]))
        return _number(row, "value", where) / _number(base, "value", where), "multiple", sources
    return _number(row, "value", where), str(row["unit"]), sources


@dataclass
class _Run:
    scenario: Scenario
    base: Outcome
    mc: Outcome
    inside: tuple[np.ndarray, np.ndarray]  # (median-parameter run, draws), each (·, months)
    outside: tuple[np.ndarray, np.ndarray]
    start: int
    shortfall: tuple[np.ndarray, np.ndarray]  # targets' market gap (before stocks) as a share of demand
    blocked: float  # blocked share of the targets' demand, mean over the months in force (median parameters)
    cap: float  # the price formula's cap on the multiple
    year: int  # the year of the network's world volume
    commodity: str


def _run(spec: Spec, draws: int, seed: int, commodity: str) -> _Run:
    """The episode's restriction on ``commodity`` run at median parameters and over ``draws`` draws."""
    scenario = Scenario(spec)
    spec = scenario.spec
    r = next(x for x in spec.restriction if x.commodity == commodity)
    prep = scenario._prepare(r)
    months = spec.scenario.months
    params_med = scenario._params(r, prep.net, 1, None)
    params_mc = scenario._params(r, prep.net, draws, np.random.default_rng(seed))
    base = simulate(prep.net, prep.shock, params_med, months)
    mc = simulate(prep.net, prep.shock, params_mc, months)
    cap = cap_multiple(spec)
    targets = prep.shock.targets
    mult_base = market_multiples(base, params_med, targets, cap)
    mult_mc = market_multiples(mc, params_mc, targets, cap)
    demand = base.demand[0][targets].sum()

    lost = [
        blocked_share(prep.shock, params_med, t)[0]
        * prep.net.stages[0].flows[prep.shock.issuer, targets].sum()
        / 12
        for t in range(prep.shock.start, min(prep.shock.start + prep.shock.duration, months))
    ]

    def share(out: Outcome) -> np.ndarray:
        return np.asarray(out.market_gap / demand)

    return _Run(
        scenario,
        base,
        mc,
        (mult_base[0], mult_mc[0]),
        (mult_base[1], mult_mc[1]),
        prep.shock.start,
        (share(base), share(mc)),
        float(np.mean(lost)) / demand if lost and demand > 0 else 0.0,
        cap,
        prep.net.year,
        prep.net.commodity,
    )


def _recovery(share: np.ndarray, start: int) -> np.ndarray:
    """Years from the shock's start to the first month from which the targets' market gap is closed (by
    re-routing, new supply and substitution; NaN: not within the run), per draw."""
    short = share > 1e-9
    months = short.shape[1]
    last = np.where(short.any(axis=1), months - 1 - np.argmax(short[:, ::-1], axis=1), start - 1)
    years = (last + 1 - start) / 12.0
    return np.where(last == months - 1, np.nan, np.maximum(years, 0.0))


def _months_mean(values: np.ndarray, spec: Spec, months: list[str], where: str) -> np.ndarray:
    idx = [month_index(spec.start_month(), m) for m in months]
    if any(not 0 <= i < spec.scenario.months for i in idx):
        raise BacktestError(f"{where}: months {months} are not all inside the run")
    return np.asarray(values[:, idx].mean(axis=1))


def _predict(
    run: _Run, spec: Spec, how: dict[str, Any], where: str
) -> tuple[float | None, float | None, float | None, float | None]:
    """Prediction at median parameters, its 5-95 % band, and the targets' shortfall share behind it."""
    output = how["output"]
    if output == "recovery":
        point = _recovery(run.shortfall[0], run.start)[0]
        draws = _recovery(run.shortfall[1], run.start)
        done = draws[~np.isnan(draws)]
        lo = float(np.quantile(done, QUANTILES[0])) if done.size else None
        hi = float(np.quantile(draws, QUANTILES[-1])) if not np.isnan(draws).any() else None
        return (None if np.isnan(point) else float(point)), lo, hi, None
    if output not in ("inside", "outside"):
        raise BacktestError(f"{where}: predicted.output must be inside, outside or recovery")
    point_path, draw_path = run.inside if output == "inside" else run.outside
    point = _months_mean(point_path, spec, how["months"], where)
    draws = _months_mean(draw_path, spec, how["months"], where)
    u = float(_months_mean(run.shortfall[0], spec, how["months"], where)[0])
    if "base_months" in how:
        point = point / _months_mean(point_path, spec, how["base_months"], where)
        draws = draws / _months_mean(draw_path, spec, how["base_months"], where)
    lo, hi = np.quantile(draws, [QUANTILES[0], QUANTILES[-1]])
    return float(point[0]), float(lo), float(hi), u


def _why(observed: float, predicted: float | None, how: dict[str, Any], u: float | None, run: _Run) -> str:
    """Plain words on a hit or a miss, from the model's own state."""
    if predicted is None:
        return "no prediction"
    output = how["output"]
    ratio = predicted / observed
    if 1 / FACTOR <= ratio <= FACTOR:
        return f"within a factor of {FACTOR:g}"
    words = f"misses: predicted/observed {ratio:.2g}"
    if output == "recovery":
        if predicted == 0:
            return words + "; the targets are never short in the model, so there is nothing to recover from"
        return words + "; recovery in the model is re-routing, the ramp and substitution closing the gap"
    if output == "inside":
        if observed > 1 >= predicted:
            return (
                words
                + "; the model only lets the issuer's price fall (blocked exports stay at home); it has no "
                "domestic stockpiling or output cuts, which raised it"
            )
        return words
    if predicted >= run.cap * (1 - 1e-9):
        return words + f"; at the cap of the price formula ({run.cap:g}x), not an independent prediction"
    if run.blocked <= 1e-9:
        return (
            words
            + "; the store has no cross-border flows of this stage from the issuer, so nothing is blocked"
        )
    if "base_months" in how and observed > 1 >= predicted:
        return (
            words
            + "; between the two months the model's gap only narrows (re-routing, the ramp and substitution "
            "grow), so its price can only fall; what raised the observed price is not in the model"
        )
    if u is not None and u <= 1e-9:
        return (
            words
            + f"; the model blocks {100 * run.blocked:.0f} % of the targets' demand, and by then re-routing, the "
            f"ramp (a share of the {run.year} world market) and substitution have closed the gap, so no price "
            "rise remains"
        )
    if u is not None and observed > 1 and 0 < u < 1:
        implied = -math.log(1 - u) / math.log(observed)
        pooled = (
            "; pooled rare-earth oxide hides the heavy elements' tighter market"
            if run.commodity == "rare-earths"
            else ""
        )
        return (
            words
            + f"; targets short {100 * u:.0f} % before stocks in the model: an elasticity sum ε_s − ε_d of "
            f"{implied:.2g} (documented median 1, a definitional bound) would reproduce it{pooled}"
        )
    return words


def counts(table: pd.DataFrame) -> tuple[int, int, int]:
    """Metrics within a factor of :data:`FACTOR`, observations inside the 5-95 % band, metrics without a
    prediction."""
    hits = int(table["ratio"].between(1 / FACTOR, FACTOR).sum())
    inside = int(((table["observed"] >= table["low"]) & (table["observed"] <= table["high"])).sum())
    return hits, inside, int(table["predicted"].isna().sum())


def run_episode(ep: Episode, draws: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Every metric of one episode: observed, predicted at median parameters, 5-95 % band, ratio, note."""
    rows = []
    runs: dict[str, _Run | str] = {}
    for k, metric in enumerate(ep.observed):
        where = f"{ep.name}: observed[{k}]"
        observed, unit, sources = _observed(metric, where)
        how = metric["predicted"]
        commodity = how.get("commodity", ep.spec.restriction[0].commodity)
        if commodity not in {r.commodity for r in ep.spec.restriction}:
            raise BacktestError(f"{where}: predicted.commodity {commodity!r} has no [[restriction]]")
        if commodity not in runs:
            try:
                runs[commodity] = _run(ep.spec, draws, seed, commodity)
            except ScenarioSpecError as exc:
                runs[commodity] = str(exc).split(": ", 2)[-1]
        run = runs[commodity]
        if isinstance(run, str):
            predicted = low = high = u = None
            note = f"no prediction: {run}"
        else:
            predicted, low, high, u = _predict(run, ep.spec, how, where)
            note = _why(observed, predicted, how, u, run)
            if predicted is None and how["output"] == "recovery":
                note = f"not recovered within the {ep.spec.scenario.months}-month run"
        rows.append(
            {
                "episode": ep.episode,
                "metric": metric["metric"],
                "observed": observed,
                "predicted": predicted,
                "low": low,
                "high": high,
                "unit": unit,
                "source": "; ".join(dict.fromkeys(sources)),
                "ratio": None if predicted is None else predicted / observed,
                "note": note,
            }
        )
    return pd.DataFrame(rows)


def run_backtests(draws: int = 1000, seed: int = 0) -> pd.DataFrame:
    """All episodes with the documented parameter set (same seed → same table)."""
    frames = [run_episode(load_episode(f), draws, seed) for f in episode_files()]
    return pd.concat(frames, ignore_index=True)


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The JSON records: exactly :data:`COLUMNS`, missing values as None."""
    out = []
    for record in table[list(COLUMNS)].to_dict("records"):
        out.append(
            {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
        )
    return out


__all__ = [
    "COLUMNS",
    "BacktestError",
    "Episode",
    "load_episode",
    "records",
    "run_backtests",
]
