"""Workers must run the same critmin and data as the client: checked on every worker before any unit is
submitted and again by each unit (workers that join later), with one message naming the worker and what
differs — on a loopback ``LocalCluster``."""

from __future__ import annotations

import functools
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from typer.testing import CliRunner

from critmin import __version__
from critmin.cli.main import app
from critmin.compute import Target, environment, run_units
from critmin.compute.environment import Checked, WorkerMismatchError, check_workers, installation
from critmin.events import archive
from critmin.scenario import sweep as sw
from critmin.store import Store

runner = CliRunner()
WORKER = r"worker tcp://127\.0\.0\.1:\d+"


def test_equal_workers_pass_and_units_run(cluster: Any) -> None:
    from distributed import Client

    with Client(cluster.scheduler_address, set_as_default=False) as client:
        check_workers(client, archive.environment, archive.environment())
    got = dict(
        run_units(
            divmod,
            [5, 7],
            17,
            Target(scheduler=cluster.scheduler_address),
            probe=archive.environment,
        )
    )
    assert got == {0: (3, 2), 1: (2, 3)}


def test_other_version_is_refused_before_any_unit(cluster: Any) -> None:
    client_side = {**installation(), "critmin": "0.0.0-other"}
    with pytest.raises(
        WorkerMismatchError, match=rf"^{WORKER} has critmin {__version__}, this client 0\.0\.0-other"
    ):
        list(run_units(divmod, [1], 1, Target(scheduler=cluster.scheduler_address), probe=installation, expected=client_side))  # fmt: skip


def test_each_unit_checks_its_worker(cluster: Any) -> None:
    """What a worker that joined after the first check meets: the unit carries the expected environment."""
    from distributed import Client

    wrong = {**installation(), "data package": "0123456789abcdef"}
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        good = client.submit(Checked(divmod, installation, installation()), 7, 5, pure=False)
        assert good.result() == (1, 2)
        bad = client.submit(Checked(divmod, installation, wrong), 7, 5, pure=False)
        with pytest.raises(WorkerMismatchError, match=rf"^{WORKER} has data package \w+, this client 0123456789abcdef"):  # fmt: skip
            bad.result()


def test_a_worker_that_cannot_answer_is_named(cluster: Any) -> None:
    from distributed import Client

    failing = cast(Callable[[], dict[str, str]], functools.partial(int, "not a number"))
    expected = rf"^{WORKER} cannot report .*ValueError.*other worker"
    with (
        Client(cluster.scheduler_address, set_as_default=False) as client,
        pytest.raises(WorkerMismatchError, match=expected),
    ):
        check_workers(client, failing, installation())


def test_the_command_stops_with_one_line_when_this_client_differs(
    cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client (not the workers) is changed: its probe answers another critmin version."""
    shard = tmp_path / "a.jsonl"
    shard.write_text(json.dumps({"text": "China bans gallium exports.", "url": "u"}) + "\n")
    monkeypatch.setattr(environment, "installation", lambda: {**installation(), "critmin": "9.9.9"})
    result = runner.invoke(app, ["news", "extract", str(shard), "--out", str(tmp_path / "o"), "--scheduler", cluster.scheduler_address])  # fmt: skip
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: worker tcp://127.0.0.1:")
    assert f"has critmin {__version__}, this client 9.9.9" in lines[0]
    assert not list((tmp_path / "o").glob("part-*"))


def test_a_worker_reading_another_store_is_refused(built_store: Store, tmp_path: Path) -> None:
    """A worker whose CRITMIN_DB holds other imports than the client's store fails the sweep's check."""
    from distributed import LocalCluster

    other = tmp_path / "other.duckdb"
    shutil.copy(built_store.path, other)
    with Store.open(other).connect(read_only=False) as con:
        con.execute("insert into imports values ('trade', 'mine.csv', 3, '2025-01-01T00:00:00+00:00')")
    assert sw.environment()["store"] != _store_fingerprint_of(other)
    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            env={"CRITMIN_DB": str(other)},
        ) as cluster,
        pytest.raises(WorkerMismatchError, match=rf"^{WORKER} has store \w+, this client \w+"),
    ):
        list(run_units(divmod, [1], 1, Target(scheduler=cluster.scheduler_address), probe=sw.environment))


def _store_fingerprint_of(path: Path) -> str:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CRITMIN_DB", str(path))
        return environment.store_fingerprint()
