"""``critmin scenario sweep SPEC --grid GRID.toml``: every combination of a grid run as independent units
(in this process, in local processes or on Dask), one Parquet table of results and an HTML ranking."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from critmin.cli.common import err_console, fail
from critmin.cli.compute_options import (
    LOCAL_CLUSTER,
    PROCESSES,
    SCHEDULER,
    check_output,
    compute_progress,
    target_from_options,
)
from critmin.cli.scenario_cmd import scenario_app

#: skipped combinations named one by one on stderr; the rest are in DIR/skipped.csv
SHOWN_SKIPS = 5
#: Parquet metadata key of a partition: the combinations its unit skipped, as JSON [[point, reason], …]
SKIPPED_KEY = b"critmin.skipped"


@scenario_app.command("sweep")
def sweep(
    spec: Path = typer.Argument(..., help="Base scenario file (TOML) with one restriction table."),
    grid: Path = typer.Option(..., "--grid", help="TOML of keys → lists of values (issuer, severity, …)."),
    draws: int = typer.Option(200, "--draws", min=0, help="Monte Carlo draws per combination."),
    seed: int = typer.Option(0, "--seed", help="Mixed with each combination's keys into its seed."),
    out: str = typer.Option(
        "out/sweep",
        "--out",
        "-o",
        metavar="DIR",
        help="Folder or fsspec URL (file://, memory://, s3://…) for sweep.parquet and ranking.html.",
    ),
    scheduler: str | None = SCHEDULER,
    local_cluster: int | None = LOCAL_CLUSTER,
    processes: int | None = PROCESSES,
) -> None:
    """Run every combination of --grid applied to SPEC; write DIR/sweep.parquet (one row per combination and
    exposed importer or sector, with the grid's keys) and DIR/ranking.html. A rerun into the same folder
    skips the partitions (DIR/parts) already complete."""
    import tempfile

    import pandas as pd
    import pyarrow as pa

    from critmin.cli.common import ensure_store
    from critmin.compute import PartitionDir, PartitionError, run_units
    from critmin.compute.partitions import write_bytes
    from critmin.report.sweep import build_ranking, write_ranking
    from critmin.scenario import load_spec
    from critmin.scenario import sweep as sw

    target = target_from_options(scheduler, local_cluster, processes)
    fs, root = check_output(out)
    where = out.rstrip("/") or out
    base = load_spec(spec)
    the_grid = sw.load_grid(grid)
    points = the_grid.points()
    for point in points:  # every combination is a valid spec before anything runs
        sw.apply(base, point, str(grid))
    ensure_store()
    context = sw.SweepContext(base, the_grid, draws, seed)
    units = sw.batches(len(points))
    parts = PartitionDir(f"{where}/parts", sw.fingerprint(context), len(units))
    try:
        parts.prepare({"command": "critmin scenario sweep", "spec": str(spec), "grid": str(grid)})
    except PartitionError as exc:
        raise fail(str(exc)) from None
    todo = parts.missing()
    with compute_progress(f"{len(points)} combinations", len(todo), target) as advance:
        for i, result in run_units(
            sw.run_unit,
            [units[j] for j in todo],
            context,
            target,
            name="scenario-sweep",
            progress=advance,
            probe=sw.environment,
        ):
            table = pa.Table.from_pandas(result.rows, preserve_index=False)
            skipped = json.dumps(result.skipped).encode()
            parts.write(todo[i], table.replace_schema_metadata({SKIPPED_KEY: skipped}))
    tables = [parts.read_partition(i) for i in range(len(units))]
    skipped_rows = [
        (int(p), str(r)) for t in tables for p, r in json.loads((t.schema.metadata or {})[SKIPPED_KEY])
    ]
    results = pa.concat_tables(
        [t.replace_schema_metadata(None) for t in tables], promote_options="permissive"
    )
    frame = results.to_pandas()
    if frame.empty:
        raise fail(f"none of the {len(points)} combinations could run; first: {skipped_rows[0][1]}")
    # each file is stored whole (see critmin.compute.partitions.write_bytes), next to the others
    write_bytes(fs, f"{root}/sweep.parquet", frame.to_parquet(index=False))
    skipped_frame = pd.DataFrame(skipped_rows, columns=["point", "reason"])
    skipped_frame.insert(1, "combination", [sw.label(points[p]) for p in skipped_frame["point"]])
    write_bytes(fs, f"{root}/skipped.csv", skipped_frame.to_csv(index=False).encode("utf-8"))
    with tempfile.TemporaryDirectory(prefix="critmin-sweep-") as tmp:
        html = write_ranking(
            build_ranking(frame, the_grid, base, draws, seed, skipped_frame), Path(tmp) / "ranking.html"
        )
        write_bytes(fs, f"{root}/ranking.html", html.read_bytes())
    page = f"{where}/ranking.html"
    again = f"; {len(units) - len(todo)} partition(s) already complete" if len(todo) < len(units) else ""
    err_console.print(
        f"ran {len(points) - len(skipped_rows)} of {len(points)} combinations on {target.describe()}{again};"
        f" wrote {where}/sweep.parquet ({len(frame):,} rows) and {page}",
        markup=False,
        highlight=False,
    )
    for index, reason in skipped_rows[:SHOWN_SKIPS]:
        err_console.print(f"skipped {sw.label(points[index])}: {reason}", markup=False, highlight=False)
    if len(skipped_rows) > SHOWN_SKIPS:
        err_console.print(f"… and {len(skipped_rows) - SHOWN_SKIPS} more in {where}/skipped.csv")


def register(app: typer.Typer) -> None:
    """The ``sweep`` command lives in the ``scenario`` group (added by :mod:`critmin.cli.scenario_cmd`)."""
