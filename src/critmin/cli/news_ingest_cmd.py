"""``critmin news ingest|review|accept|reject``: articles into the store, proposals out to a person.

critmin news ingest feed.xml https://example.org/rss page.html notes.txt articles.jsonl
critmin news review [--all] [--format table|json|csv]     # pending proposals with their evidence
critmin news accept P1A2B3C4D5 [--set FIELD=VALUE ...] --by NAME
critmin news reject P1A2B3C4D5 --by NAME

Nothing is fetched but the URLs given. A source or item that cannot be read is named on stderr with its
reason; ingest ends with status 2 if no source could be read. The commands join the ``news`` group of
:mod:`critmin.cli.news_cmd`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Any

import typer

from critmin.cli.common import OutputFormat, console, emit, ensure_store, err_console, fail
from critmin.cli.news_cmd import news_app


@contextmanager
def user_errors() -> Iterator[None]:
    """News, fetch and registry errors as one ``error:`` line (exit 2)."""
    from critmin.events.fetch import FetchError
    from critmin.events.ingest import IngestError
    from critmin.events.model import RegistryError

    try:
        yield
    except (IngestError, FetchError, RegistryError) as exc:
        raise fail(str(exc)) from None


@news_app.command("ingest")
def ingest_cmd(
    sources: list[str] = typer.Argument(..., help="feeds, pages, text or JSON-lines files, or http(s) URLs"),
    kind: str | None = typer.Option(None, "--kind", help="feed, html, text or jsonl (default: sniffed)"),
    encoding: str | None = typer.Option(None, "--encoding", help="encoding of text without a declared one"),
    max_bytes: int = typer.Option(10 * 1024 * 1024, "--max-bytes", help="cap of one source (not JSON lines)"),
    timeout: float = typer.Option(20.0, "--timeout", help="seconds for fetching one URL"),
    follow_links: bool = typer.Option(False, "--follow-links", help="fetch the page of each feed entry"),
    allow_loopback: bool = typer.Option(False, "--allow-loopback", help="allow 127.0.0.1/::1 (local tests)"),
    resolve_now: bool = typer.Option(True, "--resolve/--no-resolve", help="extract and resolve the articles"),
) -> None:
    """Store articles once (by URL and text), then extract and resolve their candidate measures."""
    from critmin.events import resolve
    from critmin.events.ingest import KINDS, ingest

    if kind is not None and kind not in KINDS:
        raise fail(f"--kind {kind!r}: one of {', '.join(KINDS)}")
    ensure_store()
    with user_errors():
        result = ingest(sources, kind=kind, encoding=encoding, max_bytes=max_bytes, timeout=timeout,
                        follow_links=follow_links, allow_loopback=allow_loopback)  # fmt: skip
    for item in result.skipped:
        err_console.print(f"skipped {item.origin}: {item.reason}", markup=False, highlight=False)
    console.print(f"{len(result.added)} new article(s), {len(result.duplicates)} already stored, "
                  f"{len(result.skipped)} skipped", markup=False)  # fmt: skip
    if resolve_now and result.article_ids:
        props = resolve.process(result.article_ids)
        counts = props["kind"].value_counts().to_dict()
        console.print(", ".join(f"{counts.get(k, 0)} {k}" for k in ("known", "update", "new"))
                      + " (see 'critmin news review')", markup=False)  # fmt: skip
    if result.sources_failed == len(sources):
        raise fail("no source could be read")


@news_app.command("review")
def review_cmd(
    show_all: bool = typer.Option(False, "--all", help="every proposal, not only the pending ones"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json"),
) -> None:
    """Proposals (new measures and updates of known ones) with their evidence, for accept or reject."""
    import json

    from critmin.events import resolve

    ensure_store()
    frame = resolve.proposals(None if show_all else resolve.PENDING).fillna("")
    frame = frame.assign(
        candidate=frame["candidate"].map(json.loads),
        record=frame["record"].map(lambda r: json.loads(r)["record"]),
    )
    if fmt is OutputFormat.table:
        _print_proposals(frame.to_dict("records"))
    else:
        emit(frame, fmt)


def _print_proposals(rows: list[dict[Hashable, Any]]) -> None:
    """One block per proposal: id and decision line, the candidate, the evidence sentence, its URL.

    News text is printed as plain text (never as console markup) and wraps within the terminal.
    """
    from rich.padding import Padding
    from rich.text import Text

    if not rows:
        console.print("no proposals to review")
        return
    for row in rows:
        cand = row["candidate"]
        target = cand["target"] if cand["target"] == "all" else ", ".join(cand["target"])
        head = Text(f"{row['proposal_id']}  ", style="bold")
        head.append(f"{row['kind']} ({row['status']}, confidence {row['confidence']:.2f})")
        if row["reason"]:
            head.append(f": {row['reason']}")
        what = (
            f"{cand['country']} {cand['measure']} ({cand['status_change']}): {', '.join(cand['commodities'])}"
            f"; target {target}; effective {cand['effective'] or 'not stated'}"
        )
        console.print(head)
        for line in (what, f"“{row['evidence']}”", row["url"]):
            console.print(Padding(Text(line), (0, 0, 0, 2)))
        console.print()


@news_app.command("accept")
def accept_cmd(
    proposal_id: str = typer.Argument(..., help="proposal id (see 'critmin news review')"),
    by: str = typer.Option(..., "--by", help="who accepts (NAME, recorded as user:NAME)"),
    assignments: list[str] = typer.Option([], "--set", help="FIELD=VALUE to correct before applying"),
) -> None:
    """Add the proposed measure to the registry (provenance news:URL, one transaction)."""
    from critmin.events import registry, resolve

    ensure_store()
    with user_errors():
        event_id = resolve.accept(proposal_id, by=_user(by), changes=registry.parse_set(assignments))
    console.print(f"accepted {proposal_id} as {event_id}", markup=False)


@news_app.command("reject")
def reject_cmd(
    proposal_id: str = typer.Argument(..., help="proposal id"),
    by: str = typer.Option(..., "--by", help="who rejects (NAME, recorded as user:NAME)"),
) -> None:
    """Mark a proposal rejected; the registry is not touched."""
    from critmin.events import resolve

    ensure_store()
    with user_errors():
        resolve.reject(proposal_id, by=_user(by))
    console.print(f"rejected {proposal_id}", markup=False)


def _user(by: str) -> str:
    return by if by.startswith("user:") else f"user:{by}"


def register(app: typer.Typer) -> None:
    """Nothing to add: importing this module put its commands into the ``news`` group."""
