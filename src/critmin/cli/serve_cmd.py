"""``critmin serve``: the REST API and the dashboard (uvicorn), on localhost unless told otherwise."""

from __future__ import annotations

import ipaddress
import os
import tempfile
from pathlib import Path

import typer

from critmin.cli.common import err_console, fail

TOKEN_ENV = "CRITMIN_WEB_TOKEN"


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_token(path: Path) -> str:
    """The bearer token from the first line of ``path`` (at least 16 characters)."""
    try:
        token = (
            path.read_text(encoding="utf-8").strip().splitlines()[0].strip() if path.stat().st_size else ""
        )
    except OSError as exc:
        raise fail(f"cannot read the token file: {exc.strerror}: {path}") from None
    if len(token) < 16:
        raise fail(f"the token in {path} is shorter than 16 characters; use a long random one")
    return token


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (default: loopback only)"),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port"),
    token_file: Path | None = typer.Option(
        None, "--token-file", dir_okay=False, help="file holding the bearer token that enables writes"
    ),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="worker processes"),
    max_draws: int = typer.Option(5000, "--max-draws", min=0, help="Monte Carlo draws of one scenario run"),
    max_jobs: int = typer.Option(4, "--max-jobs", min=1, help="scenario jobs queued or running per worker"),
) -> None:
    """Serve the REST API (/api, docs at /docs) and the dashboard (/) from the store."""
    import uvicorn

    from critmin.cli.common import ensure_store

    token = read_token(token_file) if token_file else None
    ensure_store()
    if token:
        os.environ[TOKEN_ENV] = (
            token  # the workers read it (not passed on the command line, so ps cannot see it)
        )
        err_console.print("writes enabled: they need the bearer token from the token file")
    else:
        os.environ.pop(TOKEN_ENV, None)
    if not token and is_loopback(host):
        err_console.print("writes disabled (no --token-file): the API and dashboard are read-only")
    elif not token:
        err_console.print(
            f"listening on {host}, not only on this machine, without a token: writes are refused; "
            "give --token-file to enable them"
        )
    err_console.print(f"dashboard: http://{host}:{port}/  API docs: http://{host}:{port}/docs")
    # the workers read the limits and share one directory of scenario jobs (removed when the server stops)
    os.environ["CRITMIN_WEB_MAX_DRAWS"] = str(max_draws)
    os.environ["CRITMIN_WEB_MAX_JOBS"] = str(max_jobs)
    with tempfile.TemporaryDirectory(prefix="critmin-jobs-") as jobs_dir:
        os.environ["CRITMIN_WEB_JOBS_DIR"] = jobs_dir
        uvicorn.run(
            "critmin.web.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            http="httptools",
            loop="auto",  # uvloop where installed (not on Windows), else asyncio
            log_level="warning",
            access_log=False,
        )


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``critmin`` command."""
    app.command("serve")(serve)
