"""``critmin watch --feeds FILE [--every 1h | --once]``: ingest, extract, resolve and alert, in rounds.

Alerts go to a JSON-lines file (default ``news-alerts.jsonl`` beside the store), to the console and, with
``--webhook URL``, to a webhook under the same fetch rules as feeds. Re-running over the same articles alerts
nothing twice.
"""

from __future__ import annotations

from pathlib import Path

import typer

from critmin.cli.common import console, ensure_store, err_console, fail


def watch_cmd(
    feeds: Path = typer.Option(
        ..., "--feeds", exists=True, dir_okay=False, help="one feed URL or file per line"
    ),
    every: str | None = typer.Option(None, "--every", help="repeat every 30m, 1h, 1d ... until interrupted"),
    once: bool = typer.Option(False, "--once", help="one round, then stop (the default)"),
    alerts: Path | None = typer.Option(None, "--alerts", dir_okay=False, help="JSON-lines file of alerts"),
    webhook: str | None = typer.Option(None, "--webhook", help="POST each alert as JSON to this URL"),
    min_confidence: float = typer.Option(
        0.8, "--min-confidence", min=0, max=1, help="alert pending new measures from"
    ),
    allow_loopback: bool = typer.Option(False, "--allow-loopback", help="allow 127.0.0.1/::1 (local tests)"),
    follow_links: bool = typer.Option(False, "--follow-links", help="fetch the page of each feed entry"),
) -> None:
    """Watch news feeds and alert on accepted or high-confidence new export controls."""
    from critmin.cli.common import check_output_file
    from critmin.cli.news_ingest_cmd import user_errors
    from critmin.events import watch
    from critmin.events.fetch import check_url
    from critmin.store import Store

    if every and once:
        raise fail("give --every or --once, not both")
    try:
        every_s = watch.parse_every(every) if every else None
        feed_list = watch.read_feeds(feeds)
    except ValueError as exc:
        raise fail(str(exc)) from None
    with user_errors():
        if webhook:
            check_url(webhook)
    path = alerts or Store.open().path.with_name("news-alerts.jsonl")
    check_output_file(path, "--alerts")
    ensure_store()

    def report(round_: watch.Round) -> None:
        for item in round_.ingest.skipped:
            err_console.print(f"skipped {item.origin}: {item.reason}", markup=False, highlight=False)
        for alert in round_.alerts:
            shares = ", ".join(
                f"{e['commodity']}: {_pct(e['issuer_share_of_world_production'])} of world production, "
                f"controlled {_pct(e['controlled_share_before'])} -> {_pct(e['controlled_share_after'])}"
                for e in alert["exposure"]
            )
            importers = ", ".join(
                sorted({i["iso3"] for e in alert["exposure"] for i in e["importers_exposed"]})
            )
            console.print(f"ALERT {alert['issuer']} {alert['status_change']} {alert['measure']} "
                          f"({alert['status']}, {alert['proposal_id']}): {shares or 'no production data'}; "
                          f"importers exposed: {importers or 'none in BACI'}; {alert['url'] or ''}",
                          markup=False, highlight=False)  # fmt: skip
        for error in round_.webhook_errors:
            err_console.print(f"webhook: {error}", markup=False, highlight=False)
        console.print(f"{len(round_.ingest.added)} new article(s), {len(round_.alerts)} alert(s) -> {path}",
                      markup=False, highlight=False)  # fmt: skip

    try:
        with user_errors():
            watch.watch(feed_list, every_s, report, alerts_path=path, webhook=webhook,
                        min_confidence=min_confidence, allow_loopback=allow_loopback,
                        follow_links=follow_links)  # fmt: skip
    except KeyboardInterrupt:
        console.print("stopped")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def register(app: typer.Typer) -> None:
    """Add ``watch`` as a top-level command."""
    app.command("watch")(watch_cmd)
