"""Parser of the USGS Mineral Commodity Summaries world-data CSVs into the ``usgs_mcs`` store schema.

Two official layouts are read, detected from the header: the MCS 2024 data release's per-chapter files
(``mcs2024-raree_world.csv``: ``Source,Country,Type,Prod_t_est_2022,...,Reserves_t,Reserves_notes``, unit in
the field name) and the MCS 2025 combined file (``MCS2025_World_Data.csv``: ``SOURCE,COMMODITY,COUNTRY,TYPE,
UNIT_MEAS,PROD_2023,PROD_EST_ 2024,...,RESERVES_2024,RESERVE_NOTES``). The conventions follow
``shared/data/usgs_mcs/production_reserves.csv``: "—" is zero, W/NA/blank are missing with the symbol in the
note (except that MCS 2025 prints "—" as a blank cell, see :func:`_fill_blank_2025`), reserves sit on the row of
the edition's latest year, ">" lower bounds are stored as the bound.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from critmin import vocab
from critmin.data.importers import constraints
from critmin.data.importers.errors import ImportFormatError
from critmin.data.importers.files import check_delimiter, csv_rows, encoding_of

COLUMNS = [
    "commodity",
    "product",
    "stage",
    "usgs_commodity",
    "edition",
    "year",
    "country",
    "iso3",
    "mine_production",
    "reserves",
    "unit",
    "estimated",
    "note",
    "source",
]

# MCS 2024 data release: chapter code in the file name (mcs2024-<code>_world.csv) -> USGS chapter name.
CHAPTER_CODES = {
    "antim": "Antimony",
    "bismu": "Bismuth",
    "chrom": "Chromium",
    "cobal": "Cobalt",
    "fluor": "Fluorspar",
    "galli": "Gallium",
    "germa": "Germanium",
    "graph": "Graphite",
    "indiu": "Indium",
    "lithi": "Lithium",
    "manga": "Manganese",
    "mgmet": "Magnesium metal",
    "molyb": "Molybdenum",
    "nicke": "Nickel",
    "niobi": "Niobium",
    "plati": "Platinum-group metals",
    "raree": "Rare earths",
    "simet": "Silicon",
    "tanta": "Tantalum",
    "tellu": "Tellurium",
    "timin": "Titanium mineral concentrates",
    "tin": "Tin",
    "tungs": "Tungsten",
    "vanad": "Vanadium",
}

# Commodities for which USGS publishes no reserves; a number in the reserves column of such a table is
# something else (capacity in the MCS 2025 indium and magnesium rows) and is not stored as reserves.
# Platinum and palladium reserves are published for all PGMs combined and go to platinum-group-metals rows.
NO_RESERVES = {"gallium", "magnesium", "silicon", "indium", "platinum", "palladium"}
PGM_MEMBERS = {"platinum", "palladium"}

# Unit labels known to be wrong in an official release: (edition, commodity id, label unit) -> true unit.
KNOWN_UNIT_LABEL_ERRORS = {
    (2025, "titanium", "t"): (
        "kt",
        "data release gives UNIT_MEAS 'metric tons'; values are kt TiO2 as in the MCS 2024 and 2026 releases",
    ),
}

SYMBOL_TEXT = {
    "—": "— (zero)",
    "W": "W (withheld to avoid disclosing company proprietary data)",
    "NA": "NA (not available)",
    "Small": "Small",
    "blank zero": "blank in the data release, read as — (zero) as in the printed table",
    "not published": "blank in the data release (no table published)",
}
LOWER_BOUND_NOTE = "reserves published as a lower bound"
SKIP_UNKNOWN = "rows of commodities critmin does not cover"

# USGS country spellings that the e-suffix check must know as exact names ("Korea, Republic ofe" = e mark).
_USGS_SPELLINGS = {
    "burma",
    "congo (kinshasa)",
    "congo (brazzaville)",
    "korea, republic of",
    "korea, north",
    "laos",
    "turkey",
    "vietnam",
    "russia",
    "côte d’ivoire",
    "cote d'ivoire",
    "united states",
}

_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_DASHES = {"—", "–", "-", "--", "\u2015"}


@dataclass(frozen=True)
class _Table:
    """One USGS table resolved to critmin's vocabulary (a chapter, or one product of a split chapter)."""

    name: str
    commodity: str
    product: str | None
    stage: str

    @property
    def has_reserves(self) -> bool:
        """False for commodities whose reserves USGS does not publish (or publishes under the PGM total)."""
        return self.commodity not in NO_RESERVES


@dataclass(frozen=True)
class _Value:
    """One parsed cell: number (``None`` if missing), USGS symbol, ">" lower bound, "e" estimate mark."""

    value: float | None
    symbol: str | None = None
    lower_bound: bool = False
    e_mark: bool = False


@dataclass
class _Record:
    """One data row of either layout, normalised before the output rows are made from it."""

    line: int
    table: _Table
    country: str
    iso3: str | None
    country_e: bool
    prod: dict[int, _Value]
    est_years: set[int]
    unit: str  # critmin unit of the production figures (e.g. "t REO")
    reserves: _Value
    reserves_factor: float  # multiply published reserves by this to get them in ``unit``
    prod_note: str
    res_note: str
    type_estimated: bool
    notes: list[str] = field(default_factory=list)
    res_notes: list[str] = field(default_factory=list)


@dataclass
class _File:
    """A CSV file's header and its non-blank rows, streamed anew on each pass (with the line each starts on)."""

    path: str
    header: list[str]
    encoding: str
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """The data rows; one with fewer fields than the header (USGS writes them all) is refused as cut off."""
        rows = csv_rows(self.path, self.encoding)
        next(rows, None)
        for line, cells in rows:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) < len(self.header):
                raise self.err(
                    line,
                    None,
                    f"{len(cells)} fields where the header has {len(self.header)}; "
                    "the record is cut off or malformed",
                )
            yield line, cells

    def err(self, line: int | None, column: str | None, message: str) -> ImportFormatError:
        """An :class:`ImportFormatError` located in this file."""
        return ImportFormatError(self.path, line, column, message)


def read_usgs_mcs(
    path: str | os.PathLike[str],
    *,
    commodity: str | None = None,
    unknown_commodities: Literal["raise", "skip"] = "raise",
    skipped: Counter[str] | None = None,
) -> pd.DataFrame:
    """Read one USGS MCS world-data CSV (MCS 2024 chapter file or MCS 2025 combined file) into ``usgs_mcs`` rows.

    ``commodity`` names the chapter of an MCS 2024 file whose name does not carry the chapter code
    (``"raree"`` or ``"Rare earths"``). ``unknown_commodities="skip"`` drops chapters critmin does not cover
    (the full ``MCS2025_World_Data.csv`` has ~90) instead of raising; ``skipped`` counts the rows dropped.
    Raises :class:`ImportFormatError` for anything malformed.
    """
    f = _read_csv(path)
    keys = {_norm_header(h) for h in f.header}
    if {"commodity", "unit_meas"} & keys:
        records, edition = _parse_2025(f, unknown_commodities)
    else:
        records, edition = _parse_2024(f, commodity, unknown_commodities)
    source = f"{Path(path).name} (USGS MCS {edition} data release)"
    frame = _frame(_emit(f, records, edition, source))
    if skipped is not None:
        skipped.update(+f.skipped)
    return frame


# --- reading -------------------------------------------------------------------------------------------


def _read_csv(path: str | os.PathLike[str]) -> _File:
    """The file's header (BOM, CRLF, quoted newlines handled); raises if it has no header or no data rows."""
    encoding = encoding_of(path)
    first = next(csv_rows(path, encoding), None)
    header = [c.replace("\ufeff", "").strip() for c in first[1]] if first else []
    if not any(header):
        raise ImportFormatError(path, 1, None, "file has no header")
    check_delimiter(path, header, "SOURCE")
    f = _File(str(path), header, encoding)
    if next(f.rows, None) is None:
        raise ImportFormatError(path, None, None, "file has a header but no data rows")
    return f


def _norm_header(h: str) -> str:
    """Field name for matching: lower case without blanks ("PROD_EST_ 2024" -> "prod_est_2024")."""
    return re.sub(r"\s+", "", h.strip().lower())


def _clean(s: str) -> str:
    """Whitespace-normalised cell text (non-breaking spaces, runs of blanks, cp1252 em dash)."""
    s = s.replace("\xa0", " ").replace("\x97", "—").replace("\ufeff", "")
    return re.sub(r"\s+", " ", s).strip()


def _cell(cells: Sequence[str], i: int | None) -> str:
    """Cleaned text of column ``i`` of a row ('' if the column is absent or the row is short)."""
    if i is None or i >= len(cells):
        return ""
    return _clean(cells[i])


# --- the two layouts -----------------------------------------------------------------------------------


def _parse_2024(
    f: _File, commodity: str | None, unknown: Literal["raise", "skip"]
) -> tuple[list[_Record], int]:
    """MCS 2024 per-chapter file: commodity from the file name, units from the field names."""
    h = [_norm_header(x) for x in f.header]
    col_source = _require(f, h, r"source", "Source")
    col_country = _require(f, h, r"country", "Country")
    col_type = _find(h, r"type")
    prod_cols: list[tuple[int, int, bool, str]] = []  # index, year, estimated column, unit token
    res_col: int | None = None
    res_unit_token = ""
    for i, name in enumerate(h):
        m = re.fullmatch(r"prod_([a-z]+)_(est_)?(\d{4})", name)
        if m:
            prod_cols.append((i, int(m.group(3)), bool(m.group(2)), m.group(1)))
            continue
        m = re.fullmatch(r"reserves_([a-z0-9]+)", name)
        if m and m.group(1) not in ("note", "notes"):
            if res_col is not None:
                raise f.err(1, f.header[i], "more than one reserves column")
            res_col, res_unit_token = i, m.group(1)
    if not prod_cols:
        raise f.err(1, "Prod_<unit>_<year>", "required production columns (e.g. 'Prod_t_2023') are missing")
    if col_type is None and len(h) > 2 and not any(i == 2 for i, *_ in prod_cols):
        col_type = 2  # the fluorspar file names its type column "Mine production, fluorspar"
    col_pnote = _find(h, r"prod_notes?")
    col_rnote = _find(h, r"reserves?_notes?")

    tokens = {t for *_, t in prod_cols}
    for i, _, _, t in prod_cols:
        if not _is_mass_unit(t):
            raise f.err(1, f.header[i], f"unit {t!r} in the field name is not one of t, kt, kg")
    if len(tokens) > 1:
        raise f.err(1, f.header[prod_cols[-1][0]], f"production columns mix units {sorted(tokens)}")
    prod_unit = prod_cols[0][3]
    factor = 1.0
    if res_col is not None:
        if not _is_mass_unit(res_unit_token):
            raise f.err(
                1,
                f.header[res_col],
                f"reserves unit {res_unit_token!r} cannot be converted to the production unit {prod_unit!r}",
            )
        factor = vocab.kg_per_unit(res_unit_token) / vocab.kg_per_unit(prod_unit)

    chapter = _chapter_2024(f, commodity)
    if chapter is None:
        if unknown == "skip":
            f.skipped[SKIP_UNKNOWN] += sum(1 for _ in f.rows)
            return [], _edition(f, col_source)
        m = re.search(r"mcs\d{4}-([a-z0-9]+)_world", Path(f.path).name, re.I)
        code = m.group(1) if m else Path(f.path).name
        raise f.err(
            None,
            None,
            f"unknown commodity: chapter {code!r} is not covered "
            f"(known chapter codes: {', '.join(sorted(CHAPTER_CODES))}; give the chapter of a renamed file with --commodity, commodity= in Python)",
        )
    edition = _edition(f, col_source)
    years = sorted(y for _, y, _, _ in prod_cols)
    if len(set(years)) != len(years):
        raise f.err(1, None, f"production years repeat: {years}")
    expected = [edition - 2, edition - 1]  # an MCS edition reports the two years before it
    if years != expected:
        missing = ", ".join(f"Prod_{prod_unit}_{y}" for y in expected if y not in years)
        raise f.err(
            1,
            missing or None,
            f"MCS {edition} world tables have production columns for {expected}, found {years}",
        )

    records: list[_Record] = []
    for line, cells in f.rows:
        country_raw = _cell(cells, col_country)
        if not country_raw:
            raise f.err(line, f.header[col_country], "country is missing")
        type_text = _cell(cells, col_type)
        type_name = f.header[col_type] if col_type is not None else "Type"
        table = _resolve_table(f, line, None, type_name, chapter, type_text, country_raw, unknown)
        if table is None:
            f.skipped[SKIP_UNKNOWN] += 1
            continue
        # the unit is in the header's field names, so a mismatch is reported on line 1
        unit, unit_note = _check_unit(f, 1, f.header[prod_cols[0][0]], table, prod_unit, edition)
        country, iso3, e_flag, qual = _country(f, line, f.header[col_country], country_raw)
        prod = {
            y: _value(f, line, f.header[i], cells[i] if i < len(cells) else "") for i, y, _, _ in prod_cols
        }
        rnote = _cell(cells, col_rnote)
        # text spilled into unnamed trailing columns belongs to the reserves notes
        extra = " ".join(
            _cell(cells, j) for j in range(len(cells)) if (j >= len(h) or not h[j]) and _cell(cells, j)
        )
        reserves = (
            _value(f, line, f.header[res_col], cells[res_col] if res_col < len(cells) else "")
            if res_col is not None
            else _Value(None)
        )
        rec = _Record(
            line=line,
            table=table,
            country=country,
            iso3=iso3,
            country_e=e_flag,
            prod=prod,
            est_years={y for _, y, est, _ in prod_cols if est},
            unit=unit,
            reserves=reserves,
            reserves_factor=factor,
            prod_note=_cell(cells, col_pnote),
            res_note=" ".join(x for x in (rnote, extra) if x),
            type_estimated=False,
        )
        if qual:
            rec.notes.append(qual)
        if unit_note:
            rec.notes.append(unit_note)
        if factor != 1 and table.has_reserves:
            rec.res_notes.append(
                f"reserves converted from {res_unit_token} (as published) to {unit.split()[0]}"
            )
        records.append(rec)
    return records, edition


def _parse_2025(f: _File, unknown: Literal["raise", "skip"]) -> tuple[list[_Record], int]:
    """MCS 2025 combined file: commodity and unit (UNIT_MEAS) on every row."""
    h = [_norm_header(x) for x in f.header]
    cols: dict[str, int] = {}
    for name in ("SOURCE", "COMMODITY", "COUNTRY", "TYPE", "UNIT_MEAS"):
        i = _find(h, name.lower())
        if i is None:
            raise f.err(1, name, f"required column {name!r} is missing")
        cols[name] = i
    prod_cols: list[tuple[int, int, bool]] = []
    res_col: int | None = None
    for i, name in enumerate(h):
        m = re.fullmatch(r"prod_(est_)?(\d{4})", name)
        if m:
            prod_cols.append((i, int(m.group(2)), bool(m.group(1))))
        elif re.fullmatch(r"reserves?_\d{4}", name):
            if res_col is not None:
                raise f.err(1, f.header[i], "more than one reserves column")
            res_col = i
    if not prod_cols:
        raise f.err(1, "PROD_<year>", "required production columns (e.g. 'PROD_2023') are missing")
    years = sorted(y for _, y, _ in prod_cols)
    if len(set(years)) != len(years):
        raise f.err(1, None, f"production years repeat: {years}")
    col_pnote = _find(h, r"prod_notes?")
    col_rnote = _find(h, r"reserves?_notes?")
    edition = _edition(f, cols["SOURCE"])
    if years != [edition - 2, edition - 1]:  # an MCS edition reports the two years before it
        raise f.err(
            1,
            None,
            f"MCS {edition} world data has production columns for {[edition - 2, edition - 1]}, found {years}",
        )

    # reserves published in thousand metric tons (molybdenum, vanadium): said in a note on some row
    kt_reserves: set[str] = set()
    for _, cells in f.rows:
        if re.search(r"reserve data is (in )?thousand metric tons", _cell(cells, col_rnote), re.I):
            kt_reserves.add(_cell(cells, cols["COMMODITY"]).lower())

    records: list[_Record] = []
    for line, cells in f.rows:
        chapter = _cell(cells, cols["COMMODITY"])
        if not chapter:
            raise f.err(line, f.header[cols["COMMODITY"]], "commodity is missing")
        country_raw = _cell(cells, cols["COUNTRY"])
        table = _resolve_table(
            f,
            line,
            f.header[cols["COMMODITY"]],
            f.header[cols["TYPE"]],
            chapter,
            _cell(cells, cols["TYPE"]),
            country_raw,
            unknown,
        )
        if table is None:
            f.skipped[SKIP_UNKNOWN] += 1
            continue
        if not country_raw:
            raise f.err(line, f.header[cols["COUNTRY"]], "country is missing")
        unit_col = f.header[cols["UNIT_MEAS"]]
        label = _cell(cells, cols["UNIT_MEAS"])
        notes: list[str] = []
        if label:
            try:
                base = vocab.resolve_unit(label)
            except vocab.UnknownNameError:
                raise f.err(line, unit_col, f"unit {label!r} is not recognised") from None
        else:
            expected_base = _expected_base(table)
            if expected_base is None:
                raise f.err(line, unit_col, "unit is missing")
            base = expected_base
            notes.append(f"UNIT_MEAS blank in the data release; the chapter's unit ({base}) is assumed")
        unit, unit_note = _check_unit(f, line, unit_col, table, base, edition)
        if unit_note:
            notes.append(unit_note)
        country, iso3, e_flag, qual = _country(f, line, f.header[cols["COUNTRY"]], country_raw)
        if qual:
            notes.insert(0, qual)
        prod = {y: _value(f, line, f.header[i], cells[i] if i < len(cells) else "") for i, y, _ in prod_cols}
        reserves = (
            _value(f, line, f.header[res_col], cells[res_col] if res_col < len(cells) else "")
            if res_col is not None
            else _Value(None)
        )
        res_unit = "kt" if chapter.lower() in kt_reserves else unit.split()[0]
        factor = vocab.kg_per_unit(res_unit) / vocab.kg_per_unit(unit)
        rec = _Record(
            line=line,
            table=table,
            country=country,
            iso3=iso3,
            country_e=e_flag,
            prod=prod,
            est_years={y for _, y, est in prod_cols if est},
            unit=unit,
            reserves=reserves,
            reserves_factor=factor,
            prod_note=_cell(cells, col_pnote),
            res_note=_cell(cells, col_rnote),
            type_estimated=bool(re.search(r"\bestimated\b", _cell(cells, cols["TYPE"]), re.I)),
            notes=notes,
        )
        if factor != 1 and table.has_reserves:
            rec.res_notes.append(f"reserves converted from {res_unit} (as published) to {unit.split()[0]}")
        records.append(rec)
    _fill_blank_2025(records)
    return records, edition


def _fill_blank_2025(records: list[_Record]) -> None:
    """Give the blank cells of the MCS 2025 file their meaning.

    The MCS 2025 data release leaves a cell blank where the printed table shows "—" (zero), and writes W/NA
    in the notes column ("W for 23-24"); a table whose world total is blank too was not published (germanium).
    """
    world_blank: dict[tuple[str, int], bool] = {}
    for r in records:
        if r.iso3 == "WLD":
            for y, v in r.prod.items():
                world_blank[(r.table.name, y)] = v.value is None and v.symbol is None
    for r in records:
        pnote = r.prod_note.strip()
        sym: str | None = None
        m = re.match(r"^(w|na)\b", pnote, re.I)
        if m:
            sym = m.group(1).upper()
        else:
            m2 = re.search(r"included (?:with|in) [a-z ]*[a-z]", pnote, re.I)
            if m2:
                sym = m2.group(0).lower()
        for y, v in list(r.prod.items()):
            if v.value is not None or v.symbol is not None:
                continue
            if sym:
                r.prod[y] = _Value(None, sym)
            elif world_blank.get((r.table.name, y), True):
                r.prod[y] = _Value(None, "not published")
            else:
                r.prod[y] = _Value(0.0, "blank zero")
        if sym and re.match(r"^(w|na)\b", pnote, re.I):
            r.prod_note = ""  # the symbol has been moved into the cells
        rv = r.reserves
        if rv.value is None and rv.symbol is None:
            rsym = _symbol_in_note(r.res_note)
            if rsym:
                r.reserves = _Value(None, rsym)


def _symbol_in_note(note: str) -> str | None:
    """USGS symbol that an MCS 2025 notes field gives for a blank reserves cell ("NA", "Included in ...")."""
    low = note.strip().lower()
    if re.match(r"^na\b", low):
        return "NA"
    if low.startswith("small"):
        return "Small"
    m = re.search(r"included (?:with|in) [a-z ]*[a-z]", low)
    return m.group(0) if m else None


# --- commodity, unit, country, value ------------------------------------------------------------------


def _require(f: _File, h: list[str], pattern: str, name: str) -> int:
    """Index of a required column; raises naming the column if it is missing."""
    i = _find(h, pattern)
    if i is None:
        raise f.err(1, name, f"required column {name!r} is missing")
    return i


def _find(h: list[str], pattern: str) -> int | None:
    """Index of the first normalised field name matching ``pattern`` entirely."""
    for i, name in enumerate(h):
        if re.fullmatch(pattern, name):
            return i
    return None


def _edition(f: _File, col: int) -> int:
    """MCS edition year from the Source column ("MCS2024"); one file must hold one edition."""
    editions: dict[int, int] = {}
    for line, cells in f.rows:
        s = _cell(cells, col)
        m = re.fullmatch(r"MCS\s?(\d{4})", s, re.I)
        if not m:
            raise f.err(line, f.header[col], f"{s!r} is not an MCS edition such as 'MCS2024'")
        editions.setdefault(int(m.group(1)), line)
        if len(editions) > 1:
            raise f.err(line, f.header[col], f"mixes editions {sorted(editions)}")
    return next(iter(editions))


def _chapter_2024(f: _File, commodity: str | None) -> str | None:
    """USGS chapter name of an MCS 2024 file, from ``commodity`` or from the file name's chapter code."""
    if commodity:
        return CHAPTER_CODES.get(commodity.strip().lower(), commodity)
    m = re.search(r"mcs\d{4}-([a-z0-9]+)_world", Path(f.path).name, re.I)
    if not m:
        raise f.err(
            None,
            None,
            "cannot tell the commodity: the file name is not 'mcsYYYY-<chapter>_world.csv' "
            "(give the chapter with --commodity, commodity= in Python, e.g. 'raree' or 'Rare earths')",
        )
    return CHAPTER_CODES.get(m.group(1).lower())


def _key(name: str) -> str:
    """Lookup key for a USGS commodity spelling (case and blanks folded: "Gallium " = "gallium")."""
    return re.sub(r"\s+", " ", name.strip().lower())


@cache
def _source_names() -> dict[str, dict[str, str]]:
    """usgs_mcs rows of critmin's source_names.csv by folded name, in file order (first spelling wins)."""
    out: dict[str, dict[str, str]] = {}
    for (ds, name), row in vocab.source_names().items():
        if ds == "usgs_mcs":
            out.setdefault(_key(name), row)
    return out


def _table_name(chapter: str, type_text: str, country: str) -> str:
    """Name of the USGS table a row belongs to, splitting the PGM, silicon and titanium chapters."""
    c, t = _key(chapter), type_text.lower()
    if c in ("platinum-group metals", "platinum group metals"):
        if "palladium" in t:
            return "palladium"
        if "platinum" in t:
            return "platinum"
        return ""
    if c == "silicon":
        return (
            "silicon (ferrosilicon, Si content)"
            if re.search(r"fer+osilicon", t)
            else "silicon (silicon metal)"
        )
    if c == "titanium mineral concentrates":
        if "ilmenite and rutile" in country.lower():
            return "titanium mineral concentrates (ilmenite + rutile)"
        if "rutile" in t and not re.search(r"ilmen?t?ite", t):
            return "titanium mineral concentrates (rutile)"
        return "titanium mineral concentrates (ilmenite)"
    return chapter


def _resolve_table(
    f: _File,
    line: int,
    column: str | None,
    type_column: str,
    chapter: str,
    type_text: str,
    country: str,
    unknown: Literal["raise", "skip"],
) -> _Table | None:
    """critmin commodity, product and stage of a row's table; ``None`` for a skipped unknown commodity."""
    name = _table_name(chapter, type_text, country)
    if not name:
        raise f.err(line, type_column, f"cannot tell platinum from palladium in {type_text!r}")
    row = _source_names().get(_key(name))
    if row is None:
        if unknown == "skip":
            return None
        raise f.err(
            line,
            column,
            f"unknown commodity {chapter.strip()!r} (not in critmin's source_names.csv for dataset usgs_mcs)",
        )
    return _table_of(row)


def _table_of(row: dict[str, str]) -> _Table:
    """_Table for a source_names row, named by the first (canonical) row of the same commodity and product.

    Official misspellings ("Gemanium") thus get the same ``usgs_commodity`` as the embedded package rows.
    """
    canonical = next(
        r
        for r in _source_names().values()
        if (r["commodity"], r["product"]) == (row["commodity"], row["product"])
    )
    return _Table(
        name=canonical["name"],
        commodity=row["commodity"],
        product=row["product"] or None,
        stage=row["stage"],
    )


def _pgm_table() -> _Table:
    """The table of the all-PGM reserves rows made from the platinum/palladium rows."""
    return _table_of(_source_names()["platinum-group metals"])


def _is_mass_unit(token: str) -> bool:
    """True for a unit token critmin can convert (``t``, ``kt``, ``kg`` and their spellings)."""
    try:
        vocab.resolve_unit(token)
    except vocab.UnknownNameError:
        return False
    return True


def _expected_base(table: _Table) -> str | None:
    """Mass unit (t, kt, kg) in which USGS publishes a table, if critmin knows it."""
    unit = vocab.usgs_units().get(table.commodity)
    return unit.split()[0] if unit else None


def _check_unit(
    f: _File, line: int, column: str, table: _Table, base: str, edition: int
) -> tuple[str, str | None]:
    """critmin unit for a table whose figures the file gives in ``base``; refuses a unit that differs."""
    expected = vocab.usgs_units().get(table.commodity)
    if expected is None:
        return base, None
    exp_base = expected.split()[0]
    note = None
    if base != exp_base:
        fix = KNOWN_UNIT_LABEL_ERRORS.get((edition, table.commodity, base))
        if fix is None or fix[0] != exp_base:
            raise f.err(
                line,
                column,
                f"unit mismatch: {base} given, but USGS publishes {table.name} in {expected}",
            )
        note = fix[1]
    return expected, note


@cache
def _exact_country_names() -> frozenset[str]:
    """Exact country names (casefolded) for telling a fused footnote "e" ("Japane") from a name's last letter."""
    import country_converter as coco

    data = coco.CountryConverter().data
    names = set(data["name_short"].str.casefold()) | set(data["name_official"].str.casefold())
    return frozenset(names | _USGS_SPELLINGS)


def _country(f: _File, line: int, column: str, raw: str) -> tuple[str, str | None, bool, str | None]:
    """(USGS name without footnote marks, ISO3 or None, country carries an "e" mark, qualifier note)."""
    s = _clean(raw)
    if why := constraints.problem("usgs_mcs", "country", s):
        raise f.err(line, column, why)
    if s.lower().startswith("world total") or s.lower() == "world":
        return "World total", "WLD", False, None
    s = re.sub(r"(?<=\D)\s*\d+$", "", s).strip()  # fused footnote number: "Other countries4"
    if s.lower() in ("other", "other countries") or vocab.is_residual(s):
        return "Other countries", None, False, None
    qual = None
    m = re.fullmatch(r"(.*?),\s*(concentrates?)", s, re.I)
    if m:
        s, qual = m.group(1), m.group(2).lower()
    e_flag = False
    exact = _exact_country_names()
    if s.endswith("e") and s.casefold() not in exact and s[:-1].casefold() in exact:
        s, e_flag = s[:-1], True  # superscript e fused to the name: "Japane", "Russiae"
    try:
        iso3 = vocab.resolve_country(s)
    except vocab.UnknownNameError as exc:
        sugg = list(getattr(exc, "suggestions", []) or [])
        hint = f"; did you mean {', '.join(repr(x) for x in sugg)}?" if sugg else ""
        raise f.err(line, column, f"unknown country {s!r}{hint}") from None
    return s, iso3, e_flag, qual


def _value(f: _File, line: int, column: str, raw: str) -> _Value:
    """Parse a production or reserves cell; raises for text that is neither a number nor a USGS symbol."""
    s = _clean(raw)
    if not s:
        return _Value(None)
    body, e_mark, lower = s, False, False
    if re.match(r"^e\s*[\d>—–-]", body):
        body, e_mark = body[1:].strip(), True
    if body.startswith(">"):
        body, lower = body[1:].strip(), True
    if body in _DASHES and not lower:
        return _Value(0.0, "—", False, e_mark)
    if body.endswith("e") and _NUMBER.match(body[:-1].strip()):
        body, e_mark = body[:-1].strip(), True
    if _NUMBER.match(body):
        return _Value(float(body.replace(",", "")), None, lower, e_mark)
    if not (e_mark or lower):
        sym = _symbol(body)
        if sym:
            return _Value(None, sym)
    raise f.err(line, column, f"{s!r} is not a number")


def _symbol(s: str) -> str | None:
    """Canonical USGS symbol for a cell text (W, NA, Small, "included with ..."), else ``None``."""
    low = s.lower().rstrip(". ").strip()
    if low == "w":
        return "W"
    if low in ("na", "n/a", "not available"):
        return "NA"
    if low == "small":
        return "Small"
    if re.fullmatch(r"included (?:with|in) [a-z ]+", low):
        return low
    return None


# --- output rows ---------------------------------------------------------------------------------------


def _describe(what: str, sym: str) -> str:
    """Note text for a USGS symbol in a production or reserves cell."""
    return f"{what}: {SYMBOL_TEXT.get(sym, sym)}"


def _note_flags(note: str, years: list[int], est_years: set[int]) -> tuple[set[int], set[int], str]:
    """Years a USGS production note marks as estimated / reported, and the note left once those are read."""
    low = note.lower()
    est: set[int] = set()
    rep: set[int] = set()
    other = [y for y in years if y not in est_years]
    for m in re.finditer(r"estimated (?:in )?(\d{4})", low):
        est.add(int(m.group(1)))
    if re.match(r"^estimated\b(?! \d| in \d)", low):
        est.update(other)
    for m in re.finditer(r"reported(?: quantity)? in (\d{4})", low):
        rep.add(int(m.group(1)))
    if re.fullmatch(r"reported\.?", low.strip()):
        rep.update(other)
    pure = re.fullmatch(
        r"(also )?estimated( in)? \d{4}( also)?\.?|reported( quantity)?( in \d{4})?\.?|estimated\.?|na|w",
        low.strip(),
    )
    return est, rep, "" if pure else note


def _emit(f: _File, records: list[_Record], edition: int, source: str) -> list[dict[str, Any]]:
    """One output row per record and year (reserves on the latest), plus the all-PGM reserves rows."""
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    pgm: dict[str, tuple[_Record, _Value]] = {}
    for r in records:
        key = (r.table.name, r.iso3 or r.country.lower())
        if key in seen:
            raise f.err(
                r.line, None, f"duplicate row for {r.table.name}, {r.country} (first on line {seen[key]})"
            )
        seen[key] = r.line
        years = sorted(r.prod)
        latest = years[-1]
        est_note, rep_note, pnote = _note_flags(r.prod_note, years, r.est_years)
        res_value, res_notes = _reserves(r)
        if r.table.commodity in PGM_MEMBERS:
            prev = pgm.get(r.country)
            if prev is None or (prev[1].value is None and r.reserves.value is not None):
                pgm[r.country] = (r, r.reserves)
        for y in years:
            v = r.prod[y]
            notes = list(r.notes)
            if v.symbol:
                notes.append(_describe("production", v.symbol))
            if pnote:
                notes.append(pnote)
            estimated = (
                y in r.est_years or r.country_e or v.e_mark or r.type_estimated or y in est_note
            ) and y not in rep_note
            if rep_note and y in rep_note:
                notes.append(f"{y} value reported (not estimated)")
            reserves: float | None = None
            if y == latest:
                reserves = res_value
                notes.extend(res_notes)
            elif r.table.has_reserves:
                notes.append(f"reserves given once per edition, see {latest} row")
            row = _row(
                r, r.table, edition, y, v.value, reserves, bool(estimated) and bool(v.value), notes, source
            )
            out.append(_checked(f, r.line, row))
    if pgm:
        table = _pgm_table()
        for country, (r, rv) in pgm.items():
            latest = max(r.prod)
            rec = _Record(
                line=r.line,
                table=table,
                country=country,
                iso3=r.iso3,
                country_e=False,
                prod={},
                est_years=set(),
                unit=vocab.usgs_units().get(table.commodity, r.unit),
                reserves=rv,
                reserves_factor=r.reserves_factor,
                prod_note="",
                res_note=r.res_note,
                type_estimated=False,
                res_notes=list(r.res_notes),
            )
            value, notes = _reserves(rec)
            notes = [n for n in notes if "included with platinum" not in n.lower()]
            notes.append("production is published only for platinum and palladium")
            out.append(_row(rec, table, edition, latest, None, value, False, notes, source))
    return out


def _checked(f: _File, line: int, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` if its values meet the package's ``usgs_mcs`` constraints, else an error on the file's line."""
    for name in ("edition", "year", "iso3", "mine_production", "reserves"):
        value = row[name]
        if value is not None and (why := constraints.problem("usgs_mcs", name, value)):
            raise f.err(line, None, why)
    return row


def _reserves(r: _Record) -> tuple[float | None, list[str]]:
    """Reserves in the row's unit and the notes that go with them (only for the latest-year row)."""
    rv = r.reserves
    notes = list(r.res_notes)
    if not r.table.has_reserves:
        if r.table.commodity in PGM_MEMBERS:
            return None, []
        if rv.value is not None:
            return None, [
                f"the reserves column of the data release holds {rv.value:g} for this row; "
                f"USGS publishes no {r.table.name} reserves, so it is not stored as reserves"
            ]
        return None, []
    value = rv.value
    lower = rv.lower_bound
    note = r.res_note
    if value is None and rv.symbol in (None, "NA"):
        m = re.match(r"^>\s*([\d,]+)", note)
        if m:  # lower bound written in the notes field (MCS 2024 niobium, antimony world totals)
            value, lower = float(m.group(1).replace(",", "")), True
            notes.append("reserves value taken from the reserves-notes field of the data release")
            note = note[m.end() :].strip(" .")
        elif rv.symbol == "NA" and re.search(r'categori[sz]ed as "?small"?', note, re.I):
            rv = _Value(None, "Small")
            note = ""
    if rv.symbol and value is None:
        notes.append(_describe("reserves", rv.symbol))
    if value is not None:
        value = value * r.reserves_factor
    else:
        notes = [n for n in notes if not n.startswith("reserves converted")]
    if lower and value is not None:
        notes.append(LOWER_BOUND_NOTE)
    if note and not re.fullmatch(r"(na|small|included (with|in) [a-z ]+)\.?", note.strip().lower()):
        notes.append(note)
    return value, notes


def _row(
    r: _Record,
    table: _Table,
    edition: int,
    year: int,
    production: float | None,
    reserves: float | None,
    estimated: bool,
    notes: list[str],
    source: str,
) -> dict[str, Any]:
    """One ``usgs_mcs`` row as a dict; notes de-duplicated and joined with " | "."""
    clean: list[str] = []
    for n in notes:
        n = n.strip().rstrip(".").strip()
        if n and n not in clean:
            clean.append(n)
    return {
        "commodity": table.commodity,
        "product": table.product,
        "stage": table.stage,
        "usgs_commodity": table.name,
        "edition": edition,
        "year": year,
        "country": r.country,
        "iso3": r.iso3,
        "mine_production": production,
        "reserves": reserves,
        "unit": r.unit,
        "estimated": estimated,
        "note": " | ".join(clean) or None,
        "source": source,
    }


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows as a DataFrame with the store's column order and dtypes."""
    df = pd.DataFrame(rows, columns=COLUMNS)
    return df.astype(
        {
            "edition": "int64",
            "year": "int64",
            "mine_production": "float64",
            "reserves": "float64",
            "estimated": "bool",
        }
    )
