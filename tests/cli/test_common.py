"""The one output writer: JSON without NaN/Infinity, CSV that a spreadsheet cannot run as formulas."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.cli.common import OutputFormat, clean, csv_cell, emit
from critmin.cli.main import app
from critmin.store import Store

runner = CliRunner()


def _strict_json(text: str) -> object:
    """Parse JSON the way strict parsers do: NaN, Infinity and -Infinity are errors."""

    def refuse(name: str) -> object:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


FRAME = pd.DataFrame(
    {
        "name": ['=HYPERLINK("http://x")', "+SUM(A1)", "-2+3", "@cmd", "\tx", "-0.5", "+3e4", "plain"],
        "value": [np.nan, np.inf, -np.inf, -0.5, 1.0, 2.0, 3.0, 4.0],
        "nested": [{"a": float("nan")}, [np.inf], None, {}, [], {"b": -1.5}, None, None],
    }
)


def test_json_has_null_for_nan_and_infinity(capsys: pytest.CaptureFixture[str]) -> None:
    emit(FRAME, OutputFormat.json)
    records = _strict_json(capsys.readouterr().out)
    assert isinstance(records, list)
    assert [r["value"] for r in records[:4]] == [None, None, None, -0.5]
    assert records[0]["nested"] == {"a": None} and records[1]["nested"] == [None]


def test_json_refuses_a_value_clean_misses() -> None:
    """allow_nan=False: a NaN that reaches json.dumps fails loudly instead of printing NaN."""
    with pytest.raises(ValueError, match="JSON compliant"):
        json.dumps([math.nan], allow_nan=False)
    assert clean(np.float64("inf")) is None and clean(pd.NA) is None and clean(np.int64(3)) == 3


def test_csv_neutralises_formulas_but_not_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    emit(FRAME, OutputFormat.csv)
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["name"] for r in rows] == [
        "'=HYPERLINK(\"http://x\")", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tx", "-0.5", "+3e4", "plain",
    ]  # fmt: skip
    assert [r["value"] for r in rows] == ["", "", "", "-0.5", "1.0", "2.0", "3.0", "4.0"]
    assert rows[0]["nested"] == '{"a": null}' and rows[5]["nested"] == '{"b": -1.5}'


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("-1.5e-3", "-1.5e-3"), ("-", "'-"), ("=1", "'=1"), ("a=b", "a=b"), (-7, -7), (math.nan, None)],
)
def test_csv_cell(cell: object, expected: object) -> None:
    assert csv_cell(cell) == expected


def test_risk_json_from_the_command_is_strict(built_store: Store) -> None:
    """GeoPolRisk rows of years without HHI carry NaN in pandas; the command prints null."""
    result = runner.invoke(
        app,
        [
            "risk",
            "-m",
            "geopolrisk",
            "-c",
            "rare-earths",
            "--country",
            "USA",
            "-y",
            "2012",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    records = _strict_json(result.stdout)
    assert isinstance(records, list) and records
    assert any(r["value"] is None for r in records)
