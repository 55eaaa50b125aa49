"""Options and progress shared by the commands that run batches through :mod:`critmin.compute`.

``--scheduler tcp://HOST:PORT`` (or ``DASK_SCHEDULER_ADDRESS``), ``--local-cluster N`` or ``--processes N``
choose where the work units run; without any, they run in this process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from critmin.cli.common import check_output_dir, fail, progress_bar
from critmin.compute import ComputeError, Target

__all__ = [
    "LOCAL_CLUSTER",
    "PROCESSES",
    "SCHEDULER",
    "Target",
    "check_output",
    "compute_progress",
    "target_from_options",
]

SCHEDULER = typer.Option(
    None,
    "--scheduler",
    metavar="ADDRESS",
    help="Run on the Dask scheduler at ADDRESS (tcp://HOST:PORT; default: $DASK_SCHEDULER_ADDRESS).",
)
LOCAL_CLUSTER = typer.Option(
    None, "--local-cluster", metavar="N", help="Run on a Dask LocalCluster of N workers started for this run."
)
PROCESSES = typer.Option(None, "--processes", metavar="N", help="Run in N local processes (no Dask).")


def target_from_options(scheduler: str | None, local_cluster: int | None, processes: int | None) -> Target:
    """The :class:`Target` of the options; contradictory options end the command with one line."""
    try:
        return Target.from_options(scheduler, local_cluster, processes)
    except ComputeError as exc:
        raise fail(str(exc)) from None


def check_output(out: str, option: str = "--out") -> tuple[Any, str]:
    """The fsspec file system and path of an output folder given as a path or URL (``memory://``,
    ``file://``, ``s3://…``), checked before any work: a local one must be a directory we may write in; a URL
    needs its protocol's fsspec package (the error names it)."""
    from critmin.compute.partitions import PartitionError, is_local, output_fs

    try:
        fs, root = output_fs(out)
    except PartitionError as exc:
        raise fail(f"{option} {exc}") from None
    if is_local(fs):
        check_output_dir(Path(out) if "://" not in out else Path(root), option)  # named as the user gave it
    return fs, root


@contextmanager
def compute_progress(description: str, total: int, target: Target) -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar on stderr fed with ``(done, total)`` as units finish (on Dask too: the results
    come back through ``as_completed``). A :class:`ComputeError` inside (a scheduler that cannot be
    reached) ends the command with one ``error:`` line and status 2."""
    try:
        with progress_bar() as bar:
            task = bar.add_task(f"{description} ({target.describe()})", total=total)

            def advance(done: int, _total: int) -> None:
                bar.update(task, completed=done)

            yield advance
    except ComputeError as exc:
        raise fail(str(exc)) from None
