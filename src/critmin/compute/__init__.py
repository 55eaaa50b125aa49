"""The one execution layer: batches of independent work units run in this process, in a local process pool,
or on Dask (a ``LocalCluster`` started for the run, or an existing scheduler), with idempotent Parquet
partitions (a local folder or any fsspec URL) as their output; on Dask every worker is checked to run the
same critmin and data as the client (:mod:`critmin.compute.environment`). News archives
(:mod:`critmin.events.archive`) and scenario sweeps (:mod:`critmin.scenario.sweep`) run through it.
"""

from critmin.compute.environment import WorkerMismatchError
from critmin.compute.executor import ComputeError, Target, dask_client, run_units
from critmin.compute.partitions import PartitionDir, PartitionError

__all__ = [
    "ComputeError",
    "PartitionDir",
    "PartitionError",
    "Target",
    "WorkerMismatchError",
    "dask_client",
    "run_units",
]
