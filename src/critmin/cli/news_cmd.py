"""``critmin news``: news monitoring — extract candidate measures from articles and evaluate the extraction.

critmin news extract articles.jsonl --format json   # one JSON line per article: {"url", "events": [...]}
critmin news extract shards/*.jsonl s3://b/a.parquet --local-cluster 4 --out DIR   # Parquet partitions
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
from critmin.cli.compute_options import (
    LOCAL_CLUSTER,
    PROCESSES,
    SCHEDULER,
    Target,
    check_output,
    compute_progress,
    target_from_options,
)

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
    files: list[str] = typer.Argument(
        ...,
        metavar="ARCHIVE...",
        help="JSON-lines files of articles (text, url, published); with --out also Parquet shards and fsspec "
        "URLs",
    ),
    fmt: ExtractFormat = typer.Option(
        ExtractFormat.json, "--format", help="json (one line per article) or table; not with --out"
    ),
    out: str | None = typer.Option(
        None,
        "--out",
        "-o",
        metavar="DIR",
        help="Folder or fsspec URL (file://, memory://, s3://…) for Parquet partitions of candidate events "
        "(an archive run).",
    ),
    scheduler: str | None = SCHEDULER,
    local_cluster: int | None = LOCAL_CLUSTER,
    processes: int | None = PROCESSES,
) -> None:
    """Candidate measures in each article: issuer, measure, commodities, target, date, status change.

    With --out, the archive is read in partitions (here, in --processes N, or on Dask) and written as
    DIR/part-NNNNN.parquet, one row per candidate event; a rerun skips the partitions already complete.
    """
    if out is not None:
        if fmt is not ExtractFormat.json:
            raise fail("--format applies to the printed output; with --out the partitions are Parquet")
        _extract_archive(files, out, target_from_options(scheduler, local_cluster, processes))
        return
    if scheduler or local_cluster or processes:
        raise fail("--scheduler, --local-cluster and --processes need --out DIR")
    for name in files:
        _extract_file(Path(name), fmt)


def _extract_file(file: Path, fmt: ExtractFormat) -> None:
    """Print the candidates of one JSON-lines file (JSON lines or a table)."""
    import pandas as pd

    from critmin.events.extract import extract
    from critmin.events.newsfile import Skipped, read_articles

    if file.suffix.lower() in (".parquet", ".pq"):
        raise fail(f"{file}: Parquet archives are read with --out DIR")
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


#: skipped lines of an archive run named one by one on stderr; the rest are counted
SHOWN_SKIPS = 10


def _extract_archive(shards: list[str], out: str, target: Target) -> None:
    """Extract an archive in partitions into ``out``, a folder or fsspec URL (see
    :mod:`critmin.events.archive`); on Dask the workers are checked to run this critmin first."""
    from critmin.compute import PartitionDir, PartitionError, run_units
    from critmin.events import archive

    check_output(out)
    parts = archive.plan(shards)
    pdir = PartitionDir(out, archive.fingerprint(parts), len(parts))
    try:
        pdir.prepare({"command": "critmin news extract", "shards": shards, "partitions": len(parts)})
    except PartitionError as exc:
        raise fail(str(exc)) from None
    todo = pdir.missing()
    articles = events = 0
    skipped: list[tuple[str, int, str]] = []
    with compute_progress("partitions", len(todo), target) as advance:
        for i, result in run_units(
            archive.extract_part,
            [parts[j] for j in todo],
            None,
            target,
            name="news-extract",
            progress=advance,
            probe=archive.environment,
        ):
            pdir.write(todo[i], result.table)
            articles += result.articles
            events += result.table.num_rows
            skipped.extend(result.skipped)
    again = f"; {len(parts) - len(todo)} already complete" if len(todo) < len(parts) else ""
    err_console.print(
        f"wrote {len(todo)} of {len(parts)} partitions to {out} ({events:,} candidate events in {articles:,}"
        f" articles, on {target.describe()}){again}",
        markup=False,
        highlight=False,
    )
    for shard, offset, reason in sorted(skipped)[:SHOWN_SKIPS]:
        err_console.print(f"skipped {shard} at {offset}: {reason}", markup=False, highlight=False)
    if skipped:
        more = f" ({len(skipped) - SHOWN_SKIPS} not shown)" if len(skipped) > SHOWN_SKIPS else ""
        raise fail(f"{len(skipped)} article(s) skipped{more}")


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
