"""Folding the OECD inventory's yearly rows into validity intervals."""

from __future__ import annotations

from pathlib import Path

import pytest

from critmin.data.importers import ImportFormatError
from critmin.events import oecd

HEADER = "orig_row_index,iso3,country,hs_description,hs6,measure_type,year,date_introduced,direction\n"


def _file(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "oecd.csv"
    path.write_text(HEADER + rows)
    return path


def test_years_fold_into_intervals_ended_by_elimination(tmp_path: Path) -> None:
    rows = (
        "1,IDN,Indonesia,Nickel ores & concentrates,260400,Export tax,2012,16/05/2012,introduction\n"
        "2,IDN,Indonesia,Nickel ores & concentrates,260400,Export tax,2013,16/05/2012,left unchanged\n"
        "3,IDN,Indonesia,Nickel ores & concentrates,260400,Export tax,2014,11/01/2014,elimination\n"
        "4,IDN,Indonesia,Nickel ores & concentrates,260400,Export prohibition,2020,nd/01/2020,introduction\n"
        "5,IDN,Indonesia,Nickel ores & concentrates,260400,Export prohibition,2021,nd/01/2020,left unchanged\n"
    )
    folded = oecd.fold(oecd.read_inventory(_file(tmp_path, rows)), "import:oecd.csv").set_index("measure")
    tax = folded.loc["export_tax"]
    assert (tax["effective_from"], tax["effective_to"], tax["status"]) == (
        "2012-05-16",
        "2014-01-10",
        "lifted",
    )
    assert tax["measure_detail"] == "Export tax" and tax["commodity_ids"] == "nickel"
    ban = folded.loc["export_ban"]
    assert (ban["effective_from"], ban["effective_to"], ban["status_as_of"]) == ("2020-01", "", "2021")


def test_bad_rows_are_named(tmp_path: Path) -> None:
    rows = "1,IDN,Indonesia,Nickel ores,260400,Export tariff,2012,16/05/2012,introduction\n"
    with pytest.raises(ImportFormatError, match=r"line 2.*measure_type"):
        oecd.read_inventory(_file(tmp_path, rows))
