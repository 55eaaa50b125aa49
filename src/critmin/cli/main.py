"""Entry point of the ``critmin`` command: assembles the command groups behind one error boundary.

Errors a user can act on (an unknown name, a year or edition the store lacks, an unusable store or output
path, a malformed import file) end every command with one ``error:`` line on stderr and exit status 2.
Anything else is a bug in critmin: one line naming it and exit status 1; ``CRITMIN_DEBUG=1`` shows the
traceback instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperGroup

from critmin.cli.common import fail

#: set to 1 to let unexpected errors show their Python traceback
DEBUG_ENV = "CRITMIN_DEBUG"


def _known_errors() -> tuple[type[BaseException], ...]:
    """The library's error types whose message is meant for the user (imported only when one occurred)."""
    from critmin.data.build import BuildError
    from critmin.data.importers import ImportFormatError
    from critmin.query import NoDataError
    from critmin.risk import MissingInputError
    from critmin.scenario.spec import ScenarioSpecError
    from critmin.store import StoreError
    from critmin.vocab import UnknownNameError

    return (
        UnknownNameError,
        NoDataError,
        MissingInputError,
        StoreError,
        ImportFormatError,
        BuildError,
        ScenarioSpecError,
    )


def describe_os_error(exc: OSError) -> str:
    """One line for a failed file operation: what went wrong and on which path(s)."""
    what = exc.strerror or str(exc)
    paths = " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p is not None)
    return f"{what}: {paths}" if paths else what


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn an exception into one ``error:`` line: usage and library errors exit 2, bugs exit 1."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except typer.TyperException as exc:  # usage errors; "no arguments" shows the help as it should
        if type(exc).__name__ == "NoArgsIsHelpError" or getattr(exc, "exit_code", 1) != 2:
            raise
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        raise fail(f"{exc.format_message().rstrip('.')}{hint}") from None
    except OSError as exc:
        raise fail(describe_os_error(exc)) from None
    except Exception as exc:
        if isinstance(exc, _known_errors()):
            raise fail(str(exc)) from None
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            raise
        raise fail(
            f"internal error ({type(exc).__name__}: {exc}); please report it "
            f"(set {DEBUG_ENV}=1 to see the traceback)",
            code=1,
        ) from None


class SafeGroup(TyperGroup):
    """The top-level command group: parses and runs every command inside :func:`one_line_errors`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Parse the top-level arguments; a usage error becomes one line."""
        with one_line_errors():
            return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        """Run the command (its own arguments are parsed here too)."""
        with one_line_errors():
            return super().invoke(ctx)


app = typer.Typer(
    name="critmin",
    help="Critical-mineral supply chains: who produces what, which export controls apply, how exposed you are.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=SafeGroup,
)

COMMAND_MODULES = ("data_cmd", "db_cmd", "import_cmd", "brief_cmd", "risk_cmd", "events_cmd", "news_cmd", "news_ingest_cmd", "watch_cmd", "serve_cmd", "scenario_cmd", "sweep_cmd", "backtest_cmd")  # fmt: skip

for _module in COMMAND_MODULES:
    import_module(f"critmin.cli.{_module}").register(app)
