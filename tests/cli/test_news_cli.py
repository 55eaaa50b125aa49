"""``critmin news extract|eval``: JSON lines per article, scores, and bad input named by file and line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()
ARTICLE = {"text": "China will require export licences for gallium from August 1, the commerce ministry said.",
           "url": "https://example.org/a", "published": "2023-07-03"}  # fmt: skip


def _write(path: Path, *lines: str | bytes) -> Path:
    path.write_bytes(b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines) + b"\n")
    return path


def test_extract_prints_one_json_line_per_article(tmp_path: Path) -> None:
    other = {"text": "Cobalt prices fell.", "url": "u2", "published": None}
    result = runner.invoke(app, ["news", "extract", str(_write(tmp_path / "a.jsonl", json.dumps(ARTICLE), json.dumps(other))), "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["url"] == "https://example.org/a"
    assert first["events"][0] == {
        "country": "CHN", "measure": "export_licence", "commodities": ["gallium"], "target": "all",
        "effective": "2023-08-01", "status_change": "new", "confidence": first["events"][0]["confidence"],
        "evidence": {"start": 0, "end": len(ARTICLE["text"])},
    }  # fmt: skip
    assert second == {"url": "u2", "events": []}


def test_extract_skips_bad_lines_with_reasons_and_exits_2(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.jsonl", json.dumps(ARTICLE), b"{not json", "\xff\xfe".encode("latin-1"), b"[1, 2]",
                 json.dumps({"text": 5}), json.dumps({**ARTICLE, "published": "last week"}))  # fmt: skip
    result = runner.invoke(app, ["news", "extract", str(bad)])
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 1  # the good article is still extracted
    for line, reason in [(2, "malformed JSON"), (3, "not UTF-8"), (4, "not a JSON object"),
                         (5, "field 'text' missing"), (6, "field 'published' is not a date")]:  # fmt: skip
        assert f"skipped bad.jsonl line {line}: {reason}" in result.stderr
    assert "Traceback" not in result.output


def test_extract_refuses_binary_and_huge_lines(tmp_path: Path, monkeypatch) -> None:
    binary = tmp_path / "blob.jsonl"
    binary.write_bytes(b"\x89PNG\x00\x00\x01")
    result = runner.invoke(app, ["news", "extract", str(binary)])
    assert result.exit_code == 2 and "blob.jsonl: binary data" in result.stderr

    from critmin.events import newsfile

    monkeypatch.setattr(newsfile, "MAX_LINE_BYTES", 100)
    huge = _write(tmp_path / "huge.jsonl", json.dumps({"text": "x" * 500}), json.dumps(ARTICLE))
    result = runner.invoke(app, ["news", "extract", str(huge)])
    assert result.exit_code == 2 and "line 1: line longer than 100 bytes" in result.stderr
    assert "skipped huge.jsonl line 2" in result.stderr  # the test article is itself over 100 bytes


def test_eval_prints_scores(tmp_path: Path) -> None:
    gold = {**ARTICLE, "events": [{"country": "CHN", "measure": "export_licence", "commodities": ["gallium"],
                                   "target": "all", "effective": "2023-08-01", "status_change": "new"}]}  # fmt: skip
    result = runner.invoke(app, ["news", "eval", str(_write(tmp_path / "g.jsonl", json.dumps(gold))), "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {r["field"]: r for r in json.loads(result.stdout)}
    assert set(rows) == {"country", "measure", "commodities", "target", "effective", "status_change", "event"}
    assert rows["event"]["f1"] == 1.0


def test_missing_file_is_one_error_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["news", "extract", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2 and "nope.jsonl" in result.stderr
