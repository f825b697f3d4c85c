"""Sending accounts: the `mailbox` group (add, list, remove, resume)."""

from __future__ import annotations

from typing import Annotated

import typer

from coldmail.cli._common import command, echo, err, out_json, ws

mailbox_app = typer.Typer(help="Mailboxes to send from (passwords come from COLDMAIL_PASSWORD_<NAME>).",
                          no_args_is_help=True)


@mailbox_app.command("add")
@command
def mailbox_add(
    name: Annotated[str, typer.Argument()],
    smtp: Annotated[str, typer.Option(help="smtp://USER@HOST:587 or smtps://USER@HOST:465, no password.")],
    from_email: Annotated[str, typer.Option("--from-email", help="The From address.")],
    from_name: Annotated[str, typer.Option("--from-name", help="The sender's name.")] = "",
    imap: Annotated[str, typer.Option(help="imaps://USER@HOST:993/INBOX (imap://: STARTTLS when offered), "
                                      "read for replies by `coldmail run`; same password.")] = "",
    per_day: Annotated[int, typer.Option("--per-day", min=0, help="Cap (default: [sending]).")] = 0,
    per_hour: Annotated[int, typer.Option("--per-hour", min=0)] = 0,
    per_minute: Annotated[int, typer.Option("--per-minute", min=0)] = 0,
) -> None:
    """Add a mailbox. Its password is read from COLDMAIL_PASSWORD_<NAME> when sending; never stored."""
    from coldmail.outreach import mailboxes

    box = mailboxes.add(ws(), name=name, smtp=smtp, from_email=from_email, from_name=from_name, imap=imap,
                        per_day=per_day, per_hour=per_hour, per_minute=per_minute)
    err.print(f"Mailbox {box.name!r} added: {box.from_email}; password from ${box.password_env}.", markup=False)


@mailbox_app.command("list")
@command
def mailbox_list(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Mailboxes, their status and what they sent today."""
    from coldmail.outreach import mailboxes

    rows = mailboxes.listing(ws())
    if json_out:
        out_json(rows)
        return
    for r in rows:
        why = f" ({r['reason']})" if r["reason"] else ""
        echo(f"{r['name']}\t{r['from_email']}\t{r['smtp']}\t{r['status']}{why}\t{r['sent_today']} sent today")


@mailbox_app.command("remove")
@command
def mailbox_remove(name: Annotated[str, typer.Argument()]) -> None:
    """Remove a mailbox from coldmail.toml."""
    from coldmail.outreach import mailboxes

    mailboxes.remove(ws(), name)
    err.print(f"Mailbox {name!r} removed.", markup=False)


@mailbox_app.command("resume")
@command
def mailbox_resume(name: Annotated[str, typer.Argument()]) -> None:
    """Use a paused mailbox again (after fixing its password)."""
    from coldmail.outreach import mailboxes

    mailboxes.resume(ws(), name)
    err.print(f"Mailbox {name!r} resumed.", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(mailbox_app, name="mailbox")
