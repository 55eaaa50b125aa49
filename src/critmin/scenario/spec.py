"""Scenario specifications: the TOML file a user writes, checked against a pydantic schema.

Unknown keys and impossible values are :class:`ScenarioSpecError` naming the key and the line of the file
it sits on (``tomllib`` keeps no positions, so :func:`key_line` scans the text for the key inside its table).
Every uncertain parameter is either a number or a distribution (``{dist = "uniform", low, high}`` or
``{dist = "triangular", low, mode, high}``); the Monte Carlo draws from it and the deterministic run uses its
median (docs/scenario-model.md).
"""

from __future__ import annotations

import math
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class ScenarioSpecError(ValueError):
    """A scenario file that cannot be run: names the file, the key and its line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Uniform(_Strict):
    """Uniform distribution on [low, high]."""

    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low <= self.high:
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")
        return self

    def median(self) -> float:
        return (self.low + self.high) / 2


class Triangular(_Strict):
    """Triangular distribution on [low, high] with the given mode."""

    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"need low <= mode <= high, got {self.low}, {self.mode}, {self.high}")
        return self

    def median(self) -> float:
        """Median of the triangular distribution (closed form on either side of the mode)."""
        lo, mo, hi = self.low, self.mode, self.high
        if hi == lo:
            return lo
        if mo - lo >= (hi - lo) / 2:
            return lo + math.sqrt((hi - lo) * (mo - lo) / 2)
        return hi - math.sqrt((hi - lo) * (hi - mo) / 2)


Dist = Annotated[Uniform | Triangular, Field(discriminator="dist")]
Param = float | Dist


def median(param: Param) -> float:
    """The value a parameter takes in the deterministic run: the number, or the distribution's median."""
    return float(param) if isinstance(param, int | float) else param.median()


def bounds(param: Param) -> tuple[float, float]:
    """Smallest and largest value a parameter can take."""
    return (float(param), float(param)) if isinstance(param, int | float) else (param.low, param.high)


def _in_range(name: str, param: Param | None, lo: float, hi: float) -> Param | None:
    if param is None:
        return None
    a, b = bounds(param)
    if a < lo or b > hi:
        raise ValueError(f"{name} must lie in [{lo:g}, {hi:g}], got {a:g}..{b:g}")
    return param


def _month(value: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}", value):
        raise ValueError(f"a month is YYYY-MM, got {value!r}")
    year, month = (int(p) for p in value.split("-"))
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range in {value!r}")
    return date(year, month, 1)


class ScenarioSection(_Strict):
    """``[scenario]``: the name and the simulated months."""

    name: str
    description: str = ""
    start: str
    months: int = Field(ge=1, le=120)
    #: the year of production, shares and trade the network is built from (default: the latest in the store)
    network_year: int | None = Field(default=None, ge=1990, le=2100)

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        _month(value)
        return value


class Restriction(_Strict):
    """``[[restriction]]``: one export measure (docs/scenario-model.md, "Shocks")."""

    issuer: str
    commodity: str
    stage: str
    targets: list[str] = Field(min_length=1)
    severity: Param = 1.0
    start: str
    duration: int = Field(ge=1, le=120)
    licence_delay: int = Field(default=0, ge=0, le=120)
    leakage: Param = 0.0
    event_id: str | None = None

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        _month(value)
        return value

    @field_validator("severity")
    @classmethod
    def _severity(cls, value: Param) -> Param:
        _in_range("severity", value, 0.0, 1.0)
        return value

    @field_validator("leakage")
    @classmethod
    def _leakage(cls, value: Param) -> Param:
        _in_range("leakage", value, 0.0, 1.0)
        return value

    @model_validator(mode="after")
    def _delay_within_duration(self) -> Restriction:
        if self.licence_delay > self.duration:
            raise ValueError(
                f"licence_delay ({self.licence_delay}) must not exceed duration ({self.duration})"
            )
        return self


class Response(_Strict):
    """``[response]``: spare capacity, ramp, re-routing, stocks, substitution and priorities. A key left out
    takes the documented default (:mod:`critmin.scenario.parameters`)."""

    spare_capacity: Param | None = None
    ramp: Param | None = None
    rerouting: Param | None = None
    stocks_months: Param | None = None
    stocks: dict[str, Param] = Field(default_factory=dict)
    substitution: Param | None = None
    priority: dict[str, float] = Field(default_factory=dict)

    @field_validator("spare_capacity")
    @classmethod
    def _spare(cls, value: Param | None) -> Param | None:
        return _in_range("spare_capacity", value, 0.0, 100.0)

    @field_validator("ramp", "substitution", "rerouting")
    @classmethod
    def _share(cls, value: Param | None) -> Param | None:
        return _in_range("a share per year", value, 0.0, 1.0)

    @field_validator("stocks_months")
    @classmethod
    def _months(cls, value: Param | None) -> Param | None:
        return _in_range("stocks_months", value, 0.0, 120.0)

    @field_validator("stocks")
    @classmethod
    def _stocks(cls, value: dict[str, Param]) -> dict[str, Param]:
        for country, months in value.items():
            _in_range(f"stocks.{country}", months, 0.0, 120.0)
        return value

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: dict[str, float]) -> dict[str, float]:
        for country, weight in value.items():
            if not weight > 0:
                raise ValueError(f"priority.{country} must be positive, got {weight}")
        return value


class Prices(_Strict):
    """``[prices]``: short-run elasticities, the price series to scale and the cap on the multiple. A key left
    out takes the documented default (:mod:`critmin.scenario.parameters`)."""

    form: str | None = None
    demand_elasticity: Param | None = None
    supply_elasticity: Param | None = None
    cap_multiple: float | None = Field(default=None, gt=1.0)

    @field_validator("demand_elasticity")
    @classmethod
    def _demand(cls, value: Param | None) -> Param | None:
        return _in_range("demand_elasticity", value, -10.0, 0.0)

    @field_validator("supply_elasticity")
    @classmethod
    def _supply(cls, value: Param | None) -> Param | None:
        return _in_range("supply_elasticity", value, 0.0, 10.0)

    @model_validator(mode="after")
    def _some_response(self) -> Prices:
        # a distribution may touch 0 at both ends (the definitional bounds of "inelastic"): a zero sum then
        # has probability zero; two fixed zeros leave no price response at all
        supply, demand = self.supply_elasticity, self.demand_elasticity
        if supply is None or demand is None:
            return self
        if median(supply) - median(demand) <= 0 or bounds(supply)[0] - bounds(demand)[1] < 0:
            raise ValueError("supply_elasticity - demand_elasticity must be positive in every draw")
        return self


class Demand(_Strict):
    """``[[demand]]``: a country's consumption where the store has none (with its source)."""

    commodity: str
    country: str
    quantity: float = Field(gt=0)
    unit: str
    year: int
    source: str = Field(min_length=1)


class Spec(_Strict):
    """A whole scenario file."""

    scenario: ScenarioSection
    restriction: list[Restriction] = Field(min_length=1)
    response: Response = Response()
    prices: Prices = Prices()
    demand: list[Demand] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_per_commodity(self) -> Spec:
        seen: set[str] = set()
        for r in self.restriction:
            key = r.commodity.strip().lower()
            if key in seen:
                raise ValueError(f"restriction: more than one restriction on {r.commodity!r}")
            seen.add(key)
        return self

    def start_month(self) -> date:
        return _month(self.scenario.start)


def month_index(start: date, month: str) -> int:
    """Months from ``start`` to ``month`` (YYYY-MM)."""
    m = _month(month)
    return (m.year - start.year) * 12 + m.month - start.month


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?\s*(#.*)?$")
#: pydantic's names for the branches of a union parameter, which are not keys of the file
_BRANCHES = ("uniform", "triangular", "float")


def _assigns(line: str, key: str) -> bool:
    """Whether ``line`` sets ``key`` (``key = …`` or inside an inline table ``{…, key = …}``)."""
    k = re.escape(key)
    return bool(re.match(rf"^\s*\"?{k}\"?\s*=", line) or re.search(rf"[{{,]\s*\"?{k}\"?\s*=", line))


def key_line(text: str, loc: tuple[int | str, ...]) -> int | None:
    """Line (1-based) of the key at ``loc`` (pydantic's error location) in TOML ``text``, or None.

    ``tomllib`` keeps no positions, so this scans the text: it follows ``[table]`` and ``[[array]]`` headers
    (counting repeats of an array of tables) and finds ``key =`` on the lines of that table.
    """
    parts = [p for p in loc if p not in _BRANCHES and re.fullmatch(r"[\w-]+", str(p))]
    if not parts or not isinstance(parts[0], str):
        return None
    table = parts[0]
    index = parts[1] if len(parts) > 1 and isinstance(parts[1], int) else None
    keys = [p for p in parts[1:] if isinstance(p, str)]
    lines = text.splitlines()
    inside, seen, header = False, -1, None
    for n, line in enumerate(lines, 1):
        head = _HEADER.match(line)
        if head:
            name = head.group(2)
            if name == table and head.group(1) == "[[":
                seen += 1
            if name == table or name.startswith(table + "."):
                inside = index is None or seen == index
                if inside and name == table and header is None:
                    header = n
                if inside and keys and name == f"{table}.{keys[0]}":
                    return n
            else:
                inside = False
            continue
        if inside and keys and _assigns(line, keys[0]):
            return n
    if header is not None:
        return header
    return next((n for n, line in enumerate(lines, 1) if _assigns(line, table)), None)


def _describe(exc: ValidationError, text: str, path: Path) -> str:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        branch = next((p for p in loc if p in _BRANCHES), None)
        if branch == "float" and isinstance(err["input"], dict):
            continue  # a distribution was meant: its own errors say what is wrong
        shown = ".".join(str(p) for p in loc if p not in _BRANCHES and re.fullmatch(r"[\w-]+", str(p)))
        line = key_line(text, loc)
        where = f"{path}:{line}" if line else str(path)
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "missing key"
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
        problems.append(f"{where}: {shown or 'scenario'}: {msg}")
    # the float branch and the distribution branch of one parameter repeat each other: keep distinct lines
    unique = list(dict.fromkeys(problems))
    return "; ".join(unique[:3]) + (f" (and {len(unique) - 3} more)" if len(unique) > 3 else "")


def parse_spec(text: str, path: Path | str = "<spec>") -> Spec:
    """A :class:`Spec` from TOML text; :class:`ScenarioSpecError` names key and line of what is wrong."""
    path = Path(path)
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioSpecError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Spec.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioSpecError(_describe(exc, text, path)) from None


def load_spec(path: Path | str) -> Spec:
    """Read and check a scenario file."""
    path = Path(path)
    return parse_spec(path.read_text(encoding="utf-8"), path)
