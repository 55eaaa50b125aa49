"""Whole runs against the store: reproducibility, bands around the median run, severity 0."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmin.scenario import Scenario
from critmin.scenario.spec import parse_spec

SPEC = """\
[scenario]
name = "t"
start = "2025-04"
months = 8

[[restriction]]
issuer = "China"
commodity = "rare-earths"
stage = "refining"
targets = ["all"]
start = "2025-04"
duration = 6
licence_delay = 1
severity = {severity}
leakage = {{dist = "uniform", low = 0.0, high = 0.2}}

[response]
ramp = {{dist = "uniform", low = 0.02, high = 0.06}}
spare_capacity = {{dist = "triangular", low = 0.0, mode = 0.05, high = 0.2}}
stocks = {{JPN = {{dist = "uniform", low = 0.0, high = 2.0}}}}

[prices]
form = "dysprosium oxide 99.5% min"
"""


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario(parse_spec(SPEC.format(severity='{dist = "uniform", low = 0.3, high = 0.9}')))


def test_same_seed_same_result(scenario: Scenario) -> None:
    a, b = scenario.run(draws=300, seed=7), scenario.run(draws=300, seed=7)
    for name, frame in a.tables().items():
        pd.testing.assert_frame_equal(frame, b.tables()[name], obj=name)
    c = scenario.run(draws=300, seed=8)
    assert not np.array_equal(a.shortfall["unserved_p95"], c.shortfall["unserved_p95"])


def test_bands_contain_the_run_at_median_parameters(scenario: Scenario) -> None:
    res = scenario.run(draws=2000, seed=1)
    for frame, col in ((res.shortfall, "unserved"), (res.volumes, "unserved"), (res.prices, "multiple")):
        assert (frame[f"{col}_p05"] <= frame[col] + 1e-9).all()
        assert (frame[col] <= frame[f"{col}_p95"] + 1e-9).all()
    assert res.shortfall["unserved"].max() > 0


def test_severity_zero_gives_the_baseline() -> None:
    text = SPEC.format(severity="0.0").replace("licence_delay = 1", "licence_delay = 0")
    res = Scenario(parse_spec(text)).run(draws=50, seed=0)
    assert (res.volumes["unserved"] == 0).all() and (res.volumes["unserved_p95"] == 0).all()
    assert (res.prices["multiple"] == 1).all()


def test_results_are_written_as_parquet_and_csv(scenario: Scenario, tmp_path: Path) -> None:
    paths = scenario.run().write(tmp_path)
    assert {p.suffix for p in paths} == {".parquet", ".csv"}
    assert pd.read_parquet(tmp_path / "shortfall.parquet").shape[0] > 0
