"""Answers to data subjects and the controller's records: `where`, `erase`, `export`, `notice`,
`records`, `retention run` and the `requests` group (list, open, answer, extend)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from coldmail.cli._common import Exit, command, echo, err, out_json, parse_now, parse_time, ws

requests_app = typer.Typer(help="Data-subject requests and their deadlines.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention: erase what is past its time.", no_args_is_help=True)


@command
def where(
    email: Annotated[str, typer.Argument()],
    language: Annotated[str | None, typer.Option("--language", "--lang", help="Answer in this language.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Answer "where did you get my data?" from the records, ready to send."""
    from coldmail.cli._light import read_configured
    from coldmail.privacy.where import Settings, answer

    # The short way (cli/_light.py) when it can be sure, else the workspace opened the usual way.
    data = read_configured(
        lambda execute, key, settings, home: answer(execute, key, email, settings=Settings.from_json(settings),
                                                    home=home, language=language),
        lambda: ws(), lambda config: Settings.of(config).to_json())
    if json_out:
        out_json(data)
    else:
        echo(data["text"], nl=False)


def confirm(question: str, yes: bool) -> None:
    """Ask before an act that cannot be undone, when a person is at the terminal (stdin is a tty) and
    did not pass --yes; scripts (no terminal) keep acting at once, as the contract says."""
    if yes or not sys.stdin.isatty():
        return
    err.print(f"{question} [y/N] ", markup=False, end="")
    try:
        answer = input()
    except EOFError:
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        err.print("Nothing was done.", markup=False)
        raise Exit(1)


YES = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation at a terminal.")]


@command
def erase(
    email: Annotated[str, typer.Argument()],
    json_out: Annotated[bool, typer.Option("--json")] = False,
    yes: YES = False,
) -> None:
    """Erase a person's data, keeping only a suppression fingerprint."""
    from coldmail.privacy.erasure import erase as erase_

    confirm(f"Erase everything held about {email} (this cannot be undone)?", yes)
    result = erase_(ws(), email)
    if json_out:
        out_json(result.to_json())
    else:
        held = "Erased the contact" if result.erased else "No contact was held"
        err.print(f"{held}; the address is suppressed by fingerprint {result.fingerprint[:16]}…", markup=False)
    if not result.checkpoint_complete:
        err.print("warning: another process holds the database open; its WAL could not be emptied yet.", markup=False)


@command
def export_cmd(
    email: Annotated[str, typer.Argument()],
    out: Annotated[Path | None, typer.Option(help="Write the JSON here instead of stdout.")] = None,
) -> None:
    """The Art. 15(3) copy as JSON: all fields, provenance, messages, replies and suppression state."""
    from coldmail.privacy import export

    text = export.dumps(export.export(ws(), email))
    if out:
        out.write_text(text + "\n", encoding="utf-8")
        err.print(f"Written to {out}", markup=False)
    else:
        echo(text)


@command
def notice(language: Annotated[str, typer.Option("--language", "--lang")] = "en") -> None:
    """Print the full Art. 14 privacy notice for the workspace (Markdown), for your website."""
    from coldmail.privacy.notice import render_notice

    echo(render_notice(ws(), language=language), nl=False)


@command
def records() -> None:
    """The record of processing activities (Art. 30), from the configuration and the lists."""
    from coldmail.privacy.records import records as records_

    echo(records_(ws()), nl=False)


@retention_app.command("run")
@command
def retention_run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be erased; erase nothing.")] = False,
    now: Annotated[str | None, typer.Option(help="Evaluate as if it were this time.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Erase contacts past their retention period, keeping suppression fingerprints; each erasure is audited."""
    from coldmail.privacy import retention

    items = retention.retention_run(ws(), dry_run=dry_run, now=parse_now(now))
    if json_out:
        out_json({"dry_run": dry_run, "erased" if not dry_run else "would_erase":
                  [{"email": i.email, "rule": i.rule, "since": i.since.isoformat()} for i in items]})
        return
    for i in items:
        echo(f"{i.email}\t{i.rule}\t(since {i.since:%Y-%m-%d})")
    err.print(f"{len(items)} contact(s) {'would be' if dry_run else 'were'} erased.", markup=False)


@requests_app.command("list")
@command
def requests_list(
    only_open: Annotated[bool, typer.Option("--open", help="Only open requests.")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Requests, overdue first."""
    from coldmail.privacy.requests import list_requests

    rows = list_requests(ws(), only_open=only_open)
    if json_out:
        out_json([{k: r[k] for k in ("id", "email", "kind", "status", "received_at", "due_at")} for r in rows])
        return
    if not rows:
        err.print("No requests.", markup=False)
    for r in rows:
        flag = "OVERDUE " if r["overdue"] else ""
        echo(f"#{r['id']}\t{flag}{r['status']}\t{r['kind']}\t{r['email'] or '(erased)'}\tdue {r['due_at'][:10]}")


@requests_app.command("open")
@command
def requests_open(
    email: Annotated[str, typer.Argument()],
    kind: Annotated[str, typer.Option(help="source, access, erasure, objection or rectification")],
    received: Annotated[str | None, typer.Option(help="When it was received (ISO date); default now.")] = None,
    note: Annotated[str, typer.Option(help="How the request arrived, identity checks…")] = "",
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Open a data-subject request by hand; it is due one calendar month after receipt."""
    from coldmail.privacy.requests import open_request_cmd

    received_at = parse_time(received, option="--received", example="an ISO date such as 2026-01-31")
    item = open_request_cmd(ws(), email=email, kind=kind, received_at=received_at, note=note)
    if json_out:
        out_json(item)
    else:
        err.print(f"Request #{item['id']} ({item['kind']}) opened; due {item['due_at'][:10]}.", markup=False)


@requests_app.command("answer")
@command
def requests_answer(
    request_id: Annotated[int, typer.Argument()],
    send_it: Annotated[bool, typer.Option("--send", help="Send it through the configured SMTP server.")] = False,
    out: Annotated[Path | None, typer.Option(help=(
        "Also write the answer to this file or directory (it is always kept in the workspace's database)."
    ))] = None,
    smtp: Annotated[str | None, typer.Option(help="smtp://HOST:PORT (default: coldmail.toml).")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    yes: YES = False,
) -> None:
    """Answer a request from the records, mark it answered and audit it (erasure erases; objection suppresses)."""
    from coldmail.privacy import requests

    if sys.stdin.isatty() and not yes:
        asked = next((r for r in requests.list_requests(ws()) if r["id"] == request_id), None)
        if asked and asked["kind"] == "erasure" and asked["status"] == "open":
            confirm(f"Request #{request_id} asks for erasure: erase everything held about {asked['email']}?", yes)
    ans = requests.answer(ws(), request_id, send=send_it, out=out, smtp_url=smtp)
    if json_out:
        out_json({"id": request_id, "kind": ans.kind, "language": ans.language, "sent": send_it,
                  "path": str(ans.path) if ans.path else None, "text": ans.text})
    else:
        echo(ans.text, nl=False)
        where_to = " and sent" if send_it else ""
        if ans.path:
            where_to += f"; written to {ans.path}"
        err.print(f"Request #{request_id} answered{where_to}; the answer is kept with the request.", markup=False)


@requests_app.command("extend")
@command
def requests_extend(
    request_id: Annotated[int, typer.Argument()],
    months: Annotated[int, typer.Option(help="1 or 2 more months (Art. 12(3)).")],
    reason: Annotated[str, typer.Option(help="Why; tell the person within the first month.")],
) -> None:
    """Extend a request's deadline by up to two months, with a reason."""
    from coldmail.privacy import requests

    item = requests.extend(ws(), request_id, months=months, reason=reason)
    err.print(f"Request #{request_id} now due {item['due_at'][:10]}.", markup=False)


def register(app: typer.Typer) -> None:
    app.command()(where)
    app.command()(erase)
    app.command("export")(export_cmd)
    app.command()(notice)
    app.command()(records)
    app.add_typer(requests_app, name="requests")
    app.add_typer(retention_app, name="retention")
