"""The command line (docs/cli.md): one module per command group. Thin: it parses arguments, calls
the same service functions as the TUI, and prints."""

from coldmail.cli.app import app, main

__all__ = ["app", "main"]
