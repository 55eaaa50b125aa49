"""Scenario runs over the API: ``POST /api/scenarios`` queues a run of :class:`critmin.scenario.Scenario` in a
small thread pool and answers a job id; ``GET /api/scenarios/{id}`` gives its status and, once done, its tables.

Jobs live in a directory (``$CRITMIN_WEB_JOBS_DIR``, which ``critmin serve`` creates for its workers, else a
temporary one per application): a status file per job and the result tables as Parquet, so every worker process
answers for every job. Limits, from the environment (``critmin serve --max-draws/--max-jobs`` set them):
``CRITMIN_WEB_MAX_DRAWS`` (Monte Carlo draws of one run, default 5000), ``CRITMIN_WEB_MAX_JOBS`` (jobs queued or
running in one worker, default 4) and ``CRITMIN_WEB_SCENARIO_THREADS`` (runs at a time per worker, default 1).
"""

from __future__ import annotations

import os
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from critmin.cli.common import records
from critmin.scenario.spec import Spec
from critmin.web.api import ERRORS, ErrorBody, Format, table

router = APIRouter(prefix="/api/scenarios", tags=["scenarios"])

#: the result tables of a run (:data:`critmin.scenario.TABLES`)
Table = Literal["shortfall", "sectors", "volumes", "prices", "flows", "notes"]


def _limit(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() else default


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class JobError(BaseModel):
    """Why a job failed: a machine code and a message."""

    code: str = Field(description="invalid_spec, unknown_name, no_data or internal_error")
    message: str


class Job(BaseModel):
    """A scenario run: its state, timing and, when done, the names of its tables."""

    id: str
    status: Literal["queued", "running", "done", "failed"]
    name: str
    draws: int
    seed: int
    submitted: str
    started: str | None = None
    finished: str | None = None
    progress: float = Field(default=0.0, description="share of the Monte Carlo draws done (0–1)")
    error: JobError | None = None
    tables: list[str] = Field(default_factory=list, description="result tables: GET …/{id}/{table}")


class JobResult(Job):
    """A job with its result tables inline (JSON records) once it is done."""

    results: dict[str, list[dict[str, Any]]] | None = None


class Jobs:
    """Scenario jobs of one worker process: a bounded thread pool writing to a shared jobs directory."""

    def __init__(self, directory: Path | None = None) -> None:
        env = os.environ.get("CRITMIN_WEB_JOBS_DIR")
        self._tmp = None if directory or env else tempfile.TemporaryDirectory(prefix="critmin-jobs-")
        self.dir = Path(directory or env or (self._tmp.name if self._tmp else "."))
        self.max_draws = _limit("CRITMIN_WEB_MAX_DRAWS", 5000)
        self.max_jobs = max(1, _limit("CRITMIN_WEB_MAX_JOBS", 4))
        self.pool = ThreadPoolExecutor(max(1, _limit("CRITMIN_WEB_SCENARIO_THREADS", 1)), "critmin-scenario")
        self.active = 0
        self.lock = threading.Lock()

    def _path(self, job_id: str) -> Path:
        return self.dir / job_id

    def save(self, job: Job) -> None:
        """Write the job's status file (atomically: readers in other workers never see half of it)."""
        folder = self._path(job.id)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / "status.json.tmp"
        tmp.write_text(job.model_dump_json(), encoding="utf-8")
        os.replace(tmp, folder / "status.json")

    def get(self, job_id: str) -> Job:
        """The job's status; 404 ``not_found`` for an id no worker of this server issued."""
        path = self._path(job_id) / "status.json"
        if not (len(job_id) == 32 and job_id.isalnum() and path.exists()):
            raise StarletteHTTPException(404, f"no scenario job {job_id!r} on this server")
        return Job.model_validate_json(path.read_text(encoding="utf-8"))

    def table(self, job_id: str, name: str) -> pd.DataFrame:
        """One result table of a finished job."""
        return pd.read_parquet(self._path(job_id) / f"{name}.parquet")

    def submit(self, spec: Spec, draws: int, seed: int) -> Job:
        """Queue a run; 429 ``too_many_jobs`` when this worker already has ``max_jobs`` queued or running."""
        with self.lock:
            if self.active >= self.max_jobs:
                raise StarletteHTTPException(
                    429,
                    f"{self.active} scenario jobs are queued or running (the limit is {self.max_jobs}); "
                    "try again when one has finished",
                    headers={"Retry-After": "5"},
                )
            self.active += 1
        job = Job(
            id=uuid.uuid4().hex,
            status="queued",
            name=spec.scenario.name,
            draws=draws,
            seed=seed,
            submitted=_now(),
        )
        self.save(job)
        self.pool.submit(self._run, job, spec)
        return job

    def _run(self, job: Job, spec: Spec) -> None:
        from critmin.events.model import RegistryError
        from critmin.query import NoDataError
        from critmin.scenario import Scenario, ScenarioSpecError
        from critmin.vocab import UnknownNameError

        job.status, job.started = "running", _now()
        self.save(job)

        def progress(done: int, total: int) -> None:
            job.progress = done / total if total else 1.0
            self.save(job)

        try:
            result = Scenario(spec).run(draws=job.draws, seed=job.seed, progress=progress)
            for name, frame in result.tables().items():
                frame.to_parquet(self._path(job.id) / f"{name}.parquet", index=False)
            job.status, job.progress, job.tables = "done", 1.0, list(result.tables())
        except (ScenarioSpecError, RegistryError) as exc:
            job.status, job.error = "failed", JobError(code="invalid_spec", message=str(exc))
        except UnknownNameError as exc:
            job.status, job.error = "failed", JobError(code="unknown_name", message=str(exc))
        except NoDataError as exc:
            job.status, job.error = "failed", JobError(code="no_data", message=str(exc))
        except Exception as exc:  # the job reports it; the server goes on
            message = f"internal error ({type(exc).__name__}: {exc}); please report it"
            job.status, job.error = "failed", JobError(code="internal_error", message=message)
        finally:
            job.finished = _now()
            self.save(job)
            with self.lock:
                self.active -= 1


def jobs(request: Request) -> Jobs:
    """The application's jobs (created on first use)."""
    state = request.app.state
    if getattr(state, "jobs", None) is None:
        state.jobs = Jobs()
    found: Jobs = state.jobs
    return found


@router.post(
    "",
    status_code=202,
    response_model=Job,
    responses={
        400: {"model": ErrorBody, "description": "the body is not JSON"},
        422: ERRORS[422] | {"description": "the spec is invalid (names the field) or draws exceed the limit"},
        429: {"description": "too many jobs queued or running; retry later"},
    },
)
def run_scenario(
    request: Request,
    response: Response,
    spec: Spec,
    draws: Annotated[
        int, Query(ge=0, description="Monte Carlo draws (0: the median-parameter run only)")
    ] = 200,
    seed: Annotated[int, Query(ge=0, le=2**32 - 1, description="random seed (same seed, same result)")] = 0,
) -> Job | JSONResponse:
    """Run a scenario (the JSON form of the TOML scenario file) in the background; poll the returned job."""
    from critmin.web.app import error_body

    pool = jobs(request)
    if draws > pool.max_draws:
        message = f"draws: at most {pool.max_draws} on this server, got {draws}"
        return JSONResponse(error_body("invalid_parameter", message, field="draws"), status_code=422)
    job = pool.submit(spec, draws, seed)
    response.headers["Location"] = f"/api/scenarios/{job.id}"
    return job


@router.get("/{job_id}", response_model=JobResult, responses={404: ERRORS[404]})
def scenario_job(request: Request, job_id: str) -> JobResult:
    """A job's status; once done, its result tables as JSON records (``…/{id}/{table}`` for one, or CSV)."""
    pool = jobs(request)
    job = pool.get(job_id)
    results = None
    if job.status == "done":
        results = {name: records(pool.table(job_id, name)) for name in job.tables}
    return JobResult(**job.model_dump(), results=results)


@router.get(
    "/{job_id}/{table_name}",
    responses={
        200: {
            "description": "JSON array of records, or CSV with ?format=csv",
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        404: ERRORS[404],
        409: {"description": "the job has not finished, or failed"},
    },
)
def scenario_table(request: Request, job_id: str, table_name: Table, fmt: Format = "json") -> Response:
    """One result table of a finished job."""
    pool = jobs(request)
    job = pool.get(job_id)
    if job.status != "done":
        why = f": {job.error.message}" if job.error else ""
        raise StarletteHTTPException(409, f"job {job_id} is {job.status}{why}")
    return table(pool.table(job_id, table_name), fmt, f"scenario-{job_id[:8]}-{table_name}")
