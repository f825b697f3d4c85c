"""The `audit` group: verify the hash-chained audit log."""

from __future__ import annotations

from typing import Annotated

import typer

from coldmail.cli._common import Exit, command, echo, out_json, ws

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
@command
def audit_verify(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Check the hash chain: any edited, removed or inserted entry is reported (exit code 1)."""
    from coldmail import audit
    from coldmail.store.db import session_scope

    with session_scope(ws().engine, write=False) as session:
        result = audit.verify(session)
    if json_out:
        out_json({"ok": result.ok, "entries": result.entries, "problems": result.problems})
    elif result.ok:
        echo(f"audit log intact: {result.entries} entries")
    else:
        for p in result.problems:
            echo(p)
    if not result.ok:
        raise Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
