"""Helpers shared by the command modules: output formats, error reporting, progress bars."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


class OutputFormat(StrEnum):
    """How a command prints a table."""

    table = "table"
    csv = "csv"
    json = "json"


def clean(value: Any) -> Any:
    """A JSON-ready value: NaN/±inf/NA/NaT → None, numpy scalars → Python, dicts and lists cleaned inside."""
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        return clean(value.item())
    import pandas as pd

    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _json_default(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


#: a cell that is a number as text (``-0.5``, ``+3e4``): spreadsheets read it as a number, not a formula
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value: Any) -> Any:
    """A CSV-safe cell: nested values as JSON text, NaN/±inf blank, and text a spreadsheet would run as a
    formula (leading ``=``, ``+``, ``-``, ``@``, tab, CR) prefixed with ``'`` (OWASP CSV injection advice).
    Numbers, and text that is a plain number such as ``-0.5``, stay as they are."""
    if isinstance(value, dict | list | tuple):
        return json.dumps(clean(value), ensure_ascii=False, allow_nan=False, default=_json_default)
    if isinstance(value, str):
        if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.fullmatch(value):
            return "'" + value
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(frame: Any, columns: list[str] | None = None) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts (see :func:`clean`)."""
    sub = frame[columns] if columns else frame
    return [{str(k): clean(v) for k, v in row.items()} for row in sub.to_dict("records")]


def _cell_text(value: Any) -> str:
    """A table cell: blank for missing, thousands separators, no exponent for large figures."""
    value = clean(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() or abs(value) >= 1e5 else f"{value:,.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    return str(value)


def emit(
    frame: Any,
    fmt: OutputFormat,
    columns: list[str] | None = None,
    title: str | None = None,
    table_columns: list[str] | None = None,
) -> None:
    """Print a DataFrame as a Rich table (of ``table_columns`` if given), CSV or a JSON array of records.

    CSV and JSON carry ``columns`` (default: all); nested values (dicts, lists) become JSON text in CSV.
    JSON has null for NaN/±inf (``allow_nan=False`` makes a regression fail loudly); CSV cells are
    made safe for spreadsheets by :func:`csv_cell`.
    """
    sub = frame[columns] if columns else frame
    if fmt is OutputFormat.json:
        text = json.dumps(records(sub), ensure_ascii=False, indent=1, default=_json_default, allow_nan=False)
        typer.echo(text)
    elif fmt is OutputFormat.csv:
        flat = sub.apply(lambda col: col.map(csv_cell) if col.dtype.kind in "fO" else col)
        typer.echo(flat.to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        from rich.table import Table

        shown = [c for c in table_columns if c in sub.columns] if table_columns else list(sub.columns)
        table = Table(title=title, show_lines=False)
        for col in shown:
            table.add_column(
                str(col), overflow="fold", justify="right" if sub[col].dtype.kind in "fi" else "left"
            )
        for row in records(sub[shown]):
            table.add_row(*(_cell_text(v) for v in row.values()))
        console.print(table)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``message`` (plain text, never markup) as an error and return the Exit to raise."""
    from rich.markup import escape

    err_console.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def check_output_file(path: Path, option: str) -> None:
    """Fail before any work if ``path`` cannot be an output file (a directory, or under a file)."""
    if path.is_dir():
        raise fail(f"{option} {path} is a directory; give a file path")
    _check_parent(path, option)


def check_output_dir(path: Path, option: str) -> None:
    """Fail before any work if ``path`` cannot be an output directory (an existing file, or under one)."""
    if path.exists() and not path.is_dir():
        raise fail(f"{option} {path} is a file; give a directory")
    _check_parent(path, option)


def _check_parent(path: Path, option: str) -> None:
    """The nearest existing ancestor of ``path`` must be a directory we may write into."""
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise fail(f"{option} {path}: {parent} is a file, not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise fail(f"{option} {path}: no permission to write in {parent}")


@contextmanager
def progress_steps(description: str, total: int) -> Iterator[Callable[[str], None]]:
    """A Rich progress bar on stderr; yields a callback to advance it by one named step."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)

        def step(name: str) -> None:
            bar.update(task, advance=1, description=f"{description}: {name}")

        yield step


def ensure_store() -> None:
    """Build the store on first use (or after an upgrade of the embedded data), with a progress bar.

    A path that is not a critmin store, or a store another process keeps locked, ends the command with one line.
    """
    from critmin.store import Store, StoreError, package_descriptor

    store = Store.open()
    try:
        if store.is_current():
            return
        with progress_steps("building store (first use)", len(package_descriptor()["resources"])) as step:
            store.ensure(progress=step)
    except StoreError as exc:
        raise fail(str(exc)) from None
