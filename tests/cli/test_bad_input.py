"""Bad input never passes as an answer and never shows a traceback: one ``error:`` line on stderr, exit 2."""

from __future__ import annotations

import os
import string
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from critmin import vocab
from critmin.cli.main import DEBUG_ENV, app
from critmin.store import Store

runner = CliRunner()


def _assert_one_error_line(result: Result, *expected: str, after_warnings: bool = False) -> str:
    """The run failed with exit 2 and one line on stderr, ``error: …`` containing ``expected`` (after the
    ``warning:`` lines of work already done, if ``after_warnings``)."""
    stderr = result.stderr
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in stderr.splitlines() if line.strip()]
    if after_warnings:
        assert all(line.startswith("warning: ") for line in lines[:-1]), stderr
        lines = lines[-1:]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ") and "Traceback" not in result.output
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.fixture()
def paths(tmp_path: Path) -> dict[str, str]:
    """A directory, a plain file and a path below that file, for output options."""
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("not a directory\n")
    return {"dir": str(tmp_path), "file": str(a_file), "under_file": str(a_file / "brief.html")}


CASES: list[tuple[list[str], tuple[str, ...]]] = [
    # names and codes that mean nothing
    (
        ["risk", "-m", "geopolrisk", "-c", "rare-earths", "--country", "GER", "--year", "2022"],
        ("'DEU'", "IOC"),
    ),
    (["risk", "-m", "usgs", "-c", "gallium", "--country", "XXX"], ("unknown country 'XXX'",)),
    (["risk", "-m", "hhi", "-c", "unobtainium"], ("unknown commodity",)),
    (["brief", "rare-earths", "--importer", "XXX"], ("unknown importer 'XXX'",)),
    (["brief", "rare-earths", "--importer", "276"], ("not a number", "DEU")),
    (["data", "show", "galium"], ("unknown commodity 'galium'",)),
    # editions and years the store does not hold
    (["brief", "rare-earths", "--edition", "2019"], ("edition 2019", "did you mean 2024")),
    (["data", "show", "rare-earths", "--edition", "2019"], ("edition 2019", "did you mean 2024")),
    (["data", "show", "rare-earths", "--year", "2099"], ("year 2099", "did you mean 2025")),
    (["risk", "-m", "hhi", "-c", "rare-earths", "--year", "2099"], ("year 2099", "did you mean")),
    (["risk", "-m", "hhi", "--edition", "2019"], ("edition 2019",)),
    (["risk", "-m", "geopolrisk", "-c", "rare-earths", "--country", "USA", "-y", "2099"], ("2010–2024",)),
    (["risk", "-m", "usgs", "-c", "gallium", "-y", "2099"], ("year 2099",)),
    (["risk", "table", "-m", "hhi", "-y", "2099"], ("year 2099",)),
    (["risk", "table", "-m", "usgs", "-y", "2099"], ("year 2099",)),
    (["risk", "table", "-m", "eu", "-y", "2099"], ("2099",)),
    (["risk", "-m", "hhi", "--source", "trade", "-c", "rare-earths", "-y", "2099"], ("years of BACI trade",)),
    (["data", "show", "rare-earths", "--what", "reserves", "--year", "2024"], ("--year and --source",)),
    # a group member points to its group
    (["data", "show", "Nd"], ("use 'rare-earths'",)),
    # dates, options and files
    (["brief", "--as-of", "yesterday"], ("YYYY-MM-DD",)),
    (["data", "show", "rare-earths", "--bogus"], ("No such option: --bogus",)),
    (["risk", "--year", "abc"], ("--year",)),
    (["nonsense"], ("No such command",)),
    (["import", "wgi", "/nonexistent/WGI.csv"], ("does not exist",)),
]


@pytest.mark.parametrize(("args", "expected"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_bad_arguments_are_one_error_line(
    built_store: Store, args: list[str], expected: tuple[str, ...]
) -> None:
    _assert_one_error_line(runner.invoke(app, args), *expected)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["brief", "rare-earths", "--out", "{dir}"], ("is a directory",)),
        (["brief", "rare-earths", "--out", "{under_file}"], ("is a file, not a directory",)),
        (["brief", "gallium", "--png", "{file}", "--out", "{dir}/b.html"], ("--png", "is a file")),
        (["risk", "table", "--chart", "{dir}"], ("--chart", "is a directory")),
        (["data", "build", "--out", "{file}"], ("--out", "is a file")),
        (["import", "wgi", "{dir}"], ("is a directory",)),
    ],
)
def test_unusable_output_paths_are_refused_before_any_work(
    built_store: Store, paths: dict[str, str], args: list[str], expected: tuple[str, ...]
) -> None:
    result = runner.invoke(app, [a.format(**paths) for a in args])
    _assert_one_error_line(result, *expected)
    assert Path(paths["file"]).read_text() == "not a directory\n"


def test_a_file_error_inside_a_command_is_one_line(
    built_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An OSError the checks could not foresee (here: the brief's writer) still ends as one line."""
    from critmin.report import brief

    def refuse(*_: object, **__: object) -> list[Path]:
        raise PermissionError(13, "Permission denied", str(tmp_path / "b.html"))

    monkeypatch.setattr(brief, "write_brief", refuse)
    result = runner.invoke(app, ["brief", "gallium", "--out", str(tmp_path / "b.html")])
    _assert_one_error_line(result, "Permission denied", "b.html", after_warnings=True)


def test_a_bug_is_one_line_and_exit_1_unless_debugging(
    built_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from critmin import query

    def broken(*_: object, **__: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(query, "production", broken)
    result = runner.invoke(app, ["data", "show", "rare-earths"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: internal error (KeyError") and DEBUG_ENV in result.stderr
    monkeypatch.setenv(DEBUG_ENV, "1")
    result = runner.invoke(app, ["data", "show", "rare-earths"])
    assert isinstance(result.exception, KeyError)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=st.text(string.ascii_uppercase, min_size=3, max_size=3))
def test_three_letters_pass_only_if_they_are_a_known_code(built_store: Store, code: str) -> None:
    """Any three capitals: a known ISO3 (or data) code resolves to itself; anything else is one error line."""
    try:
        iso3 = vocab.resolve_country(code)
    except vocab.UnknownNameError:
        result = runner.invoke(
            app, ["risk", "-m", "usgs", "-c", "gallium", "--country", code, "--format", "json"]
        )
        _assert_one_error_line(result, f"unknown country '{code}'")
    else:
        assert iso3 in {
            code,
            "CHN",
            "KOR",
            "ARE",
            "SAU",
            "COD",
            "TWN",
            "XKX",
        }  # codes, or PRC/ROK/UAE/KSA/DRC/…


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(year=st.one_of(st.integers(1000, 2009), st.integers(2027, 9999)))
def test_years_outside_the_data_are_errors(built_store: Store, year: int) -> None:
    result = runner.invoke(app, ["data", "show", "gallium", "--year", str(year), "--format", "json"])
    _assert_one_error_line(result, f"year {year}", "did you mean")
    assert result.stdout == ""


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed command in a fresh interpreter, as a user runs it."""
    code = "from critmin.cli.main import app; app()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


def test_subprocess_runs_show_no_traceback(built_store: Store, tmp_path: Path) -> None:
    """The real entry point: a store path that is a directory, an out path that is one, an IOC code."""
    runs = [
        (["data", "show", "rare-earths"], {"CRITMIN_DB": str(tmp_path)}, "is a directory"),
        (["brief", "gallium", "--out", str(tmp_path)], {}, "is a directory"),
        (["risk", "-m", "geopolrisk", "-c", "rare-earths", "--country", "GER", "-y", "2022"], {}, "DEU"),
    ]
    for args, env, expected in runs:
        done = _run(args, env)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], done.stderr
