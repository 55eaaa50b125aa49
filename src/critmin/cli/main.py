"""Entry point of the ``critmin`` command: assembles the command groups."""

from __future__ import annotations

from importlib import import_module

import typer

app = typer.Typer(
    name="critmin",
    help="Critical-mineral supply chains: who produces what, which export controls apply, how exposed you are.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

COMMAND_MODULES = ("data_cmd", "db_cmd", "import_cmd", "brief_cmd", "risk_cmd", "events_cmd")

for _module in COMMAND_MODULES:
    import_module(f"critmin.cli.{_module}").register(app)
