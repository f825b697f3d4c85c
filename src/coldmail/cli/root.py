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
    mailbox,
    messages,
    privacy,
    prospects,
    replies,
    run,
    serve,
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


for _group in (setup, prospects, contacts, privacy, suppression, campaigns, replies, deliverability, audit, serve,
               mailbox, messages, run):
    _group.register(app)


def _first_lines(typer_app: typer.Typer) -> None:
    """Give each command the first line of its docstring as its line in `--help`: click would cut it
    at the first period, which is mid-sentence in "The Art. 15(3) copy…"."""
    for info in typer_app.registered_commands:
        doc = info.help or (info.callback.__doc__ if info.callback else None)
        if info.short_help is None and doc:
            info.short_help = _first_sentence(doc)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            doc = group.typer_instance.info.help
            if isinstance(doc, str) and doc:  # click would cut it at 45 characters, with "..."
                group.short_help = group.typer_instance.info.short_help = _first_sentence(doc)
            _first_lines(group.typer_instance)


def _first_sentence(doc: str) -> str:
    """The docstring's first paragraph, up to the end of its first sentence (a docstring line may
    end mid-sentence: "... each rejected row is reported with its")."""
    paragraph = " ".join(line.strip() for line in doc.strip().split("\n\n")[0].splitlines())
    cut = paragraph.find(". ")
    while cut != -1 and paragraph[max(0, cut - 4):cut].endswith(("Art", "e.g", "i.e")):
        cut = paragraph.find(". ", cut + 1)
    return paragraph[:cut + 1] if cut != -1 else paragraph


_first_lines(app)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    app()
