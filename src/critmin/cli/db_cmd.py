"""``critmin db``: build, inspect and locate the DuckDB store."""

from __future__ import annotations

import typer

from critmin.cli.common import OutputFormat, console, emit, progress_steps

db_app = typer.Typer(help="Build, inspect and locate the DuckDB store.", no_args_is_help=True)


@db_app.command("build")
def build() -> None:
    """(Re)build the store from the embedded data package (replaces imported rows)."""
    from critmin.store import Store, package_descriptor

    store = Store.open()
    total = len(package_descriptor()["resources"])
    with progress_steps("building store", total) as step:
        store.build_from_package(progress=step)
    console.print(f"store built: {store.path}")


@db_app.command("info")
def info(fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json")) -> None:
    """Tables in the store with row counts, editions and titles, then the import log."""
    from critmin.store import Store

    store = Store.open()
    store.ensure()
    frame = store.info().drop(columns=["sources"])
    if fmt is OutputFormat.table:
        meta = store.meta()
        console.print(
            f"store {store.path} (built {meta.get('built_at')}, critmin {meta.get('critmin_version')})"
        )
    emit(frame, fmt, title="datasets")
    imports = store.imports()
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
