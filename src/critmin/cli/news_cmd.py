"""``critmin news``: news monitoring — extract candidate measures from articles and evaluate the extraction.

critmin news extract articles.jsonl --format json   # one JSON line per article: {"url", "events": [...]}
critmin news eval labelled.jsonl                    # precision, recall, F1 per field and for whole events

Neither command touches the store or the registry. A line that cannot be read is skipped with its reason on
stderr and the command ends with status 2.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from critmin.cli.common import OutputFormat, emit, err_console, fail

news_app = typer.Typer(help="News monitoring: candidate measures from articles, and their evaluation.")


class ExtractFormat(StrEnum):
    """Output of ``news extract``: JSON lines (the public contract) or a table for reading."""

    json = "json"
    table = "table"


def _report_skips(path: Path, skipped: list[tuple[int, str]]) -> None:
    """Name every skipped line; exit 2 if there was one."""
    for line, reason in skipped:
        err_console.print(f"skipped {path.name} line {line}: {reason}", markup=False, highlight=False)
    if skipped:
        raise fail(f"{len(skipped)} line(s) of {path} skipped")


@news_app.command("extract")
def extract_cmd(
    file: Path = typer.Argument(..., help="JSON-lines file of articles (text, url, published)"),
    fmt: ExtractFormat = typer.Option(
        ExtractFormat.json, "--format", help="json (one line per article) or table"
    ),
) -> None:
    """Candidate measures in each article: issuer, measure, commodities, target, date, status change."""
    import pandas as pd

    from critmin.events.extract import extract
    from critmin.events.newsfile import Skipped, read_articles

    skipped: list[tuple[int, str]] = []
    rows: list[dict[str, object]] = []
    for item in read_articles(file):
        if isinstance(item, Skipped):
            skipped.append((item.line, item.reason))
            continue
        events = [c.to_json() for c in extract(item.text, item.published, item.url)]
        if fmt is ExtractFormat.json:
            typer.echo(json.dumps({"url": item.url, "events": events}, ensure_ascii=False))
        else:
            rows.extend({"line": item.line, "url": item.url, **e, "evidence": item.text[e["evidence"]["start"] : e["evidence"]["end"]]} for e in events)  # fmt: skip
    if fmt is ExtractFormat.table:
        columns = ["line", "country", "measure", "commodities", "target", "effective", "status_change",
                   "confidence", "evidence"]  # fmt: skip
        emit(
            pd.DataFrame(rows, columns=columns),
            OutputFormat.table,
            title=f"candidate measures in {file.name}",
        )
    _report_skips(file, skipped)


@news_app.command("eval")
def eval_cmd(
    file: Path = typer.Argument(..., help="labelled JSON-lines file (text, url, published, events)"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json"),
) -> None:
    """Precision, recall and F1 of the extraction per field and for whole events against the labels."""
    import pandas as pd

    from critmin.events.evaluate import score
    from critmin.events.extract import extract
    from critmin.events.newsfile import Skipped, read_articles

    skipped: list[tuple[int, str]] = []
    pairs = []
    for item in read_articles(file):
        if isinstance(item, Skipped):
            skipped.append((item.line, item.reason))
        elif item.events is None:
            skipped.append((item.line, "no 'events' labels"))
        else:
            predicted = [c.to_json() for c in extract(item.text, item.published, item.url)]
            pairs.append((item.events, predicted))
    frame = pd.DataFrame([s.as_row() for s in score(pairs)])
    emit(frame, fmt, title=f"extraction against {file.name} ({len(pairs)} articles)")
    _report_skips(file, skipped)


def register(app: typer.Typer) -> None:
    """Add the ``news`` command group to the main app."""
    app.add_typer(news_app, name="news")
