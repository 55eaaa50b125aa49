"""Vocabularies: commodities, stages, HS codes and countries, read from the data files in ``data/vocab``.

Every name a user or a source gives is resolved here, so the rest of critmin works with canonical ids
(commodity ids such as ``rare-earths``, ISO 3166 alpha-3 country codes). Unknown names raise
:class:`UnknownNameError` with the closest known names as suggestions.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

VOCAB_DIR = resources.files("critmin") / "data" / "vocab"


class UnknownNameError(ValueError):
    """A commodity, stage or country name that critmin does not know; carries close-match suggestions."""

    def __init__(self, kind: str, name: str, suggestions: list[str], detail: str = "") -> None:
        self.kind = kind
        self.name = name
        self.suggestions = suggestions
        self.detail = detail
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        why = f" ({detail})" if detail else ""
        super().__init__(f"unknown {kind} {name!r}{why}{hint}")


@dataclass(frozen=True)
class Commodity:
    """One commodity of the vocabulary: canonical id, display name, kind, symbol, groups and synonyms."""

    id: str
    name: str
    kind: str
    symbol: str
    groups: tuple[str, ...]
    synonyms: tuple[str, ...]

    @property
    def members(self) -> tuple[str, ...]:
        """Ids of the commodities that belong to this group (empty for a single element or mineral)."""
        return tuple(c.id for c in _commodities().values() if self.id in c.groups)


def _read(name: str) -> list[dict[str, str]]:
    text = (VOCAB_DIR / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _key(name: str) -> str:
    """Normalise a name for lookup: lower case, accents dropped, underscores/hyphens/extra spaces folded."""
    return re.sub(r"[\s_\-]+", " ", _fold_accents(name).strip().lower())


def _fold_accents(text: str) -> str:
    """``text`` without combining accents (``"México"`` → ``"Mexico"``), as sources and users often omit them."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _suggest(name: str, choices: list[str], limit: int = 3) -> list[str]:
    from rapidfuzz import fuzz, process

    matches = process.extract(name, choices, scorer=fuzz.WRatio, limit=limit, score_cutoff=60)
    return [m[0] for m in matches]


@cache
def _commodities() -> dict[str, Commodity]:
    out: dict[str, Commodity] = {}
    for row in _read("commodities.csv"):
        out[row["id"]] = Commodity(
            id=row["id"],
            name=row["name"],
            kind=row["kind"],
            symbol=row["symbol"],
            groups=tuple(g for g in row["groups"].split(";") if g),
            synonyms=tuple(s for s in row["synonyms"].split(";") if s),
        )
    return out


@cache
def _commodity_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for c in _commodities().values():
        for alias in (c.id, c.name, *c.synonyms):
            index.setdefault(_key(alias), c.id)
    # element symbols are matched case-sensitively-ish after names, so "In" never shadows a name
    for c in _commodities().values():
        if c.symbol:
            index.setdefault(_key(c.symbol), c.id)
    return index


def commodity_ids() -> list[str]:
    """All canonical commodity ids, in vocabulary order."""
    return list(_commodities())


def commodity(name: str) -> Commodity:
    """The :class:`Commodity` for an id, display name, synonym or element symbol."""
    return _commodities()[resolve_commodity(name)]


def resolve_commodity(name: str) -> str:
    """Canonical commodity id for ``name`` (e.g. ``"Rare Earths (REO)"`` → ``"rare-earths"``)."""
    found = _commodity_index().get(_key(name))
    if found is None:
        raise UnknownNameError("commodity", name, _suggest(name, commodity_ids()))
    return found


def expand_commodity(name: str) -> list[str]:
    """The commodity id followed by the ids of its group members (``rare-earths`` → REE elements too)."""
    com = commodity(name)
    out = [com.id]
    for member in com.members:
        out.extend(m for m in expand_commodity(member) if m not in out)
    return out


@cache
def stages() -> dict[str, str]:
    """Stage id → display name (mining, refining, metal, magnet, anode)."""
    return {row["id"]: row["name"] for row in _read("stages.csv")}


def resolve_stage(name: str) -> str:
    """Canonical stage id for an id or display name (``"separation/refining"`` → ``"refining"``)."""
    key = _key(name)
    for sid, display in stages().items():
        if key in {_key(sid), _key(display), *(_key(p) for p in display.split("/"))}:
            return sid
    raise UnknownNameError("stage", name, _suggest(name, list(stages())))


@cache
def hs_codes() -> list[dict[str, str]]:
    """HS92 six-digit codes mapped to a commodity and a stage (``hs_codes.csv``)."""
    return _read("hs_codes.csv")


def hs_for(commodity_name: str, stage: str | None = None) -> list[str]:
    """HS92 codes that carry ``commodity_name`` (optionally at one stage), e.g. rare earths → 280530, 2846xx."""
    ids = set(expand_commodity(commodity_name))
    sid = resolve_stage(stage) if stage else None
    return [r["hs"] for r in hs_codes() if r["commodity"] in ids and (sid is None or r["stage"] == sid)]


@cache
def source_names() -> dict[tuple[str, str], dict[str, str]]:
    """(dataset, name as the source spells it) → commodity id, product and stage."""
    return {(r["dataset"], r["name"]): r for r in _read("source_names.csv")}


# --- countries -------------------------------------------------------------------------------------


@cache
def _country_extra() -> dict[str, str]:
    """Normalised name → ISO3 from ``countries_extra.csv`` ("" for residual rows such as "Other countries")."""
    return {_key(r["name"]): r["iso3"] for r in _read("countries_extra.csv")}


@cache
def eu27() -> tuple[str, ...]:
    """ISO3 codes of the 27 EU member states (since 1 February 2020)."""
    return tuple(r["iso3"] for r in _read("eu27.csv"))


@cache
def _converter() -> Any:
    import logging

    import country_converter as coco

    logging.getLogger("country_converter").setLevel(logging.CRITICAL)
    return coco.CountryConverter()


#: what country_converter returns for a name it does not know (its ``not_found=None`` echoes the input)
_NOT_FOUND = "\x00not found"


@cache
def _iso3_codes() -> frozenset[str]:
    """Every ISO3 code critmin accepts: country_converter's ISO 3166 codes plus those of ``countries_extra``."""
    extra = {code for code in _country_extra().values() if code}
    return frozenset(set(_converter().data["ISO3"]) | extra)


@cache
def _other_codes() -> dict[str, tuple[str, str]]:
    """IOC and FIFA codes that are not ISO3 codes (``GER``) → (ISO3, which systems use the code)."""
    data = _converter().data
    out: dict[str, tuple[str, list[str]]] = {}
    for system in ("IOC", "FIFA"):
        for code, iso3 in zip(data[system], data["ISO3"], strict=True):
            if isinstance(code, str) and code not in _iso3_codes():
                out.setdefault(code, (iso3, []))[1].append(system)
    return {code: (iso3, "/".join(systems)) for code, (iso3, systems) in out.items()}


@cache
def iso_numeric_codes() -> dict[str, str]:
    """ISO 3166 numeric code (3 digits, as Natural Earth and world-atlas key countries) for each ISO3 code."""
    data = _converter().data
    return {
        str(iso3): f"{int(num):03d}"
        for iso3, num in zip(data["ISO3"], data["ISOnumeric"], strict=True)
        if isinstance(iso3, str) and str(num).strip().isdigit()
    }


def is_residual(name: str) -> bool:
    """True for residual rows such as USGS "Other countries", which have no ISO3 code."""
    return _country_extra().get(_key(name)) == ""


@cache
def resolve_country(name: str) -> str:
    """ISO3 code for an ISO3 or ISO2 code or a country name in any spelling our sources or users use.

    Names go through ``countries_extra.csv`` (aggregates ``WLD`` and ``EU27``, former and source-specific
    codes, endonyms such as "Deutschland") and then country_converter. Codes of other systems (IOC/FIFA
    ``GER``, ISO numeric ``276``), residual rows ("Other countries") and unknown names raise
    :class:`UnknownNameError` with suggestions, so a typo never becomes an empty or zero answer.
    """
    raw = str(name).strip()
    extra = _country_extra().get(_key(raw))
    if extra:
        return extra
    if extra == "":
        raise UnknownNameError("country", raw, [], "a residual row of a source table, not a country")
    if re.fullmatch(r"[A-Za-z]{3}", raw):
        code = raw.upper()
        if code in _iso3_codes():
            return code
        if code in _other_codes():
            iso3, systems = _other_codes()[code]
            detail = (
                f"{code} is the {systems} code of {country_name(iso3)}; critmin uses ISO 3166 alpha-3 codes"
            )
            raise UnknownNameError("country", raw, [iso3], detail)
        raise UnknownNameError("country", raw, _suggest(code, sorted(_iso3_codes())), "not an ISO3 code")
    if raw.isdigit():
        converted = _converter().convert(raw, src="ISOnumeric", to="ISO3", not_found=_NOT_FOUND)
        known = [converted] if converted in _iso3_codes() else []
        raise UnknownNameError("country", raw, known, "give an ISO3 code or a name, not a number")
    if raw:
        converted = _converter().convert(raw, to="ISO3", not_found=_NOT_FOUND)
        if converted == _NOT_FOUND and _fold_accents(raw) != raw:
            converted = _converter().convert(_fold_accents(raw), to="ISO3", not_found=_NOT_FOUND)
        if isinstance(converted, str) and converted in _iso3_codes():
            return converted
    raise UnknownNameError(
        "country", raw, _suggest(raw, _country_names()) if raw else [], "" if raw else "empty"
    )


@cache
def _country_names() -> list[str]:
    data = _converter().data
    return sorted(set(data["name_short"]) | set(data["ISO3"]))


@cache
def country_name(iso3: str) -> str:
    """Short English name for an ISO3 code (``WLD`` → ``World``); the code itself if unknown."""
    if iso3 == "WLD":
        return "World"
    if iso3 == "EU27":
        return "EU27"
    name = _converter().convert(iso3, src="ISO3", to="name_short", not_found=_NOT_FOUND)
    if isinstance(name, str) and name and name != _NOT_FOUND:
        return name
    return _former_names().get(iso3, iso3)


@cache
def _former_names() -> dict[str, str]:
    """ISO3 → name for the codes only ``countries_extra.csv`` knows (e.g. ``ANT`` Netherlands Antilles)."""
    out: dict[str, str] = {}
    for row in _read("countries_extra.csv"):
        if row["iso3"] and row["name"] != row["iso3"]:
            out.setdefault(row["iso3"], row["name"])
    return out


# --- units -------------------------------------------------------------------------------------------


@cache
def _units() -> dict[str, tuple[str, float]]:
    """Alias (normalised) → (unit id, kilograms per unit), from ``units.csv``."""
    out: dict[str, tuple[str, float]] = {}
    for row in _read("units.csv"):
        for alias in (row["id"], *row["aliases"].split(";")):
            out[_key(alias)] = (row["id"], float(row["kg_per_unit"]))
    return out


def resolve_unit(name: str) -> str:
    """Unit id (``kg``, ``t``, ``kt``) for a unit word as sources print it (``"metric tons"`` → ``t``)."""
    found = _units().get(_key(name))
    if found is None:
        raise UnknownNameError("unit", name, _suggest(name, sorted({u for u, _ in _units().values()})))
    return found[0]


def kg_per_unit(unit: str) -> float:
    """Kilograms in one ``unit`` (the mass part of units such as ``t REO``)."""
    return _units()[_key(resolve_unit(unit.split()[0]))][1]


@cache
def usgs_units() -> dict[str, str]:
    """Commodity id → the unit in which USGS MCS publishes it (``rare-earths`` → ``t REO``)."""
    return {r["commodity"]: r["unit"] for (ds, _), r in source_names().items() if ds == "usgs_mcs"}
