"""The command line (docs/cli.md): one module per command group. Thin: it parses arguments, calls
the same service functions as the TUI, and prints.

`root` holds the root command (`app`) and registers the groups: `setup` (init, demo), `prospects` (import,
lists), `contacts`, `privacy` (where, erase, export, notice, records, requests, retention),
`suppression`, `campaigns` (campaign, send, render, templates), `replies`, `deliverability` (verify,
doctor) and `audit`. `_common` holds what they share: the `command` decorator, which maps
`ColdmailError`s to exit codes 1 and 2 and logs anything else as a bug (exit code 3).

Service modules are imported inside each command, so `coldmail --help` loads no database or UI code;
`_fast` runs the read commands that must answer in a blink without typer's parsing, and `_light`
reads a SQLite workspace without SQLAlchemy."""

from __future__ import annotations

import sys

__all__ = ["app", "main"]


def main() -> None:
    from coldmail.cli._fast import dispatch

    code = dispatch(sys.argv[1:])
    if code is None:
        from coldmail.cli.root import main as typer_main

        typer_main()
    else:
        sys.exit(code)


def __getattr__(name: str):
    if name == "app":
        from coldmail.cli.root import app

        return app
    raise AttributeError(name)
