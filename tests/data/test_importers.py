"""Tests of the official-format importers: fixture round trips, full real files, and located format errors."""

from __future__ import annotations

import json
import math
import pickle
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from critmin.data import PACKAGE_DIR
from critmin.data.build import default_input_dir
from critmin.data.importers import (
    ImportFormatError,
    constraints,
    read_baci,
    read_baci_countries,
    read_usgs_mcs,
    read_wgi_databank,
    usgs_mcs,
    wgi,
)

FIXTURES = Path(__file__).parent / "fixtures"
#: the researched inputs; tests reading them carry ``needs_shared`` (the session fixture skips without them)
SHARED = default_input_dir()

MCS24_REE = FIXTURES / "mcs2024-raree_world.csv"
MCS24_GA = FIXTURES / "mcs2024-galli_world.csv"
MCS24_NB = FIXTURES / "mcs2024-niobi_world.csv"
MCS24_PGM = FIXTURES / "mcs2024-plati_world.csv"
MCS24_MO = FIXTURES / "mcs2024-molyb_world.csv"
MCS25 = FIXTURES / "MCS2025_World_Data_extract.csv"
BACI = FIXTURES / "BACI_HS92_Y2022_V202401b.csv"
BACI_CODES = FIXTURES / "country_codes_V202401b.csv"
WGI = FIXTURES / "WGI_DataBank_extract_Data.csv"

needs_shared = pytest.mark.usefixtures("shared_data")


def edited(src: Path, tmp_path: Path, line: int, old: str, new: str, name: str | None = None) -> Path:
    """Copy of a fixture with ``old`` replaced by ``new`` on 1-based ``line`` (line ends kept)."""
    lines = src.read_bytes().decode("utf-8").splitlines(keepends=True)
    assert old in lines[line - 1], (old, lines[line - 1])
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    out = tmp_path / (name or src.name)
    out.write_bytes("".join(lines).encode("utf-8"))
    return out


def line_of(src: Path, text: str) -> int:
    """1-based number of the first line of ``src`` containing ``text``."""
    for number, line in enumerate(src.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {src}")


def one(df: pd.DataFrame, **where: object) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for col, value in where.items():
        mask &= df[col].isna() if value is None else df[col] == value
    rows = df[mask]
    assert len(rows) == 1, (where, rows)
    return rows.iloc[0]


# --- ImportFormatError ---------------------------------------------------------------------------------


def test_error_text_and_pickle() -> None:
    err = ImportFormatError("/some/dir/mcs2025.csv", 14, "PROD_2023", "'abc' is not a number")
    assert str(err) == "mcs2025.csv, line 14, column PROD_2023: 'abc' is not a number"
    assert (err.file, err.line, err.column, err.message) == (
        "mcs2025.csv",
        14,
        "PROD_2023",
        "'abc' is not a number",
    )
    assert isinstance(err, ValueError)
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == str(err) and back.line == 14
    assert str(ImportFormatError("x.csv", None, None, "file is empty")) == "x.csv: file is empty"


# --- USGS MCS: fixtures --------------------------------------------------------------------------------


def test_mcs2024_rare_earths_fixture() -> None:
    df = read_usgs_mcs(MCS24_REE)
    assert list(df.columns) == usgs_mcs.COLUMNS
    china = one(df, iso3="CHN", year=2023)
    assert china.mine_production == 240_000
    assert china.reserves == 44_000_000
    assert (china.commodity, china.stage, china.unit, china.edition) == (
        "rare-earths",
        "mining",
        "t REO",
        2024,
    )
    assert bool(china.estimated)  # Prod_t_est_2023
    assert china.source == "mcs2024-raree_world.csv (USGS MCS 2024 data release)"
    assert math.isnan(one(df, iso3="CHN", year=2022).reserves)  # reserves only on the latest year
    burma = one(df, iso3="MMR", year=2023)
    assert math.isnan(burma.reserves) and "NA" in burma.note
    world = one(df, iso3="WLD", year=2023)
    assert (world.country, world.mine_production, world.reserves) == ("World total", 350_000, 110_000_000)
    canada = one(df, iso3="CAN", year=2023)
    assert canada.mine_production == 0 and not canada.estimated  # zero is never "estimated"
    assert df.dtypes["edition"] == "int64" and df.dtypes["estimated"] == "bool"


def test_mcs2024_gallium_fused_footnote_marks() -> None:
    df = read_usgs_mcs(MCS24_GA)
    assert set(df["product"]) == {"primary low-purity gallium"} and set(df.stage) == {"refining"}
    japan = one(df, country="Japan", year=2022)  # "Japane": superscript e fused to the name
    assert japan.iso3 == "JPN" and japan.estimated
    assert one(df, country="Korea, Republic of", year=2022).iso3 == "KOR"  # "Korea, Republic ofe"
    other = one(df, country="Other countries", year=2023)  # "Other countries4"
    assert other.iso3 is None and other.mine_production == 0
    assert not one(df, iso3="WLD", year=2022).estimated  # Prod_kg_2022 is not an estimate column
    assert one(df, iso3="CHN", year=2022).estimated  # "estimated in 2022 also"
    assert df.reserves.isna().all()  # capacity columns are not reserves
    assert set(df.unit) == {"kg"}


def test_mcs2024_lower_bound_in_notes_field() -> None:
    world = one(read_usgs_mcs(MCS24_NB), iso3="WLD", year=2023)
    assert world.reserves == 17_000_000
    assert "reserves published as a lower bound" in world.note


def test_mcs2024_pgm_reserves_rows() -> None:
    df = read_usgs_mcs(MCS24_PGM)
    assert df[df.commodity.isin(["platinum", "palladium"])].reserves.isna().all()
    pgm = df[df.commodity == "platinum-group-metals"]
    assert set(pgm.year) == {2023} and pgm.mine_production.isna().all()
    assert one(pgm, iso3="ZAF").reserves == 63_000_000
    assert one(pgm, iso3="WLD").reserves == 71_000_000
    assert math.isnan(one(pgm, iso3=None).reserves)
    assert one(df, commodity="palladium", iso3="ZAF", year=2023).mine_production == 71_000


def test_mcs2024_reserves_in_kt_converted() -> None:
    df = read_usgs_mcs(MCS24_MO)
    us = one(df, iso3="USA", year=2023)
    assert us.unit == "t" and us.reserves == 3_500_000  # Reserves_kt 3500
    assert "converted from kt" in us.note
    assert math.isnan(one(df, iso3="PRK", year=2023).reserves)


def test_mcs2025_combined_fixture() -> None:
    df = read_usgs_mcs(MCS25)
    assert list(df.columns) == usgs_mcs.COLUMNS
    ree = df[df.commodity == "rare-earths"]
    assert set(ree.edition) == {2025} and set(ree.unit) == {"t REO"}
    china = one(ree, iso3="CHN", year=2024)
    assert (china.mine_production, china.reserves, bool(china.estimated)) == (270_000, 44_000_000, True)
    world = one(ree, iso3="WLD", year=2024)
    assert world.reserves == 90_000_000 and "reserves published as a lower bound" in world.note
    assert one(ree, iso3="CAN", year=2024).mine_production == 0  # blank cell = "—" in the printed table
    assert one(ree, country="Other countries", year=2024).iso3 is None
    assert one(df, commodity="gallium", iso3="USA", year=2023).mine_production == 0
    assert df[df.commodity == "germanium"].mine_production.isna().all()  # no table published
    assert set(df[df.commodity == "germanium"].usgs_commodity) == {"germanium"}  # USGS typo "Gemanium"
    assert set(ree.usgs_commodity) == {"rare earths"}
    assert one(df, commodity="molybdenum", iso3="USA", year=2024).reserves == 3_500_000
    ti = df[df.commodity == "titanium"]
    assert set(ti.unit) == {
        "kt TiO2"
    }  # UNIT_MEAS "metric tons" is a known label error; blank for Sierra Leone
    assert one(ti, iso3="SLE", year=2024).mine_production == 60
    assert math.isnan(one(ti, iso3="USA", product="rutile", year=2024).mine_production)
    assert one(df, commodity="platinum-group-metals", iso3="USA").reserves == 820_000
    assert df[df.commodity == "platinum"].reserves.isna().all()
    assert set(df.source) == {"MCS2025_World_Data_extract.csv (USGS MCS 2025 data release)"}


def test_mcs_commodity_argument_for_renamed_file(tmp_path: Path) -> None:
    renamed = tmp_path / "rare_earths.csv"
    renamed.write_bytes(MCS24_REE.read_bytes())
    with pytest.raises(ImportFormatError, match="cannot tell the commodity"):
        read_usgs_mcs(renamed)
    assert set(read_usgs_mcs(renamed, commodity="raree").commodity) == {"rare-earths"}


def test_mcs_unknown_commodity_skip(tmp_path: Path) -> None:
    n = line_of(MCS25, "MCS2025,Gemanium,China")
    path = edited(MCS25, tmp_path, n, "Gemanium", "Aluminum")
    df = read_usgs_mcs(path, unknown_commodities="skip")
    full = read_usgs_mcs(MCS25)
    dropped = (full.commodity == "germanium") & (full.iso3 == "CHN")
    assert dropped.sum() == 2
    assert len(df) == len(full) - 2 and not ((df.commodity == "germanium") & (df.iso3 == "CHN")).any()


# --- USGS MCS: the full real files against the curated table ------------------------------------------


def _curated() -> pd.DataFrame:
    cur = pd.read_csv(SHARED / "usgs_mcs" / "production_reserves.csv", float_precision="round_trip")
    return cur[cur.edition.isin([2024, 2025])]


def _parse_real() -> pd.DataFrame:
    raw = SHARED / "usgs_mcs" / "raw"
    files = [
        *sorted((raw / "mcs2024").glob("*_world.csv")),
        raw / "mcs2025" / "MCS2025_World_Data_extract.csv",
    ]
    return pd.concat([read_usgs_mcs(p) for p in files], ignore_index=True)


def _compare(parsed: pd.DataFrame, curated: pd.DataFrame) -> pd.DataFrame:
    names = {"rare earths": "rare-earths", "gallium": "gallium"}
    cur = curated[curated.commodity.isin(names)].assign(commodity=lambda d: d.commodity.map(names))
    got = parsed[parsed.commodity.isin(names.values())]
    keys = ["commodity", "edition", "year", "country"]
    merged = cur.merge(got, on=keys, how="outer", suffixes=("_cur", "_got"), indicator=True)
    assert (merged._merge == "both").all(), merged[merged._merge != "both"][[*keys, "_merge"]]
    return merged


@needs_shared
def test_real_mcs_files_match_curated_rare_earths_and_gallium() -> None:
    merged = _compare(_parse_real(), _curated())
    assert len(merged) == 96  # Ga 7 + REE 16 (2024) / 18 (2025) rows, two years each
    for col in ("mine_production", "reserves"):
        a, b = merged[f"{col}_cur"], merged[f"{col}_got"]
        same = (a == b) | (a.isna() & b.isna())
        assert same.all(), merged.loc[
            ~same, ["commodity", "edition", "year", "country", f"{col}_cur", f"{col}_got"]
        ]
    assert (merged.unit_cur == merged.unit_got).all()
    assert (merged.iso3_cur.fillna("") == merged.iso3_got.fillna("")).all()
    # estimate marks: the MCS 2024 release and MCS 2025's "PROD_EST_ 2024" column carry them; MCS 2025's 2023
    # marks in the curated table were read from the chapter PDFs, which the data release does not have
    flags = merged[(merged.edition == 2024) | (merged.year == 2024)]
    assert (flags.estimated_cur.astype(bool) == flags.estimated_got).all()


# Values where the curated table deliberately differs from the MCS 2025 data release (it follows the chapter
# PDFs, see shared/data/usgs_mcs/README.md): (commodity, product, year, country, column).
CURATED_FROM_PDF_2025 = {
    ("vanadium", "", 2024, "Russia", "mine_production"),
    ("manganese", "", 2024, "United States", "reserves"),
    ("tantalum", "", 2024, "United States", "reserves"),
    ("tin", "", 2024, "United States", "reserves"),
}


@needs_shared
def test_real_mcs_files_match_curated_all_chapters() -> None:
    """All 24 chapters of MCS 2024 and MCS 2025: every value equals the curated table built from them."""
    from critmin import vocab

    names = {name: row for (ds, name), row in vocab.source_names().items() if ds == "usgs_mcs"}
    cur = _curated().assign(
        usgs_commodity=lambda d: d.commodity,
        product=lambda d: d.commodity.map(lambda n: names[n]["product"]),
        commodity=lambda d: d.commodity.map(lambda n: names[n]["commodity"]),
    )
    got = _parse_real().assign(product=lambda d: d["product"].fillna(""))
    keys = ["commodity", "product", "edition", "year", "country"]
    merged = cur.merge(got, on=keys, how="outer", suffixes=("_cur", "_got"), indicator=True)
    assert (merged._merge == "both").all() and len(merged) == 1358
    differ = set()
    for col in ("mine_production", "reserves"):
        a, b = merged[f"{col}_cur"], merged[f"{col}_got"]
        for _, r in merged[~((a == b) | (a.isna() & b.isna()))].iterrows():
            differ.add((r.commodity, r["product"], r.year, r.country, col))
    assert all(d[2] == 2024 for d in differ)  # none in the MCS 2024 edition...
    assert differ == CURATED_FROM_PDF_2025  # ...and only the documented PDF corrections in MCS 2025
    assert (merged.unit_cur == merged.unit_got).all()
    assert (merged.iso3_cur.fillna("") == merged.iso3_got.fillna("")).all()
    assert (merged.usgs_commodity_cur == merged.usgs_commodity_got).all()  # "Gemanium" -> "germanium"
    e24 = merged[merged.edition == 2024]
    assert (e24.estimated_cur.astype(bool) == e24.estimated_got).all()


# --- USGS MCS: malformed files -------------------------------------------------------------------------


def test_mcs_not_a_number(tmp_path: Path) -> None:
    n = line_of(MCS25, "MCS2025,Rare earths,China")
    path = edited(MCS25, tmp_path, n, "255000", "abc")
    with pytest.raises(ImportFormatError) as exc:
        read_usgs_mcs(path)
    assert (exc.value.file, exc.value.line, exc.value.column) == (MCS25.name, n, "PROD_2023")
    assert str(exc.value) == f"{MCS25.name}, line {n}, column PROD_2023: 'abc' is not a number"


def test_mcs2024_not_a_number(tmp_path: Path) -> None:
    n = line_of(MCS24_REE, "MCS2024,China")
    path = edited(MCS24_REE, tmp_path, n, "240000", "24O000")
    with pytest.raises(ImportFormatError) as exc:
        read_usgs_mcs(path)
    assert (exc.value.line, exc.value.column) == (n, "Prod_t_est_2023")


@pytest.mark.parametrize(
    ("src", "old", "new", "column"),
    [
        (MCS24_REE, "Country", "Nation", "Country"),
        (MCS24_REE, "Prod_t_est_2022,Prod_t_est_2023", "P2022,P2023", "Prod_<unit>_<year>"),
        (MCS25, "UNIT_MEAS", "UNITS", "UNIT_MEAS"),
        (MCS25, "COUNTRY", "NATION", "COUNTRY"),
    ],
)
def test_mcs_missing_column(tmp_path: Path, src: Path, old: str, new: str, column: str) -> None:
    with pytest.raises(ImportFormatError) as exc:
        read_usgs_mcs(edited(src, tmp_path, 1, old, new))
    assert (exc.value.line, exc.value.column) == (1, column)
    assert "missing" in exc.value.message


def test_mcs_unknown_country_with_suggestions(tmp_path: Path) -> None:
    n = line_of(MCS24_REE, "MCS2024,Thailand")
    path = edited(MCS24_REE, tmp_path, n, "Thailand", "Thailnad")
    with pytest.raises(ImportFormatError) as exc:
        read_usgs_mcs(path)
    assert (exc.value.line, exc.value.column) == (n, "Country")
    assert "unknown country 'Thailnad'" in exc.value.message
    assert "did you mean" in exc.value.message and "Thailand" in exc.value.message


def test_mcs_unknown_commodity(tmp_path: Path) -> None:
    n = line_of(MCS25, "MCS2025,Gemanium,China")
    with pytest.raises(ImportFormatError) as exc:
        read_usgs_mcs(edited(MCS25, tmp_path, n, "Gemanium", "Unobtainium"))
    assert (exc.value.line, exc.value.column) == (n, "COMMODITY")
    assert "unknown commodity 'Unobtainium'" in exc.value.message

    chapter = tmp_path / "mcs2024-unobt_world.csv"
    chapter.write_bytes(MCS24_REE.read_bytes())
    with pytest.raises(ImportFormatError) as exc2:
        read_usgs_mcs(chapter)
    assert (exc2.value.file, exc2.value.line, exc2.value.column) == ("mcs2024-unobt_world.csv", None, None)
    assert "unknown commodity" in exc2.value.message


def test_mcs_unit_mismatch_row(tmp_path: Path) -> None:
    n = line_of(MCS25, "MCS2025,Rare earths,Burma")
    with pytest.raises(ImportFormatError) as exc:
        read_usgs_mcs(edited(MCS25, tmp_path, n, "metric tons", "kilograms"))
    assert (exc.value.line, exc.value.column) == (n, "UNIT_MEAS")
    assert "unit mismatch" in exc.value.message


def test_mcs_unit_not_recognised(tmp_path: Path) -> None:
    n = line_of(MCS25, "MCS2025,Rare earths,Burma")
    with pytest.raises(ImportFormatError) as exc:
        read_usgs_mcs(edited(MCS25, tmp_path, n, "metric tons", "troy ounces"))
    assert (exc.value.line, exc.value.column) == (n, "UNIT_MEAS")


def test_mcs2024_unit_mismatch_field_name(tmp_path: Path) -> None:
    path = edited(
        MCS24_REE, tmp_path, 1, "Prod_t_est_2022,Prod_t_est_2023", "Prod_kg_est_2022,Prod_kg_est_2023"
    )
    with pytest.raises(ImportFormatError) as exc:
        read_usgs_mcs(path)
    assert (exc.value.line, exc.value.column) == (1, "Prod_kg_est_2022")
    assert "unit mismatch" in exc.value.message


def test_mcs2024_reserves_unit_not_convertible(tmp_path: Path) -> None:
    path = edited(MCS24_REE, tmp_path, 1, "Reserves_t", "Reserves_flasks")
    with pytest.raises(ImportFormatError) as exc:
        read_usgs_mcs(path)
    assert (exc.value.line, exc.value.column) == (1, "Reserves_flasks")
    assert "cannot be converted" in exc.value.message


def test_mcs_empty_and_header_only(tmp_path: Path) -> None:
    empty = tmp_path / "mcs2024-raree_world.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportFormatError) as exc:
        read_usgs_mcs(empty)
    assert (exc.value.file, exc.value.line, exc.value.column) == (empty.name, None, None)
    assert "empty" in exc.value.message
    header_only = tmp_path / "MCS2025_World_Data.csv"
    header_only.write_bytes(MCS25.read_bytes().split(b"\n")[0] + b"\n")
    with pytest.raises(ImportFormatError, match="no data rows"):
        read_usgs_mcs(header_only)


def test_mcs_duplicate_row(tmp_path: Path) -> None:
    lines = MCS24_REE.read_bytes().split(b"\r\n")
    china = next(i for i, raw in enumerate(lines) if raw.startswith(b"MCS2024,China"))
    lines.insert(china + 1, lines[china])
    path = tmp_path / MCS24_REE.name
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(ImportFormatError) as exc:
        read_usgs_mcs(path)
    assert exc.value.line == china + 2 and "duplicate" in exc.value.message


def test_mcs_bad_edition(tmp_path: Path) -> None:
    n = line_of(MCS24_REE, "MCS2024,Canada")
    with pytest.raises(ImportFormatError) as exc:
        read_usgs_mcs(edited(MCS24_REE, tmp_path, n, "MCS2024", "MCS2023"))
    assert (exc.value.line, exc.value.column) == (n, "Source")
    assert "mixes editions" in exc.value.message


# --- BACI ----------------------------------------------------------------------------------------------


def test_baci_countries_fixture() -> None:
    df = read_baci_countries(BACI_CODES)
    assert list(df.columns) == ["code", "name", "iso2", "iso3", "critmin_iso3", "source"]
    taiwan = one(df, code=490)
    assert (taiwan["name"], taiwan.iso3, taiwan.critmin_iso3) == ("Other Asia, nes", "S19", "TWN")
    assert taiwan.iso2 is None
    efta = one(df, code=697)
    assert efta.iso3 == efta.critmin_iso3 == "R20"  # kept as in the code file
    assert one(df, code=842).critmin_iso3 == "USA"
    assert df.source.iloc[0] == "country_codes_V202401b.csv (CEPII BACI V202401b country codes)"


def test_baci_fixture() -> None:
    df = read_baci(BACI)  # the code file next to it is found, edition from the name
    assert list(df.columns) == [
        "year",
        "exporter",
        "importer",
        "hs",
        "value_kusd",
        "quantity_t",
        "edition",
        "source",
    ]
    assert len(df) == 7 and set(df.year) == {2022}
    row = one(df, exporter="CHN", importer="TWN")
    assert (row.hs, row.value_kusd, row.quantity_t) == ("280530", 56.414, 0.062)
    assert one(df, exporter="TWN", importer="CHN").value_kusd == 64.917
    assert math.isnan(one(df, exporter="BGR").quantity_t)  # blank q
    assert set(df.edition) == {"V202401b"}
    assert set(df.source) == {"BACI_HS92_Y2022_V202401b.csv (CEPII BACI HS92 V202401b)"}
    assert df.dtypes["year"] == "int64" and df.dtypes["value_kusd"] == "float64"


def test_baci_zero_pads_hs_and_reads_na(tmp_path: Path) -> None:
    path = edited(BACI, tmp_path, 2, "2022,100,528,280530,0.002,", "2022,100,528,81190,0.002,NA")
    df = read_baci(path, BACI_CODES)
    bgr = one(df, exporter="BGR")
    assert bgr.hs == "081190" and math.isnan(bgr.quantity_t)


def test_baci_edition_argument_and_missing(tmp_path: Path) -> None:
    renamed = tmp_path / "trade.csv"
    renamed.write_bytes(BACI.read_bytes())
    codes = tmp_path / "codes.csv"
    codes.write_bytes(BACI_CODES.read_bytes())
    with pytest.raises(ImportFormatError, match="give it with --edition"):
        read_baci(renamed, codes)
    assert set(read_baci(renamed, codes, edition="V202501").edition) == {"V202501"}


@pytest.mark.parametrize(
    ("line", "old", "new", "column", "message"),
    [
        (4, "2022,156,152,", "2022,156,999,", "j", "country code 999"),
        (5, "2022,156,490", "2022,998,490", "i", "country code 998"),
        (6, "2.599", "n/a", "v", "'n/a' is not a number"),
        (7, "0.019", "lots", "q", "'lots' is not a number"),
        (8, "284690", "28A690", "k", "not an HS six-digit product code"),
        (8, "284690", "2846", "k", "not an HS six-digit product code"),
        (5, "56.414", "-56.414", "v", "-56.414 is below value_kusd's minimum 0"),
        (5, "0.062", "-0.062", "q", "-0.062 is below quantity_t's minimum 0"),
        (5, "56.414", "1e400", "v", "inf is not a finite number"),
        (5, "56.414", "inf", "v", "inf is not a finite number"),
        (5, "0.062", "nan", "q", "nan is not a finite number"),
        (5, "2022,156,490", "1850,156,490", "t", "below year's minimum 1900"),
        (3, "1577.57", "", "v", "missing"),
    ],
)
def test_baci_malformed(tmp_path: Path, line: int, old: str, new: str, column: str, message: str) -> None:
    path = edited(BACI, tmp_path, line, old, new)
    with pytest.raises(ImportFormatError) as exc:
        read_baci(path, BACI_CODES)
    assert (exc.value.file, exc.value.line, exc.value.column) == (BACI.name, line, column)
    assert message in exc.value.message


def test_baci_line_numbers_survive_blank_lines(tmp_path: Path) -> None:
    lines = BACI.read_bytes().split(b"\r\n")
    lines.insert(2, b"")  # blank line 3
    lines[6] = lines[6].replace(b"2.599", b"oops")
    path = tmp_path / BACI.name
    path.write_bytes(b"\r\n".join(lines).rstrip(b"\r\n") + b"\r\n")
    with pytest.raises(ImportFormatError) as exc:
        read_baci(path, BACI_CODES)
    assert (exc.value.line, exc.value.column) == (7, "v")


def test_baci_bad_structure_and_missing_column(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError) as exc:
        read_baci(edited(BACI, tmp_path, 3, "1577.57", "1,577.57"), BACI_CODES)
    assert (exc.value.line, exc.value.column) == (3, None)
    assert "found 7" in exc.value.message
    with pytest.raises(ImportFormatError) as exc2:
        read_baci(edited(BACI, tmp_path, 1, "t,i,j,k,v,q", "t,i,j,k,v,qty"), BACI_CODES)
    assert (exc2.value.line, exc2.value.column) == (1, "q")


def test_baci_countries_malformed(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError) as exc:
        read_baci_countries(edited(BACI_CODES, tmp_path, 4, "152,", "15x,"))
    assert (exc.value.line, exc.value.column) == (4, "country_code")
    with pytest.raises(ImportFormatError) as exc2:
        read_baci_countries(edited(BACI_CODES, tmp_path, 1, "country_iso3", "iso"))
    assert (exc2.value.line, exc2.value.column) == (1, "country_iso3")


@needs_shared
def test_baci_full_file_parses_fast() -> None:
    trade = SHARED / "trade" / "baci_hs92_selected_2010_2024.csv"
    codes = SHARED / "trade" / "baci_country_codes_V202401b.csv"
    start = time.perf_counter()
    df = read_baci(trade, codes)
    elapsed = time.perf_counter() - start
    assert len(df) == 736_659
    assert df.year.min() == 2010 and df.year.max() == 2024
    assert (df.hs.str.len() == 6).all()
    assert not df.exporter.isna().any() and not df.importer.isna().any()
    assert "S19" not in set(df.exporter) and (df.exporter == "TWN").any()
    assert df.quantity_t.isna().sum() == 31_778  # blank q in the source
    assert set(df.edition) == {"V202401b"}
    assert elapsed < 10, f"full BACI parse took {elapsed:.1f} s"


# --- WGI -----------------------------------------------------------------------------------------------


def test_wgi_fixture() -> None:
    df = read_wgi_databank(WGI)
    assert list(df.columns) == wgi.COLUMNS
    china = one(df, iso3="CHN", year=2023)
    assert china.control_of_corruption == pytest.approx(-0.00537, abs=1e-5)
    assert china.country == "China" and china.edition == "2024 update"
    assert set(df[df.iso3 == "CHN"].year) == set(range(2013, 2024))
    assert one(df, iso3="BHS", year=2021).country == "Bahamas, The"
    # Netherlands Antilles has estimates for 2013 only; empty economy-years are left out
    assert list(df[df.iso3 == "ANT"].year) == [2013]
    assert df.source.iloc[0] == "WGI_DataBank_extract_Data.csv (World Bank WGI 2024 update, DataBank export)"


def test_wgi_exact_value() -> None:
    df = read_wgi_databank(WGI)
    line = next(
        raw for raw in WGI.read_text().splitlines() if raw.startswith("Myanmar,MMR,Rule of Law: Estimate")
    )
    assert one(df, iso3="MMR", year=2023).rule_of_law == float(line.split(",")[-1])


@needs_shared
def test_wgi_real_file_matches_curated() -> None:
    df = read_wgi_databank(SHARED / "governance" / "raw" / "WGI_2024update_DataBank_2013-2023_Data.csv")
    cur = pd.read_csv(SHARED / "governance" / "wgi.csv", float_precision="round_trip")
    got = df[df.year.between(2021, 2023)]
    merged = cur.merge(got, on=["iso3", "year"], how="outer", suffixes=("_cur", "_got"), indicator=True)
    assert (merged._merge == "both").all() and len(merged) == 639
    for col in wgi.SERIES.values():
        a, b = merged[f"{col}_cur"], merged[f"{col}_got"]
        assert ((a == b) | (a.isna() & b.isna())).all(), col


def test_wgi_not_a_number(tmp_path: Path) -> None:
    n = line_of(WGI, "China,CHN,Government Effectiveness: Estimate")
    text = WGI.read_text().splitlines()[n - 1]
    last = text.rsplit(",", 1)[1]
    path = edited(WGI, tmp_path, n, "," + last, ",abc")
    with pytest.raises(ImportFormatError) as exc:
        read_wgi_databank(path)
    assert (exc.value.line, exc.value.column) == (n, "2023 [YR2023]")
    assert exc.value.message == "'abc' is not a number"


def test_wgi_missing_column(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError) as exc:
        read_wgi_databank(edited(WGI, tmp_path, 1, "Series Code", "Code"))
    assert (exc.value.line, exc.value.column) == (1, "Series Code")


def test_wgi_no_estimate_series(tmp_path: Path) -> None:
    lines = WGI.read_bytes().split(b"\r\n")
    kept = [raw for raw in lines if b".EST," not in raw]
    path = tmp_path / WGI.name
    path.write_bytes(b"\r\n".join(kept) + b"\r\n")
    with pytest.raises(ImportFormatError) as exc:
        read_wgi_databank(path)
    assert (exc.value.line, exc.value.column) == (None, "Series Code")
    assert "estimate series" in exc.value.message


def test_wgi_edition_without_footer(tmp_path: Path) -> None:
    lines = WGI.read_bytes().split(b"\r\n")
    path = tmp_path / WGI.name
    path.write_bytes(b"\r\n".join(raw for raw in lines if not raw.startswith(b"Last Updated")))
    with pytest.raises(ImportFormatError, match="--edition '2024 update'") as exc:
        read_wgi_databank(path)
    assert "--released 2024-11-05" in exc.value.message
    assert set(read_wgi_databank(path, edition="2024 update").edition) == {"2024 update"}


def test_wgi_empty(tmp_path: Path) -> None:
    path = tmp_path / "wgi.csv"
    path.write_text("\n")
    with pytest.raises(ImportFormatError) as exc:
        read_wgi_databank(path)
    assert (exc.value.line, exc.value.column) == (None, None)


def test_baci_padded_numbers_take_the_slow_path(tmp_path: Path) -> None:
    path = edited(BACI, tmp_path, 4, "2022,156,152,280530,0.95,", "2022, 156,152,280530, 0.95 ,")
    df = read_baci(path, BACI_CODES)
    chl = one(df, importer="CHL")
    assert (chl.exporter, chl.value_kusd) == ("CHN", 0.95) and math.isnan(chl.quantity_t)
    assert len(df) == 7


# --- encoding, delimiter, cut-off files (all formats) --------------------------------------------------


def _read_any(kind: str, path: Path) -> None:
    if kind == "baci":
        read_baci(path, BACI_CODES)
    elif kind == "wgi":
        read_wgi_databank(path)
    else:
        read_usgs_mcs(path)


FORMATS = [("baci", BACI), ("wgi", WGI), ("usgs", MCS25)]


@pytest.mark.parametrize(("kind", "src"), FORMATS)
@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le"])
def test_utf16_is_named(tmp_path: Path, kind: str, src: Path, codec: str) -> None:
    path = tmp_path / src.name
    path.write_bytes(src.read_text(encoding="utf-8-sig").encode(codec))
    with pytest.raises(ImportFormatError, match="UTF-16"):
        _read_any(kind, path)


@pytest.mark.parametrize(("kind", "src"), FORMATS)
@pytest.mark.parametrize(("sep", "name"), [(";", "semicolons"), ("\t", "tabs")])
def test_wrong_delimiter_is_named(tmp_path: Path, kind: str, src: Path, sep: str, name: str) -> None:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    writer.writerows(csv.reader(io.StringIO(src.read_text(encoding="utf-8-sig"))))
    path = tmp_path / src.name
    path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(ImportFormatError) as exc:
        _read_any(kind, path)
    assert exc.value.line == 1 and f"separated by {name}" in exc.value.message
    assert "not commas" in exc.value.message


@pytest.mark.parametrize(("kind", "src"), FORMATS)
def test_invalid_utf8_names_its_line(tmp_path: Path, kind: str, src: Path) -> None:
    lines = src.read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b",", b",\xe9", 1)  # a Latin-1 byte in line 4
    path = tmp_path / src.name
    path.write_bytes(b"".join(lines))
    with pytest.raises(ImportFormatError) as exc:
        _read_any(kind, path)
    assert exc.value.line == 4 and "not valid UTF-8 (byte 0xe9)" in exc.value.message


@pytest.mark.parametrize(("kind", "src"), FORMATS)
def test_file_cut_mid_record_is_refused(tmp_path: Path, kind: str, src: Path) -> None:
    data = src.read_bytes().rstrip(b"\r\n")
    path = tmp_path / src.name
    path.write_bytes(data[:-3])  # the last record loses its end (mid-number for BACI) and its line break
    with pytest.raises(ImportFormatError, match="ends without a line break"):
        _read_any(kind, path)


def test_baci_record_cut_to_fewer_fields(tmp_path: Path) -> None:
    lines = BACI.read_bytes().splitlines(keepends=True)
    lines[-1] = b"2022,156,392\r\n"
    path = tmp_path / BACI.name
    path.write_bytes(b"".join(lines))
    with pytest.raises(ImportFormatError) as exc:
        read_baci(path, BACI_CODES)
    assert exc.value.line == len(lines) and "found 3" in exc.value.message


def test_mcs_last_record_short_of_fields(tmp_path: Path) -> None:
    lines = MCS25.read_bytes().splitlines(keepends=True)
    lines[-1] = lines[-1].split(b",")[0] + b",Titanium Mineral Concentrates,Sierra\n"
    path = tmp_path / "MCS2025_World_Data.csv"
    path.write_bytes(b"".join(lines))
    with pytest.raises(ImportFormatError) as exc:
        read_usgs_mcs(path)
    assert exc.value.line == len(lines) and "3 fields where the header has 13" in exc.value.message


def test_wgi_without_footer_is_cut_off(tmp_path: Path) -> None:
    lines = WGI.read_bytes().split(b"\r\n")
    n = next(i for i, raw in enumerate(lines) if raw.startswith(b"Netherlands Antilles,ANT,Rule of Law"))
    path = tmp_path / WGI.name
    path.write_bytes(b"\r\n".join(lines[: n + 1]) + b"\r\n")  # the DataBank footer and the last row are gone
    with pytest.raises(ImportFormatError, match="no DataBank footer"):
        read_wgi_databank(path)
    with pytest.raises(ImportFormatError) as exc:  # dated by hand, the missing series still shows
        read_wgi_databank(path, released=date(2024, 11, 5))
    assert exc.value.line == n + 1 and "economy ANT lacks the series VA.EST" in exc.value.message


def test_wgi_released_names_the_edition(tmp_path: Path) -> None:
    lines = WGI.read_bytes().split(b"\r\n")
    path = tmp_path / WGI.name
    path.write_bytes(b"\r\n".join(raw for raw in lines if not raw.startswith((b"Last", b"Data from"))))
    assert set(read_wgi_databank(path, released=date(2025, 10, 1)).edition) == {"2025 update"}


# --- constraints, duplicates and skipped rows ---------------------------------------------------------


def test_constraints_are_those_of_the_package() -> None:
    descriptor = json.loads((PACKAGE_DIR / "datapackage.json").read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        for f in res["schema"]["fields"]:
            c = f.get("constraints", {})
            mine = constraints.fields(res["name"])[f["name"]]
            assert (mine.minimum, mine.maximum, mine.pattern) == (
                c.get("minimum"),
                c.get("maximum"),
                c.get("pattern"),
            )
    assert constraints.fields("wgi")["rule_of_law"].minimum == -5
    assert constraints.fields("baci_trade")["value_kusd"].minimum == 0


@pytest.mark.parametrize(
    ("old", "new", "column", "message"),
    [
        (
            "BHS,Control of Corruption: Estimate",
            "=HYPERLINK(1),Control of Corruption: Estimate",
            "Country Code",
            "spreadsheet formula",
        ),
        (
            "BHS,Control of Corruption: Estimate",
            "+cmd,Control of Corruption: Estimate",
            "Country Code",
            "spreadsheet formula",
        ),
        (
            "BHS,Control of Corruption: Estimate",
            "@SUM,Control of Corruption: Estimate",
            "Country Code",
            "spreadsheet formula",
        ),
        ('"Bahamas, The",BHS,Control', "=cmd,BHS,Control", "Country Name", "spreadsheet formula"),
        (
            "CC.EST,1.33469569683075",
            "CC.EST,-5000",
            "2013 [YR2013]",
            "-5000 is below control_of_corruption's",
        ),
        ("CC.EST,1.33469569683075", "CC.EST,1e400", "2013 [YR2013]", "inf is not a finite number"),
        ("CC.EST,1.33469569683075", "CC.EST,inf", "2013 [YR2013]", "'inf' is not a number"),
        ("CC.EST,1.33469569683075", "CC.EST,nan", "2013 [YR2013]", "'nan' is not a number"),
    ],
)
def test_wgi_values_checked_against_constraints(
    tmp_path: Path, old: str, new: str, column: str, message: str
) -> None:
    path = edited(WGI, tmp_path, 2, old, new)
    with pytest.raises(ImportFormatError) as exc:
        read_wgi_databank(path)
    assert (exc.value.line, exc.value.column) == (2, column)
    assert message in exc.value.message


def test_mcs_formula_as_country_is_refused(tmp_path: Path) -> None:
    n = line_of(MCS24_REE, "MCS2024,Burma,")
    with pytest.raises(ImportFormatError) as exc:
        read_usgs_mcs(
            edited(MCS24_REE, tmp_path, n, "MCS2024,Burma,", '"=HYPERLINK(""x"")",'.join(["MCS2024,", ""]))
        )
    assert (exc.value.line, exc.value.column) == (n, "Country")
    assert "spreadsheet formula" in exc.value.message


def test_baci_country_code_file_formula_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError) as exc:
        read_baci_countries(edited(BACI_CODES, tmp_path, 3, "CA,CAN", "CA,=cmd"))
    assert (exc.value.line, exc.value.column) == (3, "country_iso3")
    assert "spreadsheet formula" in exc.value.message


def test_baci_repeated_flow_names_both_lines(tmp_path: Path) -> None:
    lines = BACI.read_bytes().splitlines(keepends=True)
    lines.append(lines[2].replace(b"1577.57", b"1.5"))
    path = tmp_path / BACI.name
    path.write_bytes(b"".join(lines))
    with pytest.raises(ImportFormatError) as exc:
        read_baci(path, BACI_CODES)
    assert exc.value.line == len(lines) and "of line 3 repeats" in exc.value.message


def test_skipped_rows_are_counted() -> None:
    wgi_skipped: Counter[str] = Counter()
    read_wgi_databank(WGI, skipped=wgi_skipped)
    other = sum(1 for raw in WGI.read_text(encoding="utf-8-sig").splitlines() if ".STD.ERR," in raw)
    assert wgi_skipped[wgi.SKIP_OTHER_SERIES] == other > 0
    assert wgi_skipped[wgi.SKIP_EMPTY] == 10  # Netherlands Antilles 2014-2023
    mcs_skipped: Counter[str] = Counter()
    read_usgs_mcs(MCS25, unknown_commodities="skip", skipped=mcs_skipped)
    assert set(mcs_skipped) <= {usgs_mcs.SKIP_UNKNOWN}
