"""The one execution layer: batches of independent work units run in this process, in a local process pool,
or on Dask (a ``LocalCluster`` started for the run, or an existing scheduler), with idempotent Parquet
partitions as their output. News archives (:mod:`critmin.events.archive`) and scenario sweeps
(:mod:`critmin.scenario.sweep`) run through it.
"""

from critmin.compute.executor import ComputeError, Target, dask_client, run_units
from critmin.compute.partitions import PartitionDir, PartitionError

__all__ = ["ComputeError", "PartitionDir", "PartitionError", "Target", "dask_client", "run_units"]
