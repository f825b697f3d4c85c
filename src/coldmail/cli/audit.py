"""The `audit` group: verify the sealed audit log, and anchor its head outside the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coldmail.cli._common import Exit, command, echo, err, out_json, ws

audit_app = typer.Typer(help="The sealed, hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
@command
def audit_verify(
    anchor: Annotated[str | None, typer.Option(
        "--anchor", help="A file of anchors (from `audit anchor --file`) or one ID:HASH; each must still be in the log.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check the chain (any edited, removed or inserted entry is reported) and, with --anchor, that
    the anchored entries are still there unchanged (exit code 1 on any problem)."""
    from coldmail import audit
    from coldmail.audit import anchors
    from coldmail.store.db import session_scope

    kept = anchors.read(anchor) if anchor else []
    with session_scope(ws().engine, write=False) as session:
        result = audit.verify(session)
        problems = result.problems + anchors.check(session, kept)
    if json_out:
        out_json({"ok": not problems, "entries": result.entries, "problems": problems, "anchors": len(kept)})
    elif not problems:
        echo(f"audit log intact: {result.entries} entries" + (f", {len(kept)} anchor(s) found unchanged" if kept else ""))
    else:
        for p in problems:
            echo(p)
    if problems:
        raise Exit(1)


@audit_app.command("anchor")
@command
def audit_anchor(
    file: Annotated[Path | None, typer.Option(
        "--file", help="Append the anchor to this file (keep it outside the database: another disk, the DPO).")] = None,
) -> None:
    """Print the log's head as an anchor (ENTRY:HASH) for the DPO to keep, or append it to a file;
    `audit verify --anchor` later proves that nothing up to it was removed or rewritten."""
    from coldmail.audit import anchors
    from coldmail.store.db import session_scope

    with session_scope(ws().engine, write=False) as session:
        head = anchors.head(session)
    if head is None:
        err.print("The audit log is empty; nothing to anchor yet.", markup=False)
        raise Exit(1)
    if file is not None:
        anchors.append(file, head)
        err.print(f"Anchor {head.entry_id} appended to {file}.", markup=False)
    echo(str(head))


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
