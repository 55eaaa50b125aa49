"""Checking that Dask workers run the same critmin and data as the client, before and while units run.

A work unit is a pure function of its arguments only if every worker runs the same code on the same data: a
worker with another critmin, another embedded data package or (for work that reads it) a store with other
content would give other numbers silently. An *environment* is a few named facts — ``{"critmin": "0.4.0",
"data package": "3f1c…", "store": "9ab2…"}`` — computed by a *probe*, a module-level function without
arguments that runs on the client and on each worker.

:func:`check_workers` asks every worker the scheduler knows now (``Client.run``) before any unit is
submitted; :class:`Checked` wraps each unit with the expected environment, so a worker that joins later
fails its first unit with the same message instead of computing with other code or data. A worker whose
environment is verified remembers that, so the per-unit check costs one set lookup after the first unit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from critmin.compute.executor import ComputeError

#: a function without arguments giving an environment: named facts such as ``{"critmin": "0.4.0"}``
Probe = Callable[[], dict[str, str]]

C = TypeVar("C")
U = TypeVar("U")
R = TypeVar("R")


class WorkerMismatchError(ComputeError):
    """A worker runs another critmin, another data package or reads a store with other content."""


def installation() -> dict[str, str]:
    """critmin's version and the hash of the embedded data package (``datapackage.json``)."""
    from critmin import __version__
    from critmin.store import package_hash

    return {"critmin": __version__, "data package": package_hash()[:16]}


def store_fingerprint() -> str:
    """A short hash of what the store (``CRITMIN_DB``) holds, as its bookkeeping records it: the package hash
    it was built from, the import log (table, file names, rows, in order) and each table's rows and editions.

    Build and import times are left out, so two stores built from one package with the same files imported
    agree; it is not a hash of every row (cheap enough to run per unit, and the bookkeeping changes with
    every build and import).
    """
    from critmin.store import Store

    store = Store.open()
    imports = store.query("select table_name, origin, rows from imports order by imported_at, table_name")
    datasets = store.query("select name, rows, editions from datasets order by name")
    text = json.dumps(
        [
            store.meta().get("package_hash"),
            imports.astype(str).values.tolist(),
            datasets.astype(str).values.tolist(),
        ]
    )
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def differences(theirs: dict[str, str], ours: dict[str, str]) -> list[str]:
    """``"critmin 0.3.0, this client 0.4.0"`` for each fact that differs (a fact missing on one side too)."""
    return [
        f"{key} {theirs.get(key, 'unknown')}, this client {ours.get(key, 'unknown')}"
        for key in dict.fromkeys([*ours, *theirs])
        if theirs.get(key) != ours.get(key)
    ]


def mismatch(address: str, theirs: dict[str, str], ours: dict[str, str]) -> str | None:
    """The one-line message for a worker whose environment differs from the client's, or ``None``."""
    found = differences(theirs, ours)
    if not found:
        return None
    return f"worker {address} has {'; '.join(found)}"


#: the end of every mismatch message: what to do
ADVICE = "install the same critmin and data on every worker (see docs/scale.md)"


def check_workers(client: Any, probe: Probe, expected: dict[str, str]) -> None:
    """Run ``probe`` on every worker connected to ``client`` and compare with ``expected``.

    Raises :class:`WorkerMismatchError` naming the first worker that differs (or cannot run the probe, e.g.
    without critmin installed) and how many others do.
    """
    answers = client.run(probe, on_error="return")
    problems: list[str] = []
    for address, answer in sorted(answers.items()):
        if isinstance(answer, BaseException):
            reason = str(answer).splitlines()[0] if str(answer) else ""
            problems.append(
                f"worker {address} cannot report its critmin and data ({type(answer).__name__}: {reason})"
            )
            continue
        message = mismatch(address, answer, expected)
        if message:
            problems.append(message)
    if problems:
        more = f" (and {len(problems) - 1} other worker(s) differ)" if len(problems) > 1 else ""
        raise WorkerMismatchError(f"{problems[0]}{more}; {ADVICE}")


def _here() -> str:
    """The address of the Dask worker running this code, or ``this process`` outside a worker."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "this process"


#: environments this process has verified: (probe, expected) pairs
_VERIFIED: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Checked(Generic[C, U, R]):
    """A work unit ``fn(context, unit)`` that first checks the worker's environment against ``expected``.

    Pickled with every unit, so a worker that joined after :func:`check_workers` checks itself before its
    first unit; a mismatch raises :class:`WorkerMismatchError` with the worker's address.
    """

    fn: Callable[[C, U], R]
    probe: Probe
    expected: dict[str, str] = field(default_factory=dict)

    def __call__(self, context: C, unit: U) -> R:
        key = (
            f"{self.probe.__module__}.{self.probe.__qualname__}",
            json.dumps(self.expected, sort_keys=True),
        )
        if key not in _VERIFIED:
            message = mismatch(_here(), self.probe(), self.expected)
            if message:
                raise WorkerMismatchError(f"{message}; {ADVICE}")
            _VERIFIED.add(key)
        return self.fn(context, unit)
