"""``critmin backtest``: the scenario model on past export restrictions, predicted against observed."""

from __future__ import annotations

import typer

from critmin.cli.common import OutputFormat, emit, ensure_store, err_console


def backtest(
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json."),
    draws: int = typer.Option(1000, "--draws", min=1, help="Monte Carlo draws for the 5-95 % bands."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed gives the same results."),
) -> None:
    """Run every backtest episode with the one documented parameter set and print observed, predicted
    (median parameters), the 5-95 % band, the ratio predicted/observed and the sources. JSON: one record
    per metric with episode, metric, observed, predicted, low, high, unit, source."""
    from critmin.scenario.backtest import COLUMNS, FACTOR, counts, run_backtests

    ensure_store()
    table = run_backtests(draws=draws, seed=seed)
    if fmt is OutputFormat.json:
        emit(table, fmt, columns=list(COLUMNS))
        return
    if fmt is OutputFormat.csv:
        emit(table, fmt, columns=[*COLUMNS, "ratio", "note"])
        return
    emit(
        table,
        fmt,
        title=f"Backtests: predicted (median parameters) vs observed; {draws} draws, seed {seed}",
        table_columns=["episode", "metric", "observed", "predicted", "low", "high", "ratio"],
    )
    hits, inside, missing = counts(table)
    err_console.print(
        f"{hits} of {len(table)} metrics within a factor of {FACTOR:g}; {inside} observed values inside "
        f"the 5-95 % band; {missing} without a prediction"
    )
    for episode, metric, note in zip(table["episode"], table["metric"], table["note"], strict=True):
        err_console.print(f"{episode} {metric}: {note}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``backtest`` to the main app."""
    app.command("backtest")(backtest)
