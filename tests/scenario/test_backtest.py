"""Backtests: the JSON contract, every episode runs, ratios come from the model, one parameter set."""

from __future__ import annotations

import json
import math
import tomllib

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.scenario import backtest
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


def test_one_parameter_file_for_all_episodes(built_store: Store) -> None:
    params = backtest.load_parameters()
    for f in backtest.episode_files():
        raw = tomllib.loads(f.read_text(encoding="utf-8"))
        assert "response" not in raw and "prices" not in raw, f.name  # no per-episode tuning
        ep = backtest.load_episode(f, params)
        assert ep.spec.response.model_dump() == backtest.load_episode(f).spec.response.model_dump()


def test_a_parameter_that_differs_from_its_source_is_refused(
    built_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = backtest._read

    def tampered(file):  # type: ignore[no-untyped-def]
        raw = real(file)
        if file.name == "parameters.toml":
            raw["response"]["ramp"] = 0.05
        return raw

    monkeypatch.setattr(backtest, "_read", tampered)
    with pytest.raises(backtest.BacktestError, match=r"sources\.ramp"):
        backtest.load_parameters()
