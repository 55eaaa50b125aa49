"""Parsers of CEPII BACI files (yearly trade CSVs ``t,i,j,k,v,q`` and the country-code table).

BACI gives exporters and importers as numeric codes; the country-code file maps them to ISO3. Code 490
("Other Asia, nes", ISO3 ``S19``) is Taiwan's trade (CEPII documents it so) and becomes ``TWN`` in critmin.
The trade file has ~740k rows, so it is read with pyarrow and validated column-wise; line numbers are worked
out only when something is wrong.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from critmin.data.importers.errors import ImportFormatError
from critmin.data.importers.files import read_text

TRADE_COLUMNS = ["year", "exporter", "importer", "hs", "value_kusd", "quantity_t", "edition", "source"]
COUNTRY_COLUMNS = ["code", "name", "iso2", "iso3", "critmin_iso3", "source"]
REQUIRED_TRADE = ["t", "i", "j", "k", "v", "q"]

# BACI numeric code -> critmin ISO3 where critmin differs from the ISO3 column of the code file.
CRITMIN_ISO3_OVERRIDES = {490: "TWN"}

# Column names of the country-code file: current BACI releases first, then those of releases up to 2023.
_COUNTRY_HEADER_ALIASES = {
    "code": ("country_code",),
    "name": ("country_name", "country_name_abbreviation", "country_name_full"),
    "iso2": ("country_iso2", "iso_2digit_alpha"),
    "iso3": ("country_iso3", "iso_3digit_alpha"),
}
_EDITION = re.compile(r"V(\d{6}[a-z]?)", re.I)
_HS_CODE = r"^\d{5,6}$"


def read_baci_countries(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read BACI's country-code table into ``baci_countries`` rows (code, name, iso2, iso3, critmin_iso3, source)."""
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader)]
    idx: dict[str, int] = {}
    for key, names in _COUNTRY_HEADER_ALIASES.items():
        found = next((header.index(n) for n in names if n in header), None)
        if found is None:
            raise ImportFormatError(path, 1, names[0], f"required column {names[0]!r} is missing")
        idx[key] = found
    edition = _edition_from_name(path)
    source = f"{Path(path).name} (CEPII BACI{' ' + edition if edition else ''} country codes)"
    rows: list[dict[str, Any]] = []
    first_line: dict[int, int] = {}
    prev = 1
    for cells in reader:
        line, prev = prev + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        cells = cells + [""] * (len(header) - len(cells))
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
        iso3 = cells[idx["iso3"]].strip() or None
        rows.append(
            {
                "code": code,
                "name": cells[idx["name"]].strip(),
                "iso2": cells[idx["iso2"]].strip() or None,
                "iso3": iso3,
                "critmin_iso3": CRITMIN_ISO3_OVERRIDES.get(code, iso3),
                "source": source,
            }
        )
    if not rows:
        raise ImportFormatError(path, None, None, "file has a header but no data rows")
    return pd.DataFrame(rows, columns=COUNTRY_COLUMNS).astype({"code": "int64"})


def read_baci(
    path: str | os.PathLike[str],
    country_codes_path: str | os.PathLike[str] | None = None,
    *,
    edition: str | None = None,
) -> pd.DataFrame:
    """Read a BACI trade CSV (``t,i,j,k,v,q``) into ``baci_trade`` rows with ISO3 exporters and importers.

    ``country_codes_path`` defaults to the one ``country_codes_V*.csv`` next to the trade file. ``edition``
    (e.g. ``"V202401b"``) defaults to the version in the trade file's name, then in the code file's name.
    """
    codes_path = Path(country_codes_path) if country_codes_path else _find_codes_file(path)
    edition = edition or _edition_from_name(path) or _edition_from_name(codes_path)
    if not edition:
        raise ImportFormatError(
            path, None, None, "BACI version not found in the file names (e.g. 'V202401b'); pass edition="
        )
    countries = read_baci_countries(codes_path)

    header = _header(path)
    for col in REQUIRED_TRADE:
        if col not in header:
            raise ImportFormatError(path, 1, col, f"required column {col!r} is missing")
    table = _read_typed(path, header)

    n = table.num_rows
    if n == 0:
        raise ImportFormatError(path, None, None, "file has a header but no data rows")
    bad: list[tuple[int, str, str]] = []  # (row index, column, message) of the first problem per check

    def first(mask: np.ndarray[Any, np.dtype[np.bool_]], col: str, message: Any) -> None:
        if mask.any():
            r = int(np.argmax(mask))
            bad.append((r, col, message(r) if callable(message) else message))

    for col in ("t", "i", "j", "k", "v"):
        first(table[col].is_null().to_numpy(zero_copy_only=False), col, "value is missing")
    t = table["t"].fill_null(0).to_numpy()
    first((t < 1900) | (t > 2100), col="t", message=lambda r: f"{int(t[r])} is not a year")
    k_raw = table["k"].fill_null("000000")
    k_ok = pc.match_substring_regex(k_raw, _HS_CODE).to_numpy(zero_copy_only=False)
    first(~k_ok, "k", lambda r: f"{k_raw[r].as_py()!r} is not an HS six-digit product code")
    v = table["v"].to_numpy(zero_copy_only=False)
    q = table["q"].to_numpy(zero_copy_only=False)
    first(v < 0, "v", lambda r: f"negative value {v[r]:g}")
    first(q < 0, "q", lambda r: f"negative quantity {q[r]:g}")

    lookup = _code_lookup(countries)
    iso: dict[str, np.ndarray[Any, np.dtype[Any]]] = {}
    for col in ("i", "j"):
        codes = table[col].fill_null(-1).to_numpy()
        inside = (codes >= 0) & (codes < len(lookup))
        mapped = lookup[np.where(inside, codes, 0)]
        unknown = ~inside | pd.isna(mapped)
        first(
            unknown,
            col,
            lambda r, c=codes: f"country code {int(c[r])} is not in {codes_path.name}",
        )
        iso[col] = mapped
    if bad:
        r, col, message = min(bad, key=lambda b: (b[0], REQUIRED_TRADE.index(b[1])))
        raise ImportFormatError(path, _line_of_row(path, r), col, message)

    hs = pc.utf8_lpad(table["k"], 6, "0").to_numpy(zero_copy_only=False)
    label = " ".join(x for x in ("CEPII BACI", _hs_revision(path), edition) if x)
    source = f"{Path(path).name} ({label})"
    return pd.DataFrame(
        {
            "year": t.astype("int64"),
            "exporter": iso["i"],
            "importer": iso["j"],
            "hs": hs,
            "value_kusd": v.astype("float64"),
            "quantity_t": q.astype("float64"),
            "edition": edition,
            "source": source,
        },
        columns=TRADE_COLUMNS,
    )


# --- helpers -------------------------------------------------------------------------------------------


def _header(path: str | os.PathLike[str]) -> list[str]:
    """Lower-cased field names of the first line of a trade file."""
    with Path(path).open("rb") as fh:
        first = fh.readline()
    line = first.decode("utf-8-sig", errors="replace").strip()
    if not line:
        raise ImportFormatError(path, None, None, "file is empty")
    return [h.strip().strip('"').lower() for h in line.split(",")]


def _read_typed(path: str | os.PathLike[str], header: list[str]) -> pa.Table:
    """The six columns, typed; text that does not convert is located row by row in the file."""
    types = {"t": pa.int64(), "i": pa.int64(), "j": pa.int64(), "k": pa.string(), "v": pa.float64()}
    types["q"] = pa.float64()
    read = pacsv.ReadOptions(column_names=header, skip_rows=1)
    convert = pacsv.ConvertOptions(
        column_types=types,
        include_columns=REQUIRED_TRADE,
        null_values=["", "NA"],
        strings_can_be_null=True,
    )
    try:
        return pacsv.read_csv(path, read_options=read, convert_options=convert)
    except pa.ArrowInvalid as exc:
        return _read_lenient(path, header, exc)


def _read_lenient(path: str | os.PathLike[str], header: list[str], exc: Exception) -> pa.Table:
    """Slow path after pyarrow refused a value: read text, convert column-wise, name the first bad cell."""
    read = pacsv.ReadOptions(column_names=header, skip_rows=1)
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(REQUIRED_TRADE, pa.string()),
        include_columns=REQUIRED_TRADE,
        null_values=[],
        strings_can_be_null=False,
    )
    try:
        raw = pacsv.read_csv(path, read_options=read, convert_options=convert)
    except pa.ArrowInvalid as exc2:
        line, message = _structure_error(path, len(header))
        raise ImportFormatError(path, line, None, message or f"not a CSV table as expected: {exc2}") from None
    out: dict[str, Any] = {}
    bad: list[tuple[int, str, str]] = []
    for col in REQUIRED_TRADE:
        text = pd.Series(raw[col].to_numpy(zero_copy_only=False), dtype=object).str.strip()
        if col == "k":
            out[col] = pa.array(text.where(text != "", None), type=pa.string())
            continue
        missing = text.isin(["", "NA"]) if col == "q" else text.eq("")
        num = pd.to_numeric(text.where(~missing, None), errors="coerce")
        wrong = num.isna() & ~missing
        if col in ("t", "i", "j"):
            wrong |= num.notna() & (num % 1 != 0)
        if wrong.any():
            r = int(np.argmax(wrong.to_numpy()))
            bad.append((r, col, f"{text.iloc[r]!r} is not a number"))
        values = pa.array(num.where(~wrong), type=pa.float64(), from_pandas=True)  # NaN -> null
        out[col] = values.cast(pa.int64()) if col in ("t", "i", "j") else values
    if bad:
        r, col, message = min(bad, key=lambda b: (b[0], REQUIRED_TRADE.index(b[1])))
        raise ImportFormatError(path, _line_of_row(path, r), col, message)
    if not out:  # pragma: no cover - REQUIRED_TRADE is never empty
        raise ImportFormatError(path, None, None, str(exc))
    return pa.table(out)


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
    with Path(path).open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        prev = 0
        for cells in reader:
            line, prev = prev + 1, reader.line_num
            if cells and len(cells) != ncols:
                return line, f"expected {ncols} fields as in the header, found {len(cells)}"
    return None, None


def _code_lookup(countries: pd.DataFrame) -> np.ndarray[Any, np.dtype[Any]]:
    """Dense array: BACI numeric code -> critmin ISO3 (None where the code does not exist)."""
    size = int(countries["code"].max()) + 1 if len(countries) else 1
    lookup = np.full(size, None, dtype=object)
    lookup[countries["code"].to_numpy()] = countries["critmin_iso3"].to_numpy(dtype=object)
    return lookup


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
        f"{what} BACI country-code files (country_codes_V*.csv) next to it; pass country_codes_path=",
    )


def _edition_from_name(path: str | os.PathLike[str]) -> str | None:
    """BACI version from a file name (``BACI_HS92_Y2022_V202401b.csv`` -> ``V202401b``)."""
    m = _EDITION.search(Path(path).name)
    return f"V{m.group(1)}" if m else None


def _hs_revision(path: str | os.PathLike[str]) -> str | None:
    """HS revision from a file name (``BACI_HS92_...`` -> ``HS92``)."""
    m = re.search(r"hs(\d{2})(?!\d)", Path(path).name, re.I)
    return f"HS{m.group(1)}" if m else None
