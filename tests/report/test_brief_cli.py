"""``critmin brief``: arguments, errors with suggestions, output path, PNG export."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from critmin.cli import brief_cmd


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test harness with the brief command only."""

    brief_cmd.register(app)
    return app


runner = CliRunner()


def test_unknown_commodity_is_a_clear_error_with_suggestions() -> None:
    result = runner.invoke(_app(), ["brief", "galium"])
    assert result.exit_code == 2
    assert "unknown commodity 'galium'" in result.output
    assert "gallium" in result.output


def test_unknown_importer_is_an_error() -> None:
    result = runner.invoke(_app(), ["brief", "rare-earths", "--importer", "Atlantis"])
    assert result.exit_code == 2
    assert "unknown importer 'Atlantis'" in result.output


def test_bad_as_of_date_is_an_error() -> None:
    result = runner.invoke(_app(), ["brief", "rare-earths", "--as-of", "yesterday"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_help_lists_the_options() -> None:
    result = runner.invoke(_app(), ["brief", "--help"])
    assert result.exit_code == 0
    for option in ("--out", "--edition", "--as-of", "--importer", "--png"):
        assert option in result.output


@pytest.mark.usefixtures("built_store")
def test_brief_writes_html_and_pngs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(_app(), ["brief", "Rare Earths", "--as-of", "2025-06-01", "--png", "png"])
    assert result.exit_code == 0, result.output
    default = Path("out") / "rare-earths-brief.html"
    assert result.stdout.strip().splitlines()[-1] == str(default)
    assert default.stat().st_size > 500_000  # the Vega bundle alone is ~0.9 MB
    pngs = sorted(p.name for p in Path("png").iterdir())
    assert "rare-earths-reserves.png" in pngs and len(pngs) >= 8


@pytest.mark.usefixtures("built_store")
def test_brief_edition_without_the_commodity_says_so(tmp_path: Path) -> None:
    """As ``data show``: an edition that lacks the commodity is an error naming the editions that have it."""
    out = tmp_path / "ge.html"
    result = runner.invoke(_app(), ["brief", "germanium", "--edition", "2026", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "editions with germanium: 2024–2025" in result.output
    assert not out.exists()
