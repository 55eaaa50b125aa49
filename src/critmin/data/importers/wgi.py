"""Parser of a World Bank DataBank CSV export of the Worldwide Governance Indicators into the ``wgi`` schema.

DataBank exports one row per (economy, series) with one column per year (``"2023 [YR2023]"``), ".." for no
data, every selected series for every selected economy, and a footer ("Data from database: ...", "Last Updated:
11/05/2024"). Only the six ``*.EST`` estimate series are kept and pivoted to one row per economy and year. The
file is streamed; a missing footer or an economy short of series rows means a cut-off file and is refused.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.data.importers import constraints
from critmin.data.importers.errors import ImportFormatError
from critmin.data.importers.files import check_delimiter, csv_rows, encoding_of

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
SKIP_OTHER_SERIES = "rows of other series (standard errors, ranks, number of sources)"
SKIP_EMPTY = "economy-years without any of the six estimates"
_REQUIRED = ("Country Name", "Country Code", "Series Code")
_YEAR = re.compile(r"^(\d{4})(?: \[YR\d{4}\])?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_ESTIMATES = list(SERIES.values())


def read_wgi_databank(
    path: str | os.PathLike[str],
    *,
    edition: str | None = None,
    released: date | None = None,
    skipped: Counter[str] | None = None,
) -> pd.DataFrame:
    """Read a WGI DataBank CSV export into ``wgi`` rows (one per economy and year, six estimates).

    ``edition`` (e.g. ``"2024 update"``) defaults to the year of the "Last Updated" footer, else of
    ``released``; a file without the footer is refused as cut off unless one of the two is given.
    Economy-years without any of the six estimates are left out; ``skipped`` counts what was left out.
    """
    rows = csv_rows(path, encoding_of(path))
    try:
        _, raw_header = next(rows)
    except StopIteration:
        raise ImportFormatError(path, None, None, "file is empty") from None
    header = [h.replace("\ufeff", "").strip() for h in raw_header]
    idx: dict[str, int] = {}
    for name in _REQUIRED:
        if name not in header:
            check_delimiter(path, header, name)
            raise ImportFormatError(path, 1, name, f"required column {name!r} is missing")
        idx[name] = header.index(name)
    years = [(i, int(m.group(1))) for i, h in enumerate(header) if (m := _YEAR.match(h))]
    if not years:
        raise ImportFormatError(path, 1, "2023 [YR2023]", "no year columns such as '2023 [YR2023]'")
    for i, year in years:
        if why := constraints.problem("wgi", "year", year):
            raise ImportFormatError(path, 1, header[i], why)

    economies: dict[str, int] = {}  # iso3 -> index into names / values / series_lines
    names: list[str] = []
    values: list[np.ndarray] = []  # per economy: years x six estimates
    series_lines: list[dict[str, int]] = []  # per economy: series code -> line
    counts: Counter[str] = Counter()
    updated: str | None = None
    footer = False
    data_rows = 0
    for line, cells in rows:
        first_cell = cells[0].strip() if cells else ""
        if first_cell.lower().startswith("last updated"):
            updated = first_cell
            continue
        if first_cell.lower().startswith("data from database"):
            footer = True
            continue
        if not any(c.strip() for c in cells):
            continue
        if footer:
            raise ImportFormatError(path, line, None, "data row after the DataBank footer")
        if len(cells) != len(header):
            raise ImportFormatError(
                path,
                line,
                None,
                f"{len(cells)} fields where the header has {len(header)}; the record is cut off or malformed",
            )
        data_rows += 1
        code = cells[idx["Series Code"]].strip()
        if code not in SERIES:
            counts[SKIP_OTHER_SERIES] += 1
            continue
        iso3 = cells[idx["Country Code"]].strip()
        country = cells[idx["Country Name"]].strip()
        for field, value, column in (("iso3", iso3, "Country Code"), ("country", country, "Country Name")):
            if why := constraints.problem("wgi", field, value or None):
                raise ImportFormatError(path, line, column, why)
        e = economies.get(iso3)
        if e is None:
            e = economies[iso3] = len(names)
            names.append(country)
            values.append(np.full((len(years), len(SERIES)), np.nan))
            series_lines.append({})
        if code in series_lines[e]:
            raise ImportFormatError(
                path, line, "Series Code", f"{iso3} {code} repeats (first on line {series_lines[e][code]})"
            )
        series_lines[e][code] = line
        s = _ESTIMATES.index(SERIES[code])
        for y, (i, _) in enumerate(years):
            cell = cells[i].strip()
            if cell in ("..", ""):
                continue
            if not _NUMBER.match(cell):
                raise ImportFormatError(path, line, header[i], f"{cell!r} is not a number")
            number = float(cell)
            if why := constraints.problem("wgi", SERIES[code], number):
                raise ImportFormatError(path, line, header[i], why)
            values[e][y, s] = number
    if data_rows == 0:
        raise ImportFormatError(path, None, None, "file has a header but no data rows")
    if not economies:
        raise ImportFormatError(
            path, None, "Series Code", f"none of the six estimate series ({', '.join(SERIES)}) is in the file"
        )
    released = released or _release_date(path, updated)
    edition = edition or (f"{released.year} update" if released else None)
    if not footer and not edition:
        raise ImportFormatError(
            path,
            None,
            None,
            "no DataBank footer ('Data from database: ...', 'Last Updated: ...') at the end: the file looks "
            "cut off. If the footer was removed on purpose, give the edition (--edition '2024 update') "
            "or the release date (--released 2024-11-05)",
        )
    if not edition:
        raise ImportFormatError(
            path,
            None,
            None,
            "the footer has no 'Last Updated' date to name the edition; give the edition "
            "(--edition '2024 update') or the release date (--released 2024-11-05)",
        )
    _check_series_complete(path, series_lines, list(economies))

    table = np.stack(values)  # economies x years x estimates
    present = ~np.isnan(table).all(axis=2)
    e_idx, y_idx = np.nonzero(present)
    counts[SKIP_EMPTY] += int((~present).sum())
    if skipped is not None:
        skipped.update(+counts)
    codes = np.array(list(economies), dtype=object)
    df = pd.DataFrame(
        {
            "iso3": codes[e_idx],
            "country": np.array(names, dtype=object)[e_idx],
            "year": np.array([y for _, y in years], dtype="int64")[y_idx],
            **{name: table[e_idx, y_idx, s] for s, name in enumerate(_ESTIMATES)},
        }
    )
    df = df.sort_values(["iso3", "year"], kind="stable").reset_index(drop=True)
    df["edition"] = edition
    df["source"] = f"{Path(path).name} (World Bank WGI {edition}, DataBank export)"
    return df[COLUMNS]


def release_date(path: str | os.PathLike[str]) -> date | None:
    """The "Last Updated" date of a DataBank export's footer (``None`` without a footer); reads the end only."""
    with Path(path).open("rb") as fh:
        fh.seek(max(0, fh.seek(0, os.SEEK_END) - 4096))
        tail = fh.read().decode("utf-8", errors="replace")
    found = [line for line in tail.splitlines() if line.strip().lower().startswith("last updated")]
    return _release_date(path, found[-1]) if found else None


def _release_date(path: str | os.PathLike[str], updated: str | None) -> date | None:
    """'Last Updated: 11/05/2024' -> 2024-11-05 (DataBank writes month/day/year)."""
    if not updated:
        return None
    m = re.search(r"(\d{1,2})/(\d{1,2})/(\d{4})", updated)
    if not m:
        raise ImportFormatError(
            path, None, None, f"cannot read the date of the footer {updated.strip(',')!r}"
        )
    return datetime(int(m.group(3)), int(m.group(1)), int(m.group(2))).date()


def _check_series_complete(
    path: str | os.PathLike[str], series_lines: list[dict[str, int]], codes: list[str]
) -> None:
    """DataBank exports every selected series for every economy: one short of series means a cut-off file."""
    selected = set().union(*series_lines)
    for code, lines in zip(codes, series_lines, strict=True):
        if len(lines) < len(selected):
            missing = ", ".join(sorted(selected - set(lines)))
            raise ImportFormatError(
                path,
                max(lines.values()),
                "Series Code",
                f"economy {code} lacks the series {missing} that the other economies have (DataBank "
                "exports every selected series for every economy): the file looks cut off or edited",
            )
