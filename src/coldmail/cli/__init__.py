"""The command line (docs/cli.md): one module per command group. Thin: it parses arguments, calls
the same service functions as the TUI, and prints.

`app` holds the root command and registers the groups: `setup` (init, demo), `prospects` (import,
lists), `contacts`, `privacy` (where, erase, export, notice, records, requests, retention),
`suppression`, `campaigns` (campaign, send, render, templates), `replies`, `deliverability` (verify,
doctor) and `audit`. `_common` holds what they share: the `command` decorator, which maps
`ColdmailError`s to exit codes 1 and 2 and logs anything else as a bug (exit code 3).

Service modules are imported inside each command, so `coldmail --help` loads no database or UI code."""

from coldmail.cli.app import app, main

__all__ = ["app", "main"]
