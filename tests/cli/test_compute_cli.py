"""Where batches run: contradictory options and an unreachable scheduler end with one line and status 2."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.compute import executor

runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def article(tmp_path: Path) -> Path:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"text": "China bans gallium exports.", "url": "u"}) + "\n")
    return path


def test_unreachable_scheduler_is_one_line_and_exit_2(
    article: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(executor, "CONNECT_TIMEOUT", 1)
    address = f"tcp://127.0.0.1:{_free_port()}"
    result = runner.invoke(app, ["news", "extract", str(article), "--out", str(tmp_path / "o"), "--scheduler", address])  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: cannot reach the Dask scheduler at {address}: no answer within 1 s"
    ]


def test_scheduler_from_the_environment(
    article: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(executor, "CONNECT_TIMEOUT", 1)
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", f"tcp://127.0.0.1:{_free_port()}")
    result = runner.invoke(app, ["news", "extract", str(article), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "cannot reach the Dask scheduler" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--local-cluster", "2", "--processes", "2"], "give one of --local-cluster and --processes"),
        (["--local-cluster", "0"], "--local-cluster needs at least 1 worker"),
        (["--processes", "2", "--no-out"], "need --out DIR"),
    ],
)
def test_contradictory_options(article: Path, tmp_path: Path, args: list[str], message: str) -> None:
    out = [] if "--no-out" in args else ["--out", str(tmp_path / "o")]
    result = runner.invoke(
        app, ["news", "extract", str(article), *out, *[a for a in args if a != "--no-out"]]
    )
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_out_url_without_its_file_system_names_the_package(article: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("s3fs") is not None:
        pytest.skip("s3fs is installed here")
    result = runner.invoke(app, ["news", "extract", str(article), "--out", "s3://bucket/news"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: --out s3://bucket/news: the fsspec file system for s3:// is not installed; "
        "install s3fs (pip install s3fs)"
    ]
    unknown = runner.invoke(app, ["news", "extract", str(article), "--out", "nosuchfs://x"])
    assert unknown.exit_code == 2 and "fsspec knows no protocol 'nosuchfs'" in unknown.stderr
