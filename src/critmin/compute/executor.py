"""Running a batch of independent work units in this process, in a local process pool, or on Dask.

A work unit is a call ``fn(context, unit)`` of a module-level (picklable) function that depends only on its
arguments; ``context`` is what every unit shares (a base spec, a store-derived table). It is sent once per
worker — ``Client.scatter(..., broadcast=True)`` on Dask, the pool initializer in a process pool — never once
per unit. :func:`run_units` yields ``(index, result)`` as units finish, in any order; the caller writes them
(see :mod:`critmin.compute.partitions`) and puts them in unit order, so the answer never depends on where or
in which order the units ran.

On Dask every unit is one task with a key derived from its index, so a result arrives once even when a worker
dies and the scheduler runs the task again elsewhere; a unit that raises is retried ``retries`` times. Given a
``probe`` (:mod:`critmin.compute.environment`), every worker is checked to run the same critmin and data as
the client before any unit is submitted, and each unit checks its worker again (workers that join later).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

#: environment variable Dask itself reads for the scheduler's address (used when ``--scheduler`` is not given)
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
#: seconds to wait for a scheduler before giving up with :class:`ComputeError`
CONNECT_TIMEOUT = 5
#: retries of a unit that raised (a worker that died does not count against these: Dask reschedules it)
RETRIES = 2

C = TypeVar("C")
U = TypeVar("U")
R = TypeVar("R")


class ComputeError(RuntimeError):
    """The batch could not run: a scheduler that cannot be reached, a cluster that could not start."""


@dataclass(frozen=True)
class Target:
    """Where a batch runs: in this process (the default), ``processes`` local processes, a ``LocalCluster``
    of ``local_cluster`` workers started for the run, or the Dask scheduler at ``scheduler``."""

    processes: int = 1
    local_cluster: int | None = None
    scheduler: str | None = None

    @classmethod
    def from_options(
        cls, scheduler: str | None = None, local_cluster: int | None = None, processes: int | None = None
    ) -> Target:
        """The target of the command-line options; ``DASK_SCHEDULER_ADDRESS`` stands in for ``--scheduler``
        when no other option is given. Raises :class:`ComputeError` if more than one is given."""
        given = [
            name
            for name, value in (
                ("--scheduler", scheduler),
                ("--local-cluster", local_cluster),
                ("--processes", processes),
            )
            if value is not None
        ]
        if len(given) > 1:
            raise ComputeError(f"give one of {' and '.join(given)}, not both")
        if local_cluster is not None and local_cluster < 1:
            raise ComputeError(f"--local-cluster needs at least 1 worker, got {local_cluster}")
        if processes is not None and processes < 1:
            raise ComputeError(f"--processes needs at least 1 process, got {processes}")
        if not given and os.environ.get(SCHEDULER_ENV):
            scheduler = os.environ[SCHEDULER_ENV]
        return cls(processes=processes or 1, local_cluster=local_cluster, scheduler=scheduler)

    @property
    def uses_dask(self) -> bool:
        """Whether the batch runs on a Dask cluster."""
        return self.scheduler is not None or self.local_cluster is not None

    def describe(self) -> str:
        """A few words for progress and summary lines."""
        if self.scheduler is not None:
            return f"Dask scheduler {self.scheduler}"
        if self.local_cluster is not None:
            return f"local Dask cluster of {self.local_cluster} worker(s)"
        return "this process" if self.processes == 1 else f"{self.processes} local processes"


def run_units(
    fn: Callable[[C, U], R],
    units: Sequence[U],
    context: C,
    target: Target,
    *,
    name: str = "unit",
    retries: int = RETRIES,
    progress: Callable[[int, int], None] | None = None,
    probe: Callable[[], dict[str, str]] | None = None,
    expected: dict[str, str] | None = None,
) -> Iterator[tuple[int, R]]:
    """``(i, fn(context, units[i]))`` for every unit, as each finishes (order not guaranteed).

    ``progress(done, total)`` is called after each unit. ``name`` prefixes the Dask task keys. On Dask,
    ``probe`` names what workers must share with the client (critmin's version, data hashes): each worker's
    answer must equal ``expected`` (default: ``probe()`` here), checked on every worker before any unit is
    submitted and again by each unit, else :class:`~critmin.compute.environment.WorkerMismatchError` (a
    :class:`ComputeError`) names the worker and what differs. In this process and in a local pool the code
    and data are this installation's, so nothing is checked.
    """
    total = len(units)
    if not total:
        return
    if target.uses_dask:
        results: Iterator[tuple[int, R]] = _on_dask(
            fn, units, context, target, name, retries, probe, expected
        )
    elif target.processes > 1:
        results = _in_pool(fn, units, context, target.processes)
    else:
        results = ((i, fn(context, u)) for i, u in enumerate(units))
    for done, item in enumerate(results, 1):
        yield item
        if progress is not None:
            progress(done, total)


# --- process pool -----------------------------------------------------------------------------------

_POOL_CONTEXT: Any = None


def _set_pool_context(context: Any) -> None:
    """Pool initializer: keep the shared context in the worker process (sent once per process)."""
    global _POOL_CONTEXT
    _POOL_CONTEXT = context


def _call_with_pool_context(fn: Callable[[Any, Any], Any], unit: Any) -> Any:
    return fn(_POOL_CONTEXT, unit)


def _in_pool(
    fn: Callable[[C, U], R], units: Sequence[U], context: C, processes: int
) -> Iterator[tuple[int, R]]:
    import multiprocessing

    # spawn, not fork: the parent may hold DuckDB connections and threads that a forked child must not inherit
    with ProcessPoolExecutor(
        processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_set_pool_context,
        initargs=(context,),
    ) as pool:
        futures = {pool.submit(_call_with_pool_context, fn, u): i for i, u in enumerate(units)}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()


# --- Dask ---------------------------------------------------------------------------------------------


@contextmanager
def dask_client(target: Target) -> Iterator[Any]:
    """A ``distributed.Client`` for ``target``, closed on exit with the ``LocalCluster`` (on 127.0.0.1) it
    started, if any. Raises :class:`ComputeError` with one line if the scheduler cannot be reached within
    :data:`CONNECT_TIMEOUT` seconds."""
    from distributed import Client, LocalCluster

    if target.local_cluster is not None:
        try:
            cluster = LocalCluster(
                n_workers=target.local_cluster,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",  # loopback, any free port: never a clash with 8787
            )
        except Exception as exc:
            raise ComputeError(f"could not start a local Dask cluster: {exc}") from None
        with cluster, Client(cluster, set_as_default=False) as client:
            yield client
        return
    address = target.scheduler or ""
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "timed out" in reason.lower() or isinstance(exc, TimeoutError):
            reason = f"no answer within {CONNECT_TIMEOUT} s"
        raise ComputeError(f"cannot reach the Dask scheduler at {address}: {reason}") from None
    with client:
        yield client


def _on_dask(
    fn: Callable[[C, U], R],
    units: Sequence[U],
    context: C,
    target: Target,
    name: str,
    retries: int,
    probe: Callable[[], dict[str, str]] | None,
    expected: dict[str, str] | None,
) -> Iterator[tuple[int, R]]:
    from distributed import as_completed as dask_completed

    from critmin.compute.environment import Checked, check_workers

    with dask_client(target) as client:
        if probe is not None:
            want = probe() if expected is None else expected
            check_workers(client, probe, want)
            fn = Checked(fn, probe, want)
        shared = client.scatter(context, broadcast=True, hash=False)
        run = uuid.uuid4().hex[:12]  # one key per unit and run: a rerun task delivers its result once
        futures = [
            client.submit(fn, shared, unit, key=f"{name}-{run}-{i}", retries=retries, pure=False)
            for i, unit in enumerate(units)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        for future, result in dask_completed(futures, with_results=True, loop=client.loop):
            yield index[future.key], result
