"""Backtests: the JSON contract, every episode runs, ratios come from the model, one parameter set."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.scenario import Scenario, backtest, parameters
from critmin.scenario.spec import Response
from critmin.store import Store

pytestmark = pytest.mark.usefixtures("built_store")


def test_json_records_have_exactly_the_public_columns(built_store: Store) -> None:
    result = CliRunner().invoke(app, ["backtest", "--format", "json", "--draws", "50"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and all(tuple(r) == backtest.COLUMNS for r in rows)
    assert all(isinstance(r["observed"], float) and r["source"] for r in rows)


def test_every_episode_runs_and_gives_its_metrics(built_store: Store) -> None:
    table = backtest.run_backtests(draws=50)
    files = backtest.episode_files()
    assert len(files) >= 3
    for f in files:
        ep = backtest.load_episode(f)
        got = table[table["episode"] == ep.episode]
        assert list(got["metric"]) == [m["metric"] for m in ep.observed]
    predicted = table.dropna(subset=["predicted"])
    assert (predicted["low"] <= predicted["high"]).all()


def test_ratios_are_computed_from_the_model(built_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scaling every outside price multiple scales the predictions and ratios: nothing is typed in."""
    base = backtest.run_backtests(draws=20)
    real = backtest.market_multiples

    def doubled(*args, **kwargs):  # type: ignore[no-untyped-def]
        inside, outside = real(*args, **kwargs)
        return inside, outside * 2

    monkeypatch.setattr(backtest, "market_multiples", doubled)
    twice = backtest.run_backtests(draws=20)
    outside = [
        m["predicted"].get("base_months") is None and m["predicted"]["output"] == "outside"
        for f in backtest.episode_files()
        for m in backtest.load_episode(f).observed
    ]
    for k, is_outside in enumerate(outside):
        if is_outside and not math.isnan(base["predicted"].iloc[k]):
            assert twice["predicted"].iloc[k] == pytest.approx(2 * base["predicted"].iloc[k])
            assert twice["ratio"].iloc[k] == pytest.approx(
                twice["predicted"].iloc[k] / base["observed"].iloc[k]
            )


def test_episodes_run_with_the_documented_set_and_may_not_tune_it(
    built_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    documented = parameters.documented().values
    expected = Response.model_validate(documented["response"]).model_dump()
    for f in backtest.episode_files():
        got = Scenario(backtest.load_episode(f).spec).spec.response.model_dump()
        assert {k: got[k] for k in parameters.KEYS["response"]} == {
            k: expected[k] for k in parameters.KEYS["response"]
        }, f.name
    real = backtest._read

    def tuned(file):  # type: ignore[no-untyped-def]
        raw = real(file)
        raw["response"] = {"ramp": 0.5}
        return raw

    monkeypatch.setattr(backtest, "_read", tuned)
    with pytest.raises(backtest.BacktestError, match=r"\[response\] is not allowed"):
        backtest.load_episode(backtest.episode_files()[0])


def test_summary_counts_hits_and_observations_inside_the_band(built_store: Store) -> None:
    table = backtest.run_backtests(draws=50)
    hits, inside, missing = backtest.counts(table)
    ratio = table["ratio"].dropna()
    assert hits == int(((ratio >= 0.5) & (ratio <= 2)).sum())
    banded = table.dropna(subset=["low", "high"])
    assert inside == int(
        ((banded["observed"] >= banded["low"]) & (banded["observed"] <= banded["high"])).sum()
    )
    assert missing == int(table["predicted"].isna().sum())
