"""Scenario sweeps: grids, seeds from the keys, the same table in-process and on a ``LocalCluster``, shared
networks equal to fresh ones, and a worker killed mid-sweep losing and doubling nothing."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.compute import PartitionDir, Target, run_units
from critmin.report.brief import Figure
from critmin.scenario import Scenario, ScenarioSpecError, parse_spec
from critmin.scenario import sweep as sw
from critmin.scenario.network import NetworkCache
from critmin.store import Store

runner = CliRunner()
SPEC = """
[scenario]
name = "test sweep"
start = "2025-01"
months = 6

[[restriction]]
issuer = "China"
commodity = "rare-earths"
stage = "refining"
targets = ["all"]
start = "2025-01"
duration = 6
severity = {dist = "uniform", low = 0.3, high = 0.7}

[response]
ramp = {dist = "uniform", low = 0.0, high = 0.1}
"""
GRID = """
issuer = ["China", "Myanmar"]
target = ["all", "USA"]
severity = [0.5, 1]
"response.spare_capacity" = [0.0, 0.2]
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, built_store: Store) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("sweep")
    (folder / "spec.toml").write_text(SPEC)
    (folder / "grid.toml").write_text(GRID)
    return folder / "spec.toml", folder / "grid.toml"


@pytest.fixture(scope="module")
def context(files: tuple[Path, Path]) -> sw.SweepContext:
    return sw.SweepContext(parse_spec(SPEC), sw.load_grid(files[1]), 50, 7)


def _run(context: sw.SweepContext, target: Target, size: int = 4) -> pd.DataFrame:
    units = sw.batches(len(context.grid.points()), size)
    results = dict(run_units(sw.run_unit, units, context, target))
    return pd.concat([results[i].rows for i in range(len(units))], ignore_index=True)


def test_grid_points_seeds_and_errors(files: tuple[Path, Path], tmp_path: Path) -> None:
    grid = sw.load_grid(files[1])
    points = grid.points()
    assert len(points) == 16 and points[1] == {"issuer": "China", "target": "all", "severity": 0.5, "response.spare_capacity": 0.2}  # fmt: skip
    assert grid.column("severity", 1) == 1.0
    spec = sw.apply(parse_spec(SPEC), points[1])
    assert spec.restriction[0].targets == ["all"] and spec.response.spare_capacity == 0.2
    assert sw.point_seed(points[1], 7) == sw.point_seed(dict(reversed(points[1].items())), 7)
    assert sw.point_seed(points[1], 7) != sw.point_seed(points[1], 8)
    (tmp_path / "bad.toml").write_text("colour = ['red']\n")
    with pytest.raises(ScenarioSpecError, match="colour: unknown key"):
        sw.load_grid(tmp_path / "bad.toml")
    with pytest.raises(ScenarioSpecError, match="severity"):
        sw.apply(parse_spec(SPEC), {"severity": 2.0})


def test_shared_networks_give_the_results_of_fresh_ones(context: sw.SweepContext) -> None:
    point = context.grid.points()[3]
    seed = sw.point_seed(point, context.seed)
    fresh = Scenario(sw.apply(context.spec, point)).run(draws=context.draws, seed=seed)
    networks = NetworkCache()
    Scenario(sw.apply(context.spec, context.grid.points()[2]), networks=networks).run(draws=0)  # fills it
    shared = Scenario(sw.apply(context.spec, point), networks=networks).run(draws=context.draws, seed=seed)
    for name, frame in fresh.tables().items():
        pd.testing.assert_frame_equal(frame, shared.tables()[name])


def test_local_and_cluster_sweeps_are_equal(context: sw.SweepContext, cluster: Any) -> None:
    local = _run(context, Target())
    assert set(local["point"]) == {p for p, pt in enumerate(context.grid.points()) if pt["issuer"] == "China"}
    assert {"importer", "sector"} == set(local["kind"])
    pd.testing.assert_frame_equal(local, _run(context, Target(scheduler=cluster.scheduler_address), size=3))


def test_command_writes_the_table_and_ranking(files: tuple[Path, Path], cluster: Any, tmp_path: Path) -> None:
    args = ["scenario", "sweep", str(files[0]), "--grid", str(files[1]), "--draws", "50", "--seed", "7"]
    local = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    assert local.exit_code == 0, local.output
    assert "ran 8 of 16 combinations" in local.stderr and "issuer MMR has no output" in local.stderr
    remote = runner.invoke(
        app, [*args, "--out", str(tmp_path / "b"), "--scheduler", cluster.scheduler_address]
    )
    assert remote.exit_code == 0, remote.output
    a, b = (pd.read_parquet(tmp_path / d / "sweep.parquet") for d in ("a", "b"))
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns[:5]) == ["point", "issuer", "target", "severity", "response.spare_capacity"]
    html = (tmp_path / "a" / "ranking.html").read_text()
    assert "Who is most exposed to which measure" in html and "https://" not in html.split("<script")[0]
    assert len(pd.read_csv(tmp_path / "a" / "skipped.csv")) == 8


def test_ranking_chart_is_valid_vega_lite(context: sw.SweepContext) -> None:
    from critmin.report.sweep import build_ranking

    frame = _run(context, Target())
    ranking = build_ranking(
        frame, context.grid, context.spec, 50, 7, pd.DataFrame(columns=["combination", "reason"])
    )
    assert [f.name for f in ranking.figures] == ["importers"]
    for figure in ranking.figures:
        assert isinstance(figure, Figure) and figure.spec(validate=True)["mark"]["type"] == "rect"


def test_a_killed_worker_loses_and_doubles_nothing(
    context: sw.SweepContext, cluster: Any, tmp_path: Path
) -> None:
    from distributed import Client

    expected = _run(context, Target())
    units = sw.batches(len(context.grid.points()), 1)
    parts = PartitionDir(tmp_path, sw.fingerprint(context), len(units))
    parts.prepare({})
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        pids = list(client.run(os.getpid).values())
        killed = False
        for i, result in run_units(sw.run_unit, units, context, Target(scheduler=cluster.scheduler_address)):
            parts.write(i, pa.Table.from_pandas(result.rows, preserve_index=False))
            if not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed = True
        client.wait_for_workers(2, timeout=30)
        assert pids[0] not in client.run(os.getpid).values()  # the nanny replaced the killed worker
    tables = [pq.read_table(parts.path(i)) for i in range(len(units))]
    got = pd.concat([t.to_pandas() for t in tables if t.num_rows], ignore_index=True)
    assert not got.duplicated(["point", "kind", "exposed"]).any()
    pd.testing.assert_frame_equal(got, expected)


def test_command_writes_to_an_fsspec_url(files: tuple[Path, Path], tmp_path: Path) -> None:
    """``--out memory://…``: the table, skipped.csv and the ranking next to it, and a rerun that skips the
    complete partitions — the same table as a local folder."""
    import uuid

    import fsspec

    args = ["scenario", "sweep", str(files[0]), "--grid", str(files[1]), "--draws", "20", "--seed", "3"]
    url = f"memory://critmin-test-{uuid.uuid4().hex[:8]}/sweep/"
    first = runner.invoke(app, [*args, "--out", url])
    assert first.exit_code == 0, first.output
    assert f"wrote {url.rstrip('/')}/sweep.parquet" in first.stderr
    fs, root = fsspec.core.url_to_fs(url)
    assert {p.rsplit("/", 1)[1] for p in fs.ls(root, detail=False)} == {"parts", "sweep.parquet", "skipped.csv", "ranking.html"}  # fmt: skip
    assert b"Who is most exposed to which measure" in fs.cat_file(f"{root}/ranking.html")
    again = runner.invoke(app, [*args, "--out", url])
    assert again.exit_code == 0 and "partition(s) already complete" in again.stderr
    local = runner.invoke(app, [*args, "--out", (tmp_path / "local").as_uri()])
    assert local.exit_code == 0, local.output
    with fs.open(f"{root}/sweep.parquet", "rb") as handle:
        pd.testing.assert_frame_equal(pd.read_parquet(handle), pd.read_parquet(tmp_path / "local" / "sweep.parquet"))  # fmt: skip
    fs.rm(root, recursive=True)


def test_a_grid_over_commodities_and_targets_ranks_single_target_bans(files: tuple[Path, Path]) -> None:
    """``commodity`` is a grid key and a result column: it appears once; the base spec's price series is
    dropped for other commodities; a ban on one target leaves that target short."""
    base = parse_spec(
        SPEC.replace("[response]", '[prices]\nform = "dysprosium oxide 99.5% min"\n\n[response]')
    )
    grid_file = files[1].parent / "commodities.toml"
    grid_file.write_text(
        'commodity = ["rare-earths", "gallium"]\ntarget = ["all", "USA"]\nseverity = [1.0]\n'
    )
    context = sw.SweepContext(base, sw.load_grid(grid_file), 20, 3)
    result = sw.run_unit(context, list(range(len(context.grid.points()))))
    rows = result.rows
    assert list(rows.columns).count("commodity") == 1
    assert not result.skipped, result.skipped
    assert set(rows["commodity"]) == {"rare-earths", "gallium"}
    usa = rows[
        (rows["target"] == "USA") & (rows["kind"] == "importer") & (rows["commodity"] == "rare-earths")
    ]
    assert usa.loc[usa["exposed"] == "USA", "unserved"].iloc[0] > 0
    assert (usa.loc[usa["exposed"] != "USA", "unserved"] == 0).all()
