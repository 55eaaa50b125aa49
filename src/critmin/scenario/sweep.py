"""Scenario sweeps: every combination of a grid of keys applied to a base spec, run as independent units.

A grid is a TOML file of keys → lists of values::

    issuer = ["China", "Myanmar"]
    commodity = ["rare-earths"]
    target = ["all", "USA"]          # one destination per value; ``targets`` takes lists
    severity = [0.5, 1.0]
    duration = [6, 12]
    "response.spare_capacity" = [0.0, 0.2]   # any key of [scenario], [response] or [prices], dotted

Keys of a ``[[restriction]]`` apply to the base spec's one restriction; a grid that varies ``commodity``
drops the base spec's ``prices.form`` (a price series of its own commodity) unless it sets ``prices.form``. Every combination (the product of
the lists, in the file's order) is checked like a spec file before anything runs. Each combination runs with
its own seed, :func:`point_seed` — a hash of its sorted key/value pairs mixed with the sweep's seed — so a
sweep gives the same numbers in one process and on any cluster, in any order. A combination that cannot run
(an issuer with no output at the stage) is skipped with its reason.

Results (:data:`COLUMNS` after the grid's keys): per combination, the restricted stage's importers and the
end-use sectors with the volume unserved over the run (median-parameter run and the Monte Carlo 5/50/95 %
bands summed over the months, as ``critmin scenario run`` prints them) and the importers' share of demand.

Each worker process builds a commodity's network from the store once and reuses it for every combination
with the same commodity, stage, kept countries and demand (:class:`~critmin.scenario.network.NetworkCache`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from critmin.scenario.network import NetworkCache
from critmin.scenario.spec import Restriction, ScenarioSpecError, Spec

#: sections whose keys a grid may set as ``"section.key"``
SECTIONS = ("scenario", "response", "prices")
#: combinations per work unit (one Parquet partition each)
POINTS_PER_PART = 8
#: result columns after ``point`` and the grid's keys
COLUMNS = (
    "seed",
    "commodity",
    "stage",
    "kind",
    "exposed",
    "unserved",
    "unserved_p05",
    "unserved_median",
    "unserved_p95",
    "demand",
    "share_pct",
    "unit",
)


@dataclass(frozen=True)
class Grid:
    """The keys of a grid file and the values each takes, in file order."""

    path: Path
    values: dict[str, list[Any]]

    def points(self) -> list[dict[str, Any]]:
        """Every combination, the last key varying fastest."""
        keys = list(self.values)
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*self.values.values())]

    def column(self, key: str, value: Any) -> Any:
        """The value as stored in the results: itself when every value of the key is a string or every one a
        number (floats if any is), else its JSON text (lists, distributions, mixed kinds)."""
        kinds = {type(v) for v in self.values[key]}
        if kinds <= {int, float}:
            return float(value) if float in kinds else value
        if kinds == {str}:
            return value
        return json.dumps(value, sort_keys=True)


def _flatten(raw: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not prefix and key in SECTIONS:
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def load_grid(path: Path | str) -> Grid:
    """Read a grid file; :class:`ScenarioSpecError` names a key that is unknown or not a non-empty list."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioSpecError(f"{path}: not valid TOML: {exc}") from None
    values = _flatten(raw)
    known = {*Restriction.model_fields, "target"}
    if not values:
        raise ScenarioSpecError(f"{path}: no keys; give lists of values, e.g. severity = [0.5, 1.0]")
    for key, options in values.items():
        section, _, name = key.rpartition(".")
        fields = Spec.model_fields[section].annotation if section in SECTIONS else None
        ok = name in known if not section else bool(fields) and name in getattr(fields, "model_fields", {})
        if not ok:
            raise ScenarioSpecError(
                f"{path}: {key}: unknown key (a restriction key: {', '.join(sorted(known))}; "
                f"or {', '.join(s + '.KEY' for s in SECTIONS)})"
            )
        if not isinstance(options, list) or not options:
            raise ScenarioSpecError(f"{path}: {key}: give a non-empty list of values")
    return Grid(path, values)


def label(point: dict[str, Any]) -> str:
    """A short name of one combination, e.g. ``issuer=China, severity=0.5``."""
    return ", ".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in point.items())


def apply(spec: Spec, point: dict[str, Any], where: str = "grid") -> Spec:
    """``spec`` with the combination's values set; :class:`ScenarioSpecError` if the result is not a spec."""
    raw = spec.model_dump(mode="python")
    for key, value in point.items():
        section, _, name = key.rpartition(".")
        if section:
            raw[section][name] = value
            continue
        if len(raw["restriction"]) != 1:
            raise ScenarioSpecError(
                f"{where}: {key}: a restriction key needs a base spec with one [[restriction]], "
                f"this one has {len(raw['restriction'])}"
            )
        if name == "target":
            raw["restriction"][0]["targets"] = [value]
        else:
            raw["restriction"][0][name] = value
    if "commodity" in point and "prices.form" not in point:
        # the base spec's price series belongs to its own commodity: another commodity uses its latest series
        raw["prices"]["form"] = None
    try:
        return Spec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors()[:3]
        )
        raise ScenarioSpecError(f"{where}: combination {label(point)}: {problems}") from None


def point_seed(point: dict[str, Any], seed: int) -> int:
    """The seed of one combination: a hash of its sorted key/value pairs and the sweep's ``seed``."""
    text = json.dumps([seed, sorted(point.items())], sort_keys=True, default=str)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


# --- networks shared within a process -----------------------------------------------------------------

#: one per worker process: every unit it runs reuses the networks of the same chain
_NETWORKS = NetworkCache()


# --- work units ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepContext:
    """What every unit of a sweep shares: the base spec, the grid, draws and the sweep's seed."""

    spec: Spec
    grid: Grid
    draws: int
    seed: int


@dataclass
class UnitResult:
    """Result rows of a unit's combinations and the combinations it skipped (index, reason)."""

    rows: pd.DataFrame
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _summary(point: int, keys: dict[str, Any], seed: int, result: Any) -> pd.DataFrame:
    short = result.shortfall
    first = short.groupby("commodity")["stage"].transform("first")
    bands = ["unserved", "unserved_p05", "unserved_median", "unserved_p95"]
    importers = (
        short[short["stage"] == first]
        .groupby(["commodity", "stage", "importer", "unit"], as_index=False, sort=False)[[*bands, "demand"]]
        .sum()
        .rename(columns={"importer": "exposed"})
    )
    importers["kind"] = "importer"
    importers["share_pct"] = 100 * importers["unserved"] / importers["demand"].where(importers["demand"] > 0)
    sec = result.sectors
    stage = short.groupby("commodity")["stage"].last().rename("stage")
    unit = short.groupby("commodity")["unit"].first().rename("unit")
    sectors = sec.groupby(["commodity", "sector"], as_index=False, sort=False)[bands].sum()
    sectors = (
        sectors.join(stage, on="commodity").join(unit, on="commodity").rename(columns={"sector": "exposed"})
    )
    sectors["kind"] = "sector"
    frame = pd.concat([importers, sectors], ignore_index=True)
    # text columns stay text when a combination has no row with a value (e.g. nobody is short: no stage)
    for column in ("commodity", "stage", "kind", "exposed", "unit"):
        frame[column] = frame[column].astype("string")
    frame["seed"] = seed
    frame["unit"] = frame["unit"].str.replace(" per month", "", regex=False)
    # a grid key that is also a result column (``commodity``, ``stage``) leads as the grid's value; the modelled
    # value stays beside it as ``<key>_modelled`` only where it differs (an element run on its group's network)
    for key, value in keys.items():
        if key in frame.columns:
            if (frame[key].astype(str) == str(value)).all():
                frame = frame.drop(columns=key)
            else:
                frame = frame.rename(columns={key: f"{key}_modelled"})
    for key, value in reversed(keys.items()):
        frame.insert(0, key, [value] * len(frame))
    frame.insert(0, "point", point)
    rest = [c if c not in keys else f"{c}_modelled" for c in COLUMNS]
    return frame[["point", *keys, *[c for c in rest if c in frame.columns]]]


def run_unit(context: SweepContext, batch: list[int]) -> UnitResult:
    """Run the combinations ``batch`` (indices into the grid's points): a work unit of a sweep."""
    from critmin.scenario import Scenario

    points = context.grid.points()
    frames: list[pd.DataFrame] = []
    skipped: list[tuple[int, str]] = []
    for index in batch:
        point = points[index]
        seed = point_seed(point, context.seed)
        try:
            spec = apply(context.spec, point, str(context.grid.path))
            result = Scenario(spec, networks=_NETWORKS).run(draws=context.draws, seed=seed)
        except ScenarioSpecError as exc:
            skipped.append((index, str(exc)))
            continue
        keys = {k: context.grid.column(k, v) for k, v in point.items()}
        frames.append(_summary(index, keys, seed, result))
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return UnitResult(rows, skipped)


def batches(count: int, size: int = POINTS_PER_PART) -> list[list[int]]:
    """Point indices ``0 … count-1`` in work units of ``size``."""
    return [list(range(lo, min(lo + size, count))) for lo in range(0, count, size)]


def environment() -> dict[str, str]:
    """What a worker must share with the client to compute the same sweep: critmin's version, the embedded
    data package's hash and the content fingerprint of the store it reads (``CRITMIN_DB``; see
    :func:`critmin.compute.environment.store_fingerprint`) — a probe for :func:`critmin.compute.run_units`."""
    from critmin.compute.environment import installation, store_fingerprint

    return {**installation(), "store": store_fingerprint()}


def fingerprint(context: SweepContext) -> str:
    """A hash of the base spec, the grid, draws, seed, critmin's version and the store's bookkeeping: the
    partitions of one sweep."""
    from critmin import __version__
    from critmin.store import Store

    digest = hashlib.blake2b(digest_size=16)
    for part in (
        context.spec.model_dump_json(),
        json.dumps(context.grid.values, sort_keys=True, default=str),
        json.dumps([context.draws, context.seed, POINTS_PER_PART, __version__]),
        json.dumps(Store.open().meta(), sort_keys=True, default=str),
    ):
        digest.update(part.encode())
    return digest.hexdigest()


__all__ = [
    "COLUMNS",
    "Grid",
    "SweepContext",
    "UnitResult",
    "apply",
    "batches",
    "environment",
    "fingerprint",
    "label",
    "load_grid",
    "point_seed",
    "run_unit",
]
