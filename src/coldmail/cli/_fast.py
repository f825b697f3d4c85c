"""The shortest way to the commands that must answer in a blink: `coldmail suppression check
TARGET [--json]`, `coldmail contacts show EMAIL [--json]` and `coldmail where EMAIL [--json]`,
exactly in these shapes, call their command functions directly. Typer (0.29) coerces every
parameter through a pydantic TypeAdapter, which costs more to import than the whole answer may
take; anything else (another option, `--help`, a misspelling) goes to typer, which parses and words
errors as usual. A test runs each shape both ways and expects the same output and exit code."""

from __future__ import annotations

import importlib

# (group, command) or (command,) -> (module, function): the function is the typer command itself.
FAST = {
    ("suppression", "check"): ("coldmail.cli.suppression", "suppression_check"),
    ("contacts", "show"): ("coldmail.cli.contacts", "contacts_show"),
    ("where",): ("coldmail.cli.privacy", "where"),
}


def dispatch(argv: list[str]) -> int | None:
    """Run `argv` if it is one of the fast shapes and return its exit code; otherwise None."""
    words = next((w for w in (tuple(argv[:1]), tuple(argv[:2])) if w in FAST), None)
    if words is None:
        return None
    rest = argv[len(words):]
    json_out = "--json" in rest
    args = [a for a in rest if a != "--json"]
    if len(args) != 1 or len(rest) - len(args) != int(json_out) or args[0].startswith("-"):
        return None
    module, name = FAST[words]
    fn = getattr(importlib.import_module(module), name)
    import typer

    try:
        fn(args[0], json_out=json_out)
    except typer.Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return 0
