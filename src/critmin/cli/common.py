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
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress

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


#: words in a column name that make its integers labels (2024, not 2,024)
_LABEL_COLUMNS = ("year", "edition", "code", "period")


#: below this a figure shows as "<0.000001": its digits would be rounding noise in a table
_TINY = 1e-6


def number_text(value: float, grouped: bool = True) -> str:
    """A figure as people write it, never with an exponent: thousands separators (unless ``grouped`` is
    False), whole numbers from 1,000 up, four significant digits below (``5.357``, ``0.0001234``), and
    ``<0.000001`` for smaller magnitudes (csv and json keep the exact value)."""
    if isinstance(value, int):
        return f"{value:,}" if grouped else str(value)
    if value.is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}" if grouped else f"{value:.0f}"
    if abs(value) >= 1:
        return f"{value:.4g}"
    if abs(value) < _TINY:
        return f"<{_TINY:f}" if value > 0 else f">-{_TINY:f}"
    import numpy as np

    return str(np.format_float_positional(value, precision=4, unique=False, fractional=False, trim="-"))


def _cell_text(value: Any, grouped: bool = True) -> str:
    """A table cell: blank for missing, figures by :func:`number_text`, nested values as JSON, and
    ``;``-joined lists with a space after each ``;`` so they wrap between items."""
    value = clean(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return number_text(value, grouped)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    text = str(value)
    return text if "://" in text else text.replace(";", "; ").replace(";  ", "; ")


def _column_widths(texts: list[list[str]], numeric: list[bool], room: int) -> list[int]:
    """Column widths within ``room`` cells: the natural widths if they fit; else every column at least as
    wide as its longest word (so text wraps between words), the rest shared fairly (max-min) among the
    columns that need more; if even the longest words do not fit, the widest text columns give way (their
    longest words end in "…"). ``texts`` holds each column's header and cells; figures are never cut."""
    from rich.cells import cell_len

    natural = [max(cell_len(t) for t in col) for col in texts]
    if sum(natural) <= room:
        return natural
    least = [
        max(cell_len(w) for t in (col if not num else col[1:]) for w in (t.split() or [""]))
        for col, num in zip(texts, numeric, strict=True)
    ]
    least = [  # a figure is one word; its header may wrap
        max(low, *(cell_len(w) for w in col[0].split())) if num else low
        for col, low, num in zip(texts, least, numeric, strict=True)
    ]
    widths = list(least)
    spare = room - sum(least)
    if spare >= 0:  # share it fairly: columns that lack little get all they need, the rest split evenly
        pending = sorted((nat - low, i) for i, (nat, low) in enumerate(zip(natural, least, strict=True)))
        while pending:
            lack, i = pending[0]
            if lack * len(pending) <= spare:
                widths[i] += lack
                spare -= lack
                pending.pop(0)
                continue
            for k, (_, j) in enumerate(pending):
                widths[j] += spare // len(pending) + (1 if k < spare % len(pending) else 0)
            break
        return widths
    shrinkable = [i for i, num in enumerate(numeric) if not num]
    while sum(widths) > room and shrinkable:  # the widest gives way; of equals, the first column last
        i = max(shrinkable, key=lambda j: (widths[j], j != 0))
        if widths[i] <= 4:
            break
        widths[i] -= 1
    return widths


def _print_table(frame: Any, title: str | None, columns: list[str], wide: bool) -> None:
    """Print ``columns`` of ``frame`` as a Rich table that fits the terminal (see :func:`_column_widths`);
    ``wide`` prints it as wide as its content instead."""
    from rich import box
    from rich.table import Table

    headers = [str(c).replace("_", " ") for c in columns]
    numeric = [frame[c].dtype.kind in "fiu" for c in columns]
    grouped = [not any(w in str(c).lower() for w in _LABEL_COLUMNS) for c in columns]
    rows = [
        [_cell_text(v, g) for v, g in zip(row.values(), grouped, strict=True)]
        for row in records(frame[columns])
    ]
    texts = [[h, *(r[i] for r in rows)] for i, h in enumerate(headers)]
    gaps = 2 * (len(columns) - 1)  # a padding cell and a divider between neighbouring columns
    room = 1_000_000 if wide else console.width - gaps
    widths = _column_widths(texts, numeric, room)
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    for header, num, width in zip(headers, numeric, widths, strict=True):
        table.add_column(header, justify="right" if num else "left", overflow="ellipsis", width=width)
    for cells in rows:
        table.add_row(*cells)
    out = Console(width=max(console.width, sum(widths) + gaps)) if wide else console
    out.print(table)


def emit(
    frame: Any,
    fmt: OutputFormat,
    columns: list[str] | None = None,
    title: str | None = None,
    table_columns: list[str] | None = None,
    wide: bool = False,
) -> None:
    """Print a DataFrame as a Rich table (of ``table_columns`` if given, every column with ``wide``), CSV or
    a JSON array of records.

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
        keys = [c for c in table_columns or [] if c in sub.columns]
        _print_table(sub, title, list(sub.columns) if wide or not keys else keys, wide)


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


def progress_bar() -> Progress:
    """The one look of critmin's progress bars: description, bar, done/total, time, on stderr, then gone."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


@contextmanager
def progress_steps(description: str, total: int) -> Iterator[Callable[[str], None]]:
    """A Rich progress bar on stderr; yields a callback to advance it by one named step."""
    with progress_bar() as bar:
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


#: ``--wide``: the terminal table shows every column instead of the key ones
WIDE = typer.Option(False, "--wide", help="table: every column, as wide as needed (csv and json have all).")
#: ``--quiet``/``--verbose``: how the warnings of a calculation are shown on stderr
QUIET = typer.Option(False, "--quiet", "-q", help="Print no warnings (the rows' notes keep them).")
VERBOSE = typer.Option(False, "--verbose", "-v", help="Print every warning in full, not a summary.")


def summarise_warnings(messages: list[Warning], verbose: bool = False, limit: int = 3) -> list[str]:
    """One line per kind of warning: same-``topic`` warnings (see ``MissingInputWarning``) become
    "topic (n): first cases; … and k more"; others, and all with ``verbose``, are listed once each."""
    groups: dict[str, list[Warning]] = {}
    for message in messages:
        topic = getattr(message, "topic", None)
        groups.setdefault(str(topic) if topic and not verbose else str(message), []).append(message)
    lines = []
    for key, items in groups.items():
        cases = list(dict.fromkeys(str(getattr(m, "subject", None) or m) for m in items))
        if len(cases) == 1:
            lines.append(str(items[0]))
            continue
        more = f"; … and {len(cases) - limit} more (--verbose lists them)" if len(cases) > limit else ""
        lines.append(f"{key} ({len(cases)}): {'; '.join(cases[:limit])}{more}")
    return lines


@contextmanager
def reported_warnings(quiet: bool = False, verbose: bool = False) -> Iterator[None]:
    """Collect the warnings raised inside the block and print critmin's own on stderr at its end, by
    :func:`summarise_warnings` (none with ``quiet``). Warnings of libraries (pandas, numpy…) are never shown
    as critmin's: they are logged at debug level for developers."""
    import logging
    import warnings

    from rich.markup import escape

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            ours: list[Warning] = []
            for w in caught:
                if type(w.message).__module__.startswith("critmin."):
                    ours.append(w.message)  # type: ignore[arg-type]
                else:
                    logging.getLogger("critmin").debug(
                        "library warning: %s: %s", w.category.__name__, w.message
                    )
            if not quiet:
                for line in summarise_warnings(ours, verbose):
                    err_console.print(f"[yellow]warning:[/] {escape(line)}")
