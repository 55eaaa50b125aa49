"""Parser of a World Bank DataBank CSV export of the Worldwide Governance Indicators into the ``wgi`` schema.

DataBank exports one row per (economy, series) with one column per year (``"2023 [YR2023]"``), ".." for no
data, and a footer ("Data from database: ...", "Last Updated: 11/05/2024"). Only the six ``*.EST`` estimate
series are kept and pivoted to one row per economy and year.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from critmin.data.importers.errors import ImportFormatError
from critmin.data.importers.files import read_text

COLUMNS = [
    "iso3",
    "country",
    "year",
    "voice_accountability",
    "political_stability",
    "government_effectiveness",
    "regulatory_quality",
    "rule_of_law",
    "control_of_corruption",
    "edition",
    "source",
]
SERIES = {
    "VA.EST": "voice_accountability",
    "PV.EST": "political_stability",
    "GE.EST": "government_effectiveness",
    "RQ.EST": "regulatory_quality",
    "RL.EST": "rule_of_law",
    "CC.EST": "control_of_corruption",
}
_REQUIRED = ("Country Name", "Country Code", "Series Code")
_YEAR = re.compile(r"^(\d{4})(?: \[YR\d{4}\])?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def read_wgi_databank(path: str | os.PathLike[str], *, edition: str | None = None) -> pd.DataFrame:
    """Read a WGI DataBank CSV export into ``wgi`` rows (one per economy and year, six estimates).

    ``edition`` (e.g. ``"2024 update"``) defaults to the year of the "Last Updated" footer.
    Economy-years without any of the six estimates are left out.
    """
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.replace("\ufeff", "").strip() for h in next(reader)]
    idx: dict[str, int] = {}
    for name in _REQUIRED:
        if name not in header:
            raise ImportFormatError(path, 1, name, f"required column {name!r} is missing")
        idx[name] = header.index(name)
    years = [(i, int(m.group(1))) for i, h in enumerate(header) if (m := _YEAR.match(h))]
    if not years:
        raise ImportFormatError(path, 1, "2023 [YR2023]", "no year columns such as '2023 [YR2023]'")

    values: dict[tuple[str, int], dict[str, Any]] = {}
    first_line: dict[tuple[str, str], int] = {}
    updated: str | None = None
    prev = 1
    data_rows = 0
    for cells in reader:
        line, prev = prev + 1, reader.line_num
        first_cell = cells[0].strip() if cells else ""
        if first_cell.lower().startswith("last updated"):
            updated = first_cell
            continue
        if first_cell.lower().startswith("data from database") or not any(c.strip() for c in cells):
            continue
        cells = cells + [""] * (len(header) - len(cells))
        data_rows += 1
        code = cells[idx["Series Code"]].strip()
        if code not in SERIES:
            continue
        iso3 = cells[idx["Country Code"]].strip()
        country = cells[idx["Country Name"]].strip()
        if not iso3:
            raise ImportFormatError(path, line, "Country Code", "country code is missing")
        if (iso3, code) in first_line:
            raise ImportFormatError(
                path, line, "Series Code", f"{iso3} {code} repeats (first on line {first_line[(iso3, code)]})"
            )
        first_line[(iso3, code)] = line
        for i, year in years:
            cell = cells[i].strip()
            if cell in ("..", ""):
                value = math.nan
            elif _NUMBER.match(cell):
                value = float(cell)
            else:
                raise ImportFormatError(path, line, header[i], f"{cell!r} is not a number")
            row = values.setdefault((iso3, year), {"iso3": iso3, "country": country, "year": year})
            row[SERIES[code]] = value
    if data_rows == 0:
        raise ImportFormatError(path, None, None, "file has a header but no data rows")
    if not first_line:
        raise ImportFormatError(
            path, None, "Series Code", f"none of the six estimate series ({', '.join(SERIES)}) is in the file"
        )
    edition = edition or _edition_from_footer(updated)
    if not edition:
        raise ImportFormatError(
            path, None, None, "no 'Last Updated' footer to date the edition; pass edition="
        )
    source = f"{Path(path).name} (World Bank WGI {edition}, DataBank export)"

    df = pd.DataFrame(list(values.values()), columns=COLUMNS[:-2])
    estimates = list(SERIES.values())
    df[estimates] = df[estimates].astype("float64")
    df = df[df[estimates].notna().any(axis=1)]
    df = df.sort_values(["iso3", "year"], kind="stable").reset_index(drop=True)
    df["year"] = df["year"].astype("int64")
    df["edition"] = edition
    df["source"] = source
    return df[COLUMNS]


def _edition_from_footer(updated: str | None) -> str | None:
    """'Last Updated: 11/05/2024' -> '2024 update' (the WGI names its editions by the year of release)."""
    if not updated:
        return None
    m = re.search(r"(\d{4})", updated)
    return f"{m.group(1)} update" if m else None
