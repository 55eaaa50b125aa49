"""``critmin db``: build, inspect and locate the DuckDB store."""

from __future__ import annotations

import typer

from critmin.cli.common import OutputFormat, console, emit, ensure_store, fail, progress_steps

db_app = typer.Typer(help="Build, inspect and locate the DuckDB store.", no_args_is_help=True)


@db_app.command("build")
def build() -> None:
    """(Re)build the store from the embedded data package (replaces imported rows).

    A file at the store path that is not a critmin store is never replaced: one line, exit 2.
    """
    from critmin.store import Store, StoreError, package_descriptor

    store = Store.open()
    total = len(package_descriptor()["resources"])
    try:
        store.check_replaceable()  # before the progress bar, so a refusal is the only line printed
        with progress_steps("building store", total) as step:
            store.build_from_package(progress=step)
    except StoreError as exc:
        raise fail(f"{exc}; the store was not rebuilt") from None
    console.print(f"store built: {store.path}")


@db_app.command("info")
def info(fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json")) -> None:
    """Tables in the store with row counts, editions and titles, then the import log."""
    from critmin.store import Store, StoreError

    ensure_store()
    store = Store.open()
    try:
        frame = store.info().drop(columns=["sources"])
        meta = store.meta()
        imports = store.imports()
    except StoreError as exc:
        raise fail(str(exc)) from None
    if fmt is OutputFormat.table:
        console.print(
            f"store {store.path} (built {meta.get('built_at')}, critmin {meta.get('critmin_version')})"
        )
    emit(frame, fmt, title="datasets")
    if fmt is OutputFormat.table and not imports.empty:
        emit(imports, fmt, title="imports")


@db_app.command("path")
def path() -> None:
    """Print the path of the store file (set CRITMIN_DB to use another)."""
    from critmin.store import default_path

    typer.echo(str(default_path()))


def register(app: typer.Typer) -> None:
    """Add the ``db`` group to the main app."""
    app.add_typer(db_app, name="db")
