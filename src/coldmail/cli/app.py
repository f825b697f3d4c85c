"""The root command: the Typer app, `--version`, the terminal UI when no command is given, and
`main`; each command group lives in a module of its own and registers itself here."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from coldmail import __version__
from coldmail.cli import (
    audit,
    campaigns,
    contacts,
    deliverability,
    privacy,
    prospects,
    replies,
    setup,
    suppression,
)
from coldmail.cli._common import command, ws

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    invoke_without_command=True,
    help="B2B cold email with provenance, justification and opt-outs that stick.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """With no command, open the terminal UI."""
    if version:
        typer.echo(f"coldmail {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        _run_tui()


@command
def _run_tui() -> None:
    from coldmail.tui.app import run

    run(ws())


for _group in (setup, prospects, contacts, privacy, suppression, campaigns, replies, deliverability, audit):
    _group.register(app)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    app()
