"""The `replies` group: import replies (files, mbox, Maildir, IMAP), the review queue, and resolving it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coldmail.cli._common import Exit, command, echo, err, fail, out_json, progress_bar, ws

replies_app = typer.Typer(help="Replies: import, review, undo.", no_args_is_help=True)


@replies_app.command("import")
@command
def replies_import(
    paths: Annotated[
        list[Path] | None, typer.Argument(help=".eml files, directories of them, mbox files or Maildirs.")
    ] = None,
    imap: Annotated[
        list[str] | None, typer.Option("--imap", help="Read new messages of this [imap.NAME] account.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSON Lines, one per message.")] = False,
) -> None:
    """Read replies and act: opt-outs suppress, bounces count, data requests open, people stop follow-ups."""
    from coldmail.replies.imap import import_imap
    from coldmail.replies.ingest import import_paths

    if not paths and not imap:
        fail("give PATH… (.eml, directory, mbox, Maildir) and/or --imap ACCOUNT")
    results = []
    with progress_bar("Reading replies") as update:
        if paths:
            results += import_paths(ws(), paths, on_progress=update)
        for account in imap or []:
            results += import_imap(ws(), account, on_progress=update)
    errors = [r for r in results if r.status == "error"]
    if json_out:
        for r in results:
            out_json(r.to_json())
    else:
        for r in results:
            echo(r.line())
    if errors:
        raise Exit(1)


@replies_app.command("review")
@command
def replies_review(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The review queue: replies read with low confidence, waiting for a person."""
    from coldmail.replies.review import list_replies

    rows = list_replies(ws(), status="review")
    if json_out:
        out_json([r.to_json() for r in rows])
        return
    if not rows:
        err.print("Nothing to review.", markup=False)
    for r in rows:
        echo(f"#{r.id}\t{r.kind}\t{r.confidence:.2f}\t{r.email or '-'}\t{r.excerpt[:80]!r}")


@replies_app.command("resolve")
@command
def replies_resolve(
    reply_id: Annotated[int, typer.Argument()],
    as_kind: Annotated[str | None, typer.Option("--as", help=(
        "Act on it as this kind instead: opt_out, complaint, bounce_hard, bounce_soft, auto_reply, "
        "data_request or human."))] = None,
    request: Annotated[str | None, typer.Option(help="For data requests: source, access or erasure.")] = None,
    dismiss: Annotated[bool, typer.Option(help="Take no action.")] = False,
    note: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = "",
) -> None:
    """Confirm, override or dismiss a review item."""
    from coldmail.replies.review import resolve
    from coldmail.store.states import ReplyKind

    kinds = [k.value for k in ReplyKind]
    if as_kind is not None and as_kind not in kinds:
        fail(f"unknown kind {as_kind!r} for --as; use one of: {', '.join(kinds)}")
    view = resolve(ws(), reply_id, as_kind=as_kind, request=request, dismiss=dismiss, note=note)
    err.print(f"#{view.id}: {view.status}: {view.action}", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(replies_app, name="replies")
