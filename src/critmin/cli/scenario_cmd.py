"""``critmin scenario run SPEC``: run a restriction scenario and write its tables."""

from __future__ import annotations

from pathlib import Path

import typer

from critmin.cli.common import (
    OutputFormat,
    check_output_dir,
    emit,
    ensure_store,
    err_console,
    fail,
    progress_steps,
)

scenario_app = typer.Typer(help="Restriction scenarios: shortfalls by importer, stage, sector and price.")


@scenario_app.command("run")
def run(
    spec: Path | None = typer.Argument(
        None, help="Scenario file (TOML), e.g. examples/scenarios/*.toml; or give --from-event."
    ),
    from_event: str | None = typer.Option(
        None,
        "--from-event",
        help="Build the scenario from a registry measure (critmin events show ID) instead of a file.",
    ),
    draws: int = typer.Option(1000, "--draws", min=0, help="Monte Carlo draws (0: the median run only)."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed gives the same results."),
    out: Path = typer.Option(
        Path("out/scenario"), "--out", "-o", help="Folder for the Parquet and CSV tables and report.html."
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="How to print the summary."),
) -> None:
    """Run SPEC, write every table and the HTML report to --out and print the shortfall by importer at the
    restricted stage."""
    from critmin.report.scenario import build_report, write_report
    from critmin.scenario import Scenario

    check_output_dir(out, "--out")
    if (spec is None) == (from_event is None):
        raise fail("give either a scenario file SPEC or --from-event ID, not both or neither")
    if spec is not None:
        scenario = Scenario.from_toml(spec)
        ensure_store()
    else:
        from critmin.vocab import UnknownNameError

        ensure_store()
        try:
            scenario = Scenario.from_event(str(from_event))
        except UnknownNameError as exc:
            raise fail(str(exc).replace("unknown event", "unknown event id", 1)) from None
    with progress_steps("draws", max(draws, 1)) as step:
        done = [0]

        def advance(now: int, total: int) -> None:
            for _ in range(now - done[0]):
                step(f"{now}/{total}")
            done[0] = now

        result = scenario.run(draws=draws, seed=seed, progress=advance)
    paths = result.write(out)
    paths.append(write_report(build_report(result, scenario, paths), out / "report.html"))
    short = result.shortfall
    first = short.groupby("commodity")["stage"].transform("first")
    summary = (
        short[short["stage"] == first]
        .groupby(["commodity", "stage", "importer", "unit"], as_index=False)
        .agg(
            unserved=("unserved", "sum"),
            low=("unserved_p05", "sum"),
            high=("unserved_p95", "sum"),
            demand=("demand", "sum"),
        )
    )
    summary["share_pct"] = 100 * summary["unserved"] / summary["demand"]
    summary = summary.sort_values("unserved", ascending=False).reset_index(drop=True)
    summary["unit"] = summary["unit"].str.replace(" per month", "")
    emit(
        summary,
        fmt,
        title=f"{result.name}: unserved over {short['month'].nunique()} months",
        table_columns=["commodity", "importer", "unserved", "low", "high", "share_pct", "unit"],
    )
    if scenario.defaulted:
        keys = ", ".join(n["item"].split(".", 1)[1] for n in scenario.defaulted)
        err_console.print(
            f"documented defaults (data/scenario/parameters.toml; sources in notes.csv): {keys}",
            highlight=False,
            soft_wrap=False,
        )
    err_console.print(f"wrote {len(paths)} files to {out}")


def register(app: typer.Typer) -> None:
    """Add the ``scenario`` command group to the main app."""
    app.add_typer(scenario_app, name="scenario")
