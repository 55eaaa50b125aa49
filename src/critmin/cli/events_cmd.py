"""``critmin events``: the export-control registry — list on a date, show, history, add, edit, export, import.

JSON records are a public contract: ``event_id``, ``iso3`` (issuer), ``measure``, ``commodity_ids`` (list),
``target`` (``"all"`` or a list of ISO3), ``announced``, ``effective_from``, ``effective_to``, ``status``,
``relations`` (list of ``{"type", "event_id"}``), ``in_force`` (true/false on the as-of date, null only
where a date is missing) with ``in_force_reason``, and ``sources`` (list of URLs), plus the other fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from critmin.cli.common import OutputFormat, console, emit, ensure_store, fail

events_app = typer.Typer(
    help="The export-control registry: measures in force on a date, their history, edits, export and import.",
    invoke_without_command=True,
)

#: the terminal table: one "measure" cell (id, then type, commodities and target) so 80 columns suffice;
#: every field is in --format csv/json and ``critmin events show ID``
TABLE_COLUMNS = ["measure", "from", "to", "in_force"]


@contextmanager
def _user_errors() -> Iterator[None]:
    from critmin.events.model import RegistryError
    from critmin.vocab import UnknownNameError

    try:
        yield
    except (RegistryError, UnknownNameError) as exc:
        raise fail(str(exc)) from None


def _records_frame(frame: object) -> object:
    import pandas as pd

    from critmin.events import files, registry

    urls = registry.sources()
    by_event = urls.groupby("event_id")["url"].apply(list).to_dict()
    return pd.DataFrame(files.to_json_records(frame, by_event))  # type: ignore[arg-type]


@events_app.callback()
def list_events(
    ctx: typer.Context,
    as_of: str | None = typer.Option(None, "--as-of", help="date (YYYY-MM-DD); default today"),
    in_force: bool = typer.Option(False, "--in-force", help="only measures in force on the as-of date"),
    commodity: str | None = typer.Option(None, "--commodity", help="commodity (members and groups match)"),
    issuer: str | None = typer.Option(None, "--issuer", help="issuing country (ISO3 or name)"),
    target: str | None = typer.Option(None, "--target", help="targeted country (measures on all match too)"),
    measure: str | None = typer.Option(None, "--measure", help="measure type, e.g. export_ban"),
    provenance: str | None = typer.Option(None, "--provenance", help="critmin or OECD"),
    as_recorded: str | None = typer.Option(
        None, "--as-recorded", help="read the registry as recorded on this date (what we knew then)"
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json"),
) -> None:
    """Measures known by the as-of date, each with whether it is in force then and why."""
    if ctx.invoked_subcommand is not None:
        return
    from datetime import date

    import critmin.query as q

    ensure_store()
    with _user_errors():
        if measure is not None:
            from critmin.events.model import measures

            if measure not in measures():
                raise fail(f"unknown measure {measure!r}; one of {', '.join(measures())}")
        frame = q.events(
            commodity=commodity,
            country=issuer,
            target=target,
            measure=measure,
            provenance=provenance,
            as_of=as_of or date.today().isoformat(),
            in_force=True if in_force else None,
            as_recorded=as_recorded,
        )
    out = _records_frame(frame)
    if fmt is OutputFormat.table:
        out = _readable(out)
    emit(out, fmt, title=f"Export controls on {as_of or 'today'}", table_columns=TABLE_COLUMNS)


def _readable(frame: object) -> object:
    """The table view: id over type, commodities and target in one cell; dates; in force as yes/no/unknown."""
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)

    def listed(value: object) -> str:
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)

    def measure(row: pd.Series) -> str:
        target = "all importers" if row["target"] == "all" else "on " + listed(row["target"])
        return f"{row['event_id']}\n{row['measure']}: {listed(row['commodity_ids'])} ({target})"

    in_force = {True: "yes", False: "no"}
    return pd.DataFrame(
        {
            "measure": frame.apply(measure, axis=1) if len(frame) else pd.Series(dtype=str),
            "from": frame["effective_from"].fillna("?"),
            "to": frame["effective_to"].fillna("open"),
            "in_force": frame["in_force"].map(lambda v: in_force.get(v, "unknown")),
        }
    )


@events_app.command("show")
def show(
    event_id: str = typer.Argument(..., help="event id"),
    as_of: str | None = typer.Option(None, "--as-of", help="also say whether it was in force on this date"),
    fmt: OutputFormat = typer.Option(OutputFormat.json, "--format", help="json, csv or table"),
) -> None:
    """One measure with all its fields, relations and sources."""
    from datetime import date

    import critmin.query as q
    from critmin.events import registry

    ensure_store()
    with _user_errors():
        registry.get(event_id)
        frame = q.events(as_of=as_of or date.today().isoformat())
    hit = frame[frame["event_id"] == event_id]
    if hit.empty:  # not yet known on that date: show it without the in-force answer
        full, _ = registry.load()
        hit = full[full["event_id"] == event_id]
    out = _records_frame(hit)
    emit(_readable(out) if fmt is OutputFormat.table else out, fmt, table_columns=TABLE_COLUMNS)


@events_app.command("history")
def history(
    event_id: str = typer.Argument(..., help="event id"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json"),
) -> None:
    """Every recorded change of a measure: when, by whom, from which source, old and new value."""
    from critmin.events import registry

    ensure_store()
    with _user_errors():
        frame = registry.history(event_id)
    cols = ["change_id", "recorded_at", "action", "field", "old_value", "new_value", "by", "source_url"]
    emit(frame[cols], fmt, table_columns=cols)


@events_app.command("add")
def add(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON file: one record or a list"),
    by: str = typer.Option(..., "--by", help="who adds: user:NAME, news:URL or import:FILE"),
    source: str | None = typer.Option(
        None, "--source", help="source URL (default: each record's source_url)"
    ),
) -> None:
    """Add new measures from a JSON file (all or none)."""
    from critmin.events import files, registry

    ensure_store()
    with _user_errors():
        ids = registry.add(files.read(file), by=_by(by), source_url=source)
    console.print(f"added {len(ids)} measure(s): {', '.join(ids)}")


@events_app.command("edit")
def edit(
    event_id: str = typer.Argument(..., help="event id"),
    assignments: list[str] = typer.Option(..., "--set", help="FIELD=VALUE (repeatable; empty VALUE clears)"),
    source: str = typer.Option(..., "--source", help="URL of the source of the change"),
    by: str = typer.Option(..., "--by", help="who edits: NAME (as user:NAME), news:URL or import:FILE"),
) -> None:
    """Change fields of a measure; old and new values go to its history in one transaction."""
    from critmin.events import registry

    ensure_store()
    with _user_errors():
        changed = registry.edit(event_id, registry.parse_set(assignments), by=_by(by), source_url=source)
    console.print(f"edited {event_id}" if changed else f"{event_id}: nothing changed")


@events_app.command("export")
def export(
    file: Path = typer.Argument(
        ..., dir_okay=False, help="FILE.csv (with FILE.csv.schema.json) or FILE.json"
    ),
    provenance: str | None = typer.Option(None, "--provenance", help="only critmin or OECD records"),
) -> None:
    """Write the registry to CSV (with its Frictionless schema) or JSON."""
    import critmin.query as q
    from critmin.events import files

    ensure_store()
    frame = q.events(provenance=provenance)
    files.export(frame, file)
    console.print(f"exported {len(frame)} measure(s) to {file}")


@events_app.command("import")
def import_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV (registry schema) or JSON"),
    by: str | None = typer.Option(None, "--by", help="who imports (default import:FILE)"),
) -> None:
    """Add or update measures from a registry file in one transaction (refused whole on any fault)."""
    from critmin.events import files, registry

    ensure_store()
    with _user_errors():
        ids = registry.apply(files.read(file), by=_by(by or f"import:{file.name}"), origin=file.name)
    console.print(f"imported {len(ids)} new or changed measure(s) from {file.name}")


def _by(by: str) -> str:
    """``NAME`` → ``user:NAME``; ``user:``/``news:``/``import:`` kept."""
    return by if by.split(":", 1)[0] in ("user", "news", "import") and ":" in by else f"user:{by}"


def import_oecd(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="OECD inventory (xlsx sheet IND, or CSV)"
    ),
) -> None:
    """OECD Inventory of Export Restrictions on Industrial Raw Materials: folded into validity intervals,
    mapped to the registry's measure types, linked to critmin events; replaces the stored OECD records."""
    from critmin.data.importers import ImportFormatError
    from critmin.events import oecd, registry

    ensure_store()
    try:
        rows = oecd.read_inventory(file)
    except ImportFormatError as exc:
        raise fail(f"{exc}; nothing was imported") from None
    frame, _ = registry.load()
    folded = oecd.fold(rows, f"import:{file.name}")
    folded["relations"] = oecd.link(folded, frame[frame["provenance"] == "critmin"])
    with _user_errors():
        ids = registry.apply(
            [{str(k): v for k, v in r.items()} for r in folded.drop(columns="changes").to_dict("records")],
            by=f"import:{file.name}",
            origin=file.name,
        )
    console.print(f"imported {len(folded):,} OECD measures ({len(ids):,} new or changed) from {file.name}")


def register(app: typer.Typer) -> None:
    """Add the ``events`` group, and ``import oecd-export-restrictions`` to the import group."""
    from critmin.cli.import_cmd import import_app

    app.add_typer(events_app, name="events")
    import_app.command("oecd-export-restrictions")(import_oecd)
