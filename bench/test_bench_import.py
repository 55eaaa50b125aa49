"""Benchmarks of ``critmin import`` on generated 200 MB official-format files (target: peak RSS ≤ 1 GB each).

The files are written by DuckDB (a few seconds each), in the official layouts: BACI ``t,i,j,k,v,q`` with its
country-code file, a WGI DataBank export with its footer, and an MCS 2025 world-data file. Each import runs in
a fresh subprocess whose parent reads its peak resident memory with ``resource.getrusage(RUSAGE_CHILDREN)``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from critmin.store import Store

TARGET_BYTES = 200 * 1024 * 1024
PEAK_RSS_LIMIT_MB = 1024
MCS25_FIXTURE = Path(__file__).parents[1] / "tests" / "data" / "fixtures" / "MCS2025_World_Data_extract.csv"

# letters for made-up but well-formed ISO3 codes (AAA ... ZZZ); the generated files need more economies
# and partners than the real lists have, and the importers check the code's form, not a country list
_CODES_SQL = (
    "select chr(65 + a.range::int) || chr(65 + b.range::int) || chr(65 + c.range::int) as iso3 "
    "from range(26) a, range(26) b, range(26) c"
)


def _copy(con: duckdb.DuckDBPyConnection, sql: str, out: Path, header: str, footer: str = "") -> None:
    """Write the rows of ``sql`` (one VARCHAR column ``line``) below ``header`` and above ``footer``."""
    body = out.with_suffix(".body")
    con.execute("set enable_progress_bar = false")
    con.execute(f"copy ({sql}) to '{body}' (header false, quote '', delimiter '\x01')")
    with out.open("wb") as fh, body.open("rb") as src:
        fh.write(header.encode())
        shutil.copyfileobj(src, fh, 1 << 20)
        fh.write(footer.encode())
    body.unlink()


def make_baci(folder: Path, target: int = TARGET_BYTES) -> list[str]:
    """A BACI HS92 yearly file of about ``target`` bytes plus its country-code file; returns the CLI args."""
    con = duckdb.connect()
    n_countries = 240
    codes = folder / "country_codes_V202401b.csv"
    _copy(
        con,
        f"select (3 + row_number() over ())::varchar || ',Country ' || iso3 || ',' || substr(iso3, 1, 2) "
        f"|| ',' || iso3 from ({_CODES_SQL} order by iso3 limit {n_countries})",
        codes,
        "country_code,country_name,country_iso2,country_iso3\n",
    )
    pairs = n_countries * (n_countries - 1)
    n_hs = max(1, target // (pairs * 34))  # ~34 bytes a line
    trade = folder / "BACI_HS92_Y2022_V202401b.csv"
    _copy(
        con,
        f"select '2022,' || (4 + i.range) || ',' || (4 + j.range) || ',' || (280000 + k.range) || ',' "
        f"|| round(random() * 10000, 3) || ',' || round(random() * 100, 3) "
        f"from range({n_countries}) i, range({n_countries}) j, range({n_hs}) k where i.range <> j.range",
        trade,
        "t,i,j,k,v,q\n",
    )
    return ["baci", str(trade), "--country-codes", str(codes)]


def make_wgi(folder: Path, target: int = TARGET_BYTES) -> list[str]:
    """A WGI DataBank export of about ``target`` bytes (all 36 series per economy, as the full export has)."""
    indicators = {
        "CC": "Control of Corruption",
        "GE": "Government Effectiveness",
        "PV": "Political Stability and Absence of Violence/Terrorism",
        "RQ": "Regulatory Quality",
        "RL": "Rule of Law",
        "VA": "Voice and Accountability",
    }
    measures = {
        "EST": "Estimate",
        "NO.SRC": "Number of Sources",
        "PER.RNK": "Percentile Rank",
        "PER.RNK.LOWER": "Percentile Rank, Lower Bound of 90% Confidence Interval",
        "PER.RNK.UPPER": "Percentile Rank, Upper Bound of 90% Confidence Interval",
        "STD.ERR": "Standard Error",
    }
    series = {
        f"{i}.{m}": f"{name}: {label}" for i, name in indicators.items() for m, label in measures.items()
    }
    years = list(range(1996, 2024))
    per_line = 75 + 19 * len(years)
    n_codes = min(26**3, max(1, target // (per_line * len(series))))
    values = " || ',' || ".join("round(random() * 5 - 2.5, 15)::varchar" for _ in years)
    series_sql = " union all ".join(f"select '{c}' as code, '{n}' as name" for c, n in series.items())
    header = "Country Name,Country Code,Series Name,Series Code," + ",".join(f"{y} [YR{y}]" for y in years)
    footer = "\n\nData from database: Worldwide Governance Indicators\nLast Updated: 11/05/2024\n"
    out = folder / "WGI_DataBank_Data.csv"
    _copy(
        duckdb.connect(),
        f"select 'Economy ' || c.iso3 || ',' || c.iso3 || ',\"' || s.name || '\",' || s.code || ',' || {values} "
        f"from ({_CODES_SQL} limit {n_codes}) c, ({series_sql}) s order by c.iso3, s.code",
        out,
        header + "\n",
        footer,
    )
    return ["wgi", str(out)]


def make_usgs(folder: Path, target: int = TARGET_BYTES) -> list[str]:
    """An MCS 2025 world-data file of about ``target`` bytes: the fixture's rows, then chapters critmin skips."""
    fixture = MCS25_FIXTURE.read_text(encoding="utf-8-sig")
    header, rows = fixture.split("\n", 1)
    n = max(1, target // 78)  # ~78 bytes a line
    out = folder / "MCS2025_World_Data.csv"
    _copy(
        duckdb.connect(),
        "select 'MCS2025,Commodity ' || (r.range // 200) || ',Country ' || (r.range % 200) "
        "|| ',Mine production,metric tons,' || (r.range % 997) || ',' || (r.range % 991) || ',,,,,' "
        f"|| (r.range % 983) || ',' from range({n}) r",
        out,
        header + "\n" + rows.rstrip("\n") + "\n",
    )
    return ["usgs-mcs", str(out)]


@pytest.mark.parametrize("make", [make_baci, make_wgi, make_usgs], ids=["baci", "wgi", "usgs"])
def test_import_200mb(
    benchmark: Any, tmp_path_factory: pytest.TempPathFactory, make: Callable[[Path], list[str]]
) -> None:
    """Import time and peak memory of a 200 MB file into a fresh copy of the store (target ≤ 1 GB)."""
    folder = tmp_path_factory.mktemp("import")
    args = make(folder)
    size_mb = Path(args[1]).stat().st_size / 2**20
    base = folder / "base.duckdb"
    Store.open(base).build_from_package()
    counter = iter(range(100))
    peaks: list[float] = []

    def run() -> None:
        db = folder / f"store{next(counter)}.duckdb"
        shutil.copy(base, db)
        # a fresh interpreter per round: RUSAGE_CHILDREN keeps the maximum over all children so far
        probe = (
            "import resource, subprocess, sys; "
            "subprocess.run(sys.argv[1:], check=True, capture_output=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        code = "import sys; from critmin.cli.main import app; sys.exit(app(sys.argv[1:]))"
        out = subprocess.run(
            [sys.executable, "-c", probe, sys.executable, "-c", code, "import", *args],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "CRITMIN_DB": str(db)},
        )
        peaks.append(int(out.stdout.split()[-1]) / 1024)

    benchmark.pedantic(run, rounds=2, iterations=1)
    benchmark.extra_info["file_mb"] = round(size_mb, 1)
    benchmark.extra_info["peak_rss_mb"] = round(max(peaks), 1)
    assert size_mb >= 190
    assert max(peaks) <= PEAK_RSS_LIMIT_MB, f"peak RSS {max(peaks):.0f} MB for a {size_mb:.0f} MB file"
