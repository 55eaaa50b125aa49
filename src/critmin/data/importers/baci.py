"""Parsers of CEPII BACI files (yearly trade CSVs ``t,i,j,k,v,q`` and the country-code table).

BACI gives exporters and importers as numeric codes; the country-code file maps them to ISO3. Code 490
("Other Asia, nes", ISO3 ``S19``) is Taiwan's trade (CEPII documents it so) and becomes ``TWN`` in critmin.
A yearly file has millions of rows, so it is streamed with pyarrow in blocks, each block checked column-wise
against the package's constraints; the result is an Arrow table with dictionary-encoded text columns (a
200 MB file needs about 150 MB). Line numbers are worked out only when something is wrong.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from critmin.data.importers import constraints
from critmin.data.importers.errors import ImportFormatError
from critmin.data.importers.files import check_delimiter, csv_rows, encoding_of

TRADE_COLUMNS = ["year", "exporter", "importer", "hs", "value_kusd", "quantity_t", "edition", "source"]
COUNTRY_COLUMNS = ["code", "name", "iso2", "iso3", "critmin_iso3", "source"]
REQUIRED_TRADE = ["t", "i", "j", "k", "v", "q"]
TRADE_FIELDS = {"t": "year", "v": "value_kusd", "q": "quantity_t"}  # file column -> checked package field

# BACI numeric code -> critmin ISO3 where critmin differs from the ISO3 column of the code file.
CRITMIN_ISO3_OVERRIDES = {490: "TWN"}

# Column names of the country-code file: current BACI releases first, then those of releases up to 2023, then
# those of critmin's own ``baci_countries`` table (the embedded codes, used where no code file is at hand).
_COUNTRY_HEADER_ALIASES = {
    "code": ("country_code", "code"),
    "name": ("country_name", "country_name_abbreviation", "country_name_full", "name"),
    "iso2": ("country_iso2", "iso_2digit_alpha", "iso2"),
    "iso3": ("country_iso3", "iso_3digit_alpha", "iso3"),
}
_EDITION = re.compile(r"V(\d{6}[a-z]?)", re.I)
_HS_CODE = r"^\d{5,6}$"
_BLOCK = 8 << 20  # bytes of CSV per streamed block
_TYPES = {"t": pa.int64(), "i": pa.int64(), "j": pa.int64(), "k": pa.string(), "v": pa.float64()}
_TYPES["q"] = pa.float64()

Problem = tuple[int, str, str]  # (row index in the file, column, message)


def read_baci_countries(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read BACI's country-code table into ``baci_countries`` rows (code, name, iso2, iso3, critmin_iso3, source)."""
    rows = csv_rows(path, encoding_of(path))
    try:
        _, raw_header = next(rows)
    except StopIteration:
        raise ImportFormatError(path, None, None, "file is empty") from None
    header = [h.replace("\ufeff", "").strip().lower() for h in raw_header]
    idx: dict[str, int] = {}
    for key, names in _COUNTRY_HEADER_ALIASES.items():
        found = next((header.index(n) for n in names if n in header), None)
        if found is None:
            check_delimiter(path, header, names[0])
            raise ImportFormatError(path, 1, names[0], f"required column {names[0]!r} is missing")
        idx[key] = found
    edition = _edition_from_name(path)
    source = f"{Path(path).name} (CEPII BACI{' ' + edition if edition else ''} country codes)"
    out: list[dict[str, Any]] = []
    first_line: dict[int, int] = {}
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < len(header):
            raise ImportFormatError(
                path,
                line,
                None,
                f"{len(cells)} fields where the header has {len(header)}; the record is cut off",
            )
        raw_code = cells[idx["code"]].strip()
        if not re.fullmatch(r"\d+", raw_code):
            raise ImportFormatError(
                path, line, header[idx["code"]], f"{raw_code!r} is not a numeric country code"
            )
        code = int(raw_code)
        if code in first_line:
            raise ImportFormatError(
                path,
                line,
                header[idx["code"]],
                f"country code {code} repeats (first on line {first_line[code]})",
            )
        first_line[code] = line
        row: dict[str, Any] = {"code": code, "source": source}
        for key in ("name", "iso2", "iso3"):
            row[key] = cells[idx[key]].strip() or None
        row["critmin_iso3"] = CRITMIN_ISO3_OVERRIDES.get(code, row["iso3"])
        for key, column in (("name", "name"), ("iso2", "iso2"), ("iso3", "iso3"), ("critmin_iso3", "iso3")):
            if why := constraints.problem("baci_countries", key, row[key]):
                raise ImportFormatError(path, line, header[idx[column]], why)
        out.append(row)
    if not out:
        raise ImportFormatError(path, None, None, "file has a header but no data rows")
    return pd.DataFrame(out, columns=COUNTRY_COLUMNS).astype({"code": "int64"})


def read_baci(
    path: str | os.PathLike[str],
    country_codes_path: str | os.PathLike[str] | None = None,
    *,
    edition: str | None = None,
) -> pd.DataFrame:
    """Read a BACI trade CSV (``t,i,j,k,v,q``) into ``baci_trade`` rows as a DataFrame (see :func:`read_baci_table`)."""
    table = read_baci_table(path, country_codes_path, edition=edition)
    plain = {
        name: pc.cast(col, pa.string()) if pa.types.is_dictionary(col.type) else col
        for name, col in zip(table.column_names, table.columns, strict=True)
    }
    return pa.table(plain).to_pandas()


def read_baci_table(
    path: str | os.PathLike[str],
    country_codes_path: str | os.PathLike[str] | None = None,
    *,
    edition: str | None = None,
) -> pa.Table:
    """Read a BACI trade CSV (``t,i,j,k,v,q``) into ``baci_trade`` rows with ISO3 exporters and importers.

    ``country_codes_path`` defaults to the one ``country_codes_V*.csv`` next to the trade file. ``edition``
    (e.g. ``"V202401b"``) defaults to the version in the trade file's name, then in the code file's name.
    The file is streamed; a value breaking the package's constraints, an unknown country code or a repeated
    (year, exporter, importer, product) is an :class:`ImportFormatError` naming its line.
    """
    codes_path = Path(country_codes_path) if country_codes_path else _find_codes_file(path)
    edition = edition or _edition_from_name(path) or _edition_from_name(codes_path)
    if not edition:
        raise ImportFormatError(
            path,
            None,
            None,
            "BACI version not found in the file names (e.g. 'V202401b'); give it with --edition "
            "(edition= in Python)",
        )
    countries = read_baci_countries(codes_path)
    encoding_of(path)
    header = _header(path)
    for col in REQUIRED_TRADE:
        if col not in header:
            check_delimiter(path, header, col)
            raise ImportFormatError(path, 1, col, f"required column {col!r} is missing")

    names, index = _code_index(countries)
    label = " ".join(x for x in ("CEPII BACI", _hs_revision(path), edition) if x)
    constant = {"edition": pa.array([edition]), "source": pa.array([f"{Path(path).name} ({label})"])}
    bits = max(1, (len(names) - 1).bit_length())
    batches: list[pa.RecordBatch] = []
    keys: list[np.ndarray[Any, np.dtype[np.int64]]] = []
    offset = 0
    for raw in _blocks(path, header):  # 8 MB of CSV at a time
        cols, problems = _typed(raw)
        if not problems:
            problems = _problems(cols, index, codes_path.name)
        if problems:
            r, col, message = min(problems, key=lambda b: (b[0], REQUIRED_TRADE.index(b[1])))
            raise ImportFormatError(path, _line_of_row(path, offset + r), col, message)
        n = raw.num_rows
        exporter = index[cols["i"].to_numpy()]
        importer = index[cols["j"].to_numpy()]
        hs = pc.utf8_lpad(cols["k"], 6, "0")
        t = cols["t"].to_numpy()
        keys.append(
            ((((t - 1900) << bits | exporter) << bits | importer) << 20) | pc.cast(hs, pa.int64()).to_numpy()
        )
        zeros = pa.array(np.zeros(n, dtype=np.int8))
        batches.append(
            pa.RecordBatch.from_arrays(
                [
                    cols["t"],
                    pa.DictionaryArray.from_arrays(pa.array(exporter.astype(np.int16)), names),
                    pa.DictionaryArray.from_arrays(pa.array(importer.astype(np.int16)), names),
                    pc.dictionary_encode(hs),
                    cols["v"],
                    cols["q"],
                    pa.DictionaryArray.from_arrays(zeros, constant["edition"]),
                    pa.DictionaryArray.from_arrays(zeros, constant["source"]),
                ],
                names=TRADE_COLUMNS,
            )
        )
        offset += n
    if offset == 0:
        raise ImportFormatError(path, None, None, "file has a header but no data rows")
    _check_repeats(path, keys)
    table = pa.Table.from_batches(batches)
    pa.default_memory_pool().release_unused()  # hand the blocks' buffers back to the system
    return table


# --- helpers -------------------------------------------------------------------------------------------


def _header(path: str | os.PathLike[str]) -> list[str]:
    """Lower-cased field names of the first line of a trade file."""
    with Path(path).open("rb") as fh:
        first = fh.readline()
    line = first.decode("utf-8-sig", errors="replace").strip()
    if not line:
        raise ImportFormatError(path, None, None, "file is empty")
    return [h.strip().strip('"').lower() for h in line.split(",")]


def _blocks(path: str | os.PathLike[str], header: list[str]) -> Iterator[pa.RecordBatch]:
    """The six columns as text, block by block (a row with the wrong number of fields is located and refused)."""
    read = pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=_BLOCK)
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(REQUIRED_TRADE, pa.string()),
        include_columns=REQUIRED_TRADE,
        null_values=[],
        strings_can_be_null=False,
    )
    try:
        reader = pacsv.open_csv(path, read_options=read, convert_options=convert)
        yield from reader
    except pa.ArrowInvalid as exc:
        line, message = _structure_error(path, len(header))
        raise ImportFormatError(path, line, None, message or f"not a CSV table as expected: {exc}") from None


def _typed(raw: pa.RecordBatch) -> tuple[dict[str, pa.Array], list[Problem]]:
    """Columns converted to numbers (Arrow casts; pandas only to find the first text that is not a number)."""
    out: dict[str, pa.Array] = {}
    problems: list[Problem] = []
    for col in REQUIRED_TRADE:
        text = pc.utf8_trim_whitespace(raw.column(col))
        blank = pc.equal(text, "")
        if col == "q":
            blank = pc.or_(blank, pc.equal(text, "NA"))
        text = pc.if_else(blank, pa.scalar(None, pa.string()), text)
        if col == "k":
            out[col] = text
            continue
        target = _TYPES[col]
        try:
            out[col] = pc.cast(text, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            values = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
            num = pd.to_numeric(values, errors="coerce")
            wrong = (num.isna() & values.notna()).to_numpy()
            if pa.types.is_integer(target):
                wrong |= (num.notna() & (num % 1 != 0)).to_numpy()
            r = int(np.argmax(wrong))
            problems.append((r, col, f"{values.iloc[r]!r} is not a number"))
    return out, problems


def _problems(cols: dict[str, pa.Array], index: np.ndarray[Any, Any], codes_name: str) -> list[Problem]:
    """First problem of each check in one block: missing values, constraints, HS codes, country codes."""
    problems: list[Problem] = []
    for col in ("t", "i", "j", "k", "v"):
        missing = cols[col].is_null().to_numpy(zero_copy_only=False)
        if missing.any():
            problems.append((int(np.argmax(missing)), col, "value is missing"))
    if problems:
        return problems
    for col, field in TRADE_FIELDS.items():
        if found := constraints.first_problem("baci_trade", field, cols[col]):
            problems.append((found[0], col, found[1]))
    hs_ok = pc.match_substring_regex(cols["k"], _HS_CODE).to_numpy(zero_copy_only=False)
    if not hs_ok.all():
        r = int(np.argmax(~hs_ok))
        problems.append((r, "k", f"{cols['k'][r].as_py()!r} is not an HS six-digit product code"))
    for col in ("i", "j"):
        codes = cols[col].to_numpy()
        inside = (codes >= 0) & (codes < len(index))
        unknown = ~inside | (index[np.where(inside, codes, 0)] < 0)
        if unknown.any():
            r = int(np.argmax(unknown))
            problems.append((r, col, f"country code {int(codes[r])} is not in {codes_name}"))
    return problems


def _code_index(countries: pd.DataFrame) -> tuple[pa.Array, np.ndarray[Any, np.dtype[np.int64]]]:
    """The distinct critmin ISO3 codes, and a dense array: BACI numeric code -> position among them (-1: none)."""
    known = countries.dropna(subset=["critmin_iso3"])
    names = sorted(set(known["critmin_iso3"]))
    position = {name: i for i, name in enumerate(names)}
    index = np.full(int(countries["code"].max()) + 1, -1, dtype=np.int64)
    index[known["code"].to_numpy()] = [position[c] for c in known["critmin_iso3"]]
    return pa.array(names, type=pa.string()), index


def _check_repeats(path: str | os.PathLike[str], blocks: list[np.ndarray[Any, np.dtype[np.int64]]]) -> None:
    """Refuse a (year, exporter, importer, product) given twice, naming both lines (BACI has one row each)."""
    keys = np.concatenate(blocks)
    blocks.clear()
    ordered = np.sort(keys)
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return
    repeated = np.unique(ordered[1:][same])
    del ordered
    seen: dict[int, int] = {}
    for row in np.nonzero(np.isin(keys, repeated))[0]:  # rows of repeated keys, in file order
        first = seen.setdefault(int(keys[row]), int(row))
        if first != row:
            raise ImportFormatError(
                path,
                _line_of_row(path, int(row)),
                None,
                f"the flow (year, exporter, importer, product) of line {_line_of_row(path, first)} repeats; "
                "BACI has one row per flow, so the file is damaged or two files were joined",
            )


def _line_of_row(path: str | os.PathLike[str], row: int) -> int:
    """1-based line number of data row ``row`` (0-based), skipping blank lines as the CSV reader does."""
    seen = -1
    with Path(path).open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if number == 1 or not line.strip():
                continue
            seen += 1
            if seen == row:
                return number
    return row + 2


def _structure_error(path: str | os.PathLike[str], ncols: int) -> tuple[int | None, str | None]:
    """Line and description of the first row whose number of fields differs from the header's."""
    for line, cells in csv_rows(path, "utf-8-sig"):
        if cells and len(cells) != ncols:
            return line, f"expected {ncols} fields as in the header, found {len(cells)}"
    return None, None


def _find_codes_file(path: str | os.PathLike[str]) -> Path:
    """The country-code file next to a trade file (the one of the same BACI version if there are several)."""
    folder = Path(path).resolve().parent
    found = sorted(p for p in folder.iterdir() if re.match(r"(baci_)?country_codes.*\.csv$", p.name, re.I))
    if len(found) == 1:
        return found[0]
    edition = _edition_from_name(path)
    same = [p for p in found if edition and _edition_from_name(p) == edition]
    if len(same) == 1:
        return same[0]
    what = "no" if not found else "several"
    raise ImportFormatError(
        path,
        None,
        None,
        f"{what} BACI country-code files (country_codes_V*.csv) next to it; give the code file with "
        "--country-codes (country_codes_path= in Python)",
    )


def _edition_from_name(path: str | os.PathLike[str]) -> str | None:
    """BACI version from a file name (``BACI_HS92_Y2022_V202401b.csv`` -> ``V202401b``)."""
    m = _EDITION.search(Path(path).name)
    return f"V{m.group(1)}" if m else None


def _hs_revision(path: str | os.PathLike[str]) -> str | None:
    """HS revision from a file name (``BACI_HS92_...`` -> ``HS92``)."""
    m = re.search(r"hs(\d{2})(?!\d)", Path(path).name, re.I)
    return f"HS{m.group(1)}" if m else None
