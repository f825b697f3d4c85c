"""The command line (see ../shared/cli-contract.md). Thin: it parses, calls the services, prints."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from coldmail import __version__
from coldmail.errors import ColdmailError

err = Console(stderr=True, highlight=False, soft_wrap=True)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    invoke_without_command=True,
    help="B2B cold email with provenance, justification and opt-outs that stick.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
contacts_app = typer.Typer(help="Look at contacts.", no_args_is_help=True)
suppression_app = typer.Typer(help="The suppression list: never write to these again.", no_args_is_help=True)
requests_app = typer.Typer(help="Data-subject requests and their deadlines.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention: erase what is past its time.", no_args_is_help=True)
replies_app = typer.Typer(help="Replies: import, review, undo.", no_args_is_help=True)
campaign_app = typer.Typer(help="Campaigns: a list, a template and follow-ups.", no_args_is_help=True)
templates_app = typer.Typer(help="Email templates: list and check them.", no_args_is_help=True)
lists_app = typer.Typer(help="Prospect lists: purpose, targeting and legitimate-interests assessment.", no_args_is_help=True)
app.add_typer(contacts_app, name="contacts")
app.add_typer(suppression_app, name="suppression")
app.add_typer(requests_app, name="requests")
app.add_typer(audit_app, name="audit")
app.add_typer(lists_app, name="lists")
app.add_typer(templates_app, name="templates")
app.add_typer(campaign_app, name="campaign")
app.add_typer(replies_app, name="replies")
app.add_typer(retention_app, name="retention")



class Exit(Exception):
    def __init__(self, code: int):
        self.code = code


def fail(message: str, code: int = 2) -> None:
    err.print(f"coldmail: {message}", markup=False)
    raise Exit(code)


def command(fn: Callable) -> Callable:
    """Turn known errors into a one-line message and exit code 2; never show a traceback."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exit as exc:
            raise typer.Exit(exc.code) from None
        except ColdmailError as exc:
            err.print(f"coldmail: {exc}", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except (KeyboardInterrupt, typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            log = _log_path()
            try:
                log.parent.mkdir(parents=True, exist_ok=True)
                with log.open("a", encoding="utf-8") as fh:
                    fh.write(f"--- {datetime.now(UTC).isoformat()} {' '.join(sys.argv)}\n")
                    fh.write(traceback.format_exc())
            except OSError:
                pass
            err.print(f"coldmail: unexpected error: {type(exc).__name__}: {exc}. Details: {log}", markup=False)
            raise typer.Exit(3) from None

    return wrapper


def _log_path() -> Path:
    from coldmail.store.config import default_home

    return default_home() / "coldmail.log"


_WS = None


def ws():
    """The workspace, opened (and migrated) on first use in this process."""
    global _WS
    if _WS is None:
        from coldmail.store.workspace import open_workspace

        _WS = open_workspace()
    return _WS


def out_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


@contextmanager
def progress_bar(label: str, enabled: bool | None = None):
    """A rich progress bar on stderr when it is a terminal; yields an update(done, total) callback.

    The bar appears on the first update, so an error found before any work prints alone."""
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    if enabled is None:
        enabled = err.is_terminal
    state: dict = {}

    def update(done: int, total: int) -> None:
        if not enabled:
            return
        if "progress" not in state:
            progress = Progress(
                TextColumn(label), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
                console=err, transient=False,
            )
            progress.start()
            state["progress"], state["task"] = progress, progress.add_task(label, total=total or None)
        state["progress"].update(state["task"], completed=done, total=total or None)

    try:
        yield update
    finally:
        if "progress" in state:
            state["progress"].stop()


# ---------------------------------------------------------------------------- root


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


@app.command()
@command
def init(
    company: Annotated[str | None, typer.Option(help="The controller: your company's legal name.")] = None,
    sender_name: Annotated[str | None, typer.Option(help="Who signs the emails.")] = None,
    sender_email: Annotated[str | None, typer.Option(help="The From address.")] = None,
    postal_address: Annotated[str | None, typer.Option(help="Postal address shown in every email.")] = None,
    privacy_url: Annotated[str | None, typer.Option(help="Link to the full privacy notice.")] = None,
    dpo_email: Annotated[str | None, typer.Option(help="Data protection officer or privacy contact.")] = None,
    country: Annotated[str | None, typer.Option(help="The controller's country (ISO code).")] = None,
    unsubscribe_url: Annotated[str | None, typer.Option(help="https unsubscribe endpoint, if you run one.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the identity as JSON.")] = False,
) -> None:
    """Record the controller identity that every email and every answer shows."""
    from coldmail.store.identity import init_workspace

    controller, path, created = init_workspace(
        ws(),
        company=company,
        sender_name=sender_name,
        sender_email=sender_email,
        postal_address=postal_address,
        privacy_url=privacy_url,
        dpo_email=dpo_email,
        country=country,
        unsubscribe_url=unsubscribe_url,
    )
    if json_out:
        out_json({"workspace": str(path.parent), "config": str(path), **controller.model_dump()})
    else:
        err.print(f"{'Created' if created else 'Updated'} {path}", markup=False)


# ---------------------------------------------------------------------------- import & contacts


@app.command("import")
@command
def import_cmd(
    file: Annotated[Path, typer.Argument(help="CSV file (UTF-8, UTF-8 BOM or Excel cp1252; , ; or tab).")],
    list_name: Annotated[str, typer.Option("--list", help="The prospect list; created if new.")],
    source: Annotated[str, typer.Option(help="Default source for rows without one.")] = "",
    justification: Annotated[str, typer.Option(help="Default justification for rows without one.")] = "",
    purpose: Annotated[str, typer.Option(help="The list's purpose, if the list is new.")] = "",
    source_url: Annotated[str, typer.Option(help="Default source URL.")] = "",
    public: Annotated[
        bool | None, typer.Option("--public/--not-public", help="Whether the source is publicly available.")
    ] = None,
    verify_domains: Annotated[bool, typer.Option("--verify", help="Check the domains' MX records afterwards.")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import prospects from a CSV file: all or nothing; bad rows are reported by line."""
    from coldmail.prospects.importing import import_csv

    with progress_bar(f"Importing {file.name}") as update:
        result = import_csv(
            ws(),
            path=file,
            list_name=list_name,
            source=source,
            justification=justification,
            purpose=purpose,
            source_url=source_url,
            source_public=public,
            on_progress=update,
        )
    if verify_domains:
        import asyncio

        from coldmail.deliverability.checks import verify as verify_

        with progress_bar("Verifying domains") as update:
            checked = asyncio.run(verify_(ws(), list_name=list_name, on_progress=update))
        err.print("Domains: " + ", ".join(f"{k} {v}" for k, v in sorted(checked.by_status.items())), markup=False)
    if json_out:
        out_json(result.to_json())
    else:
        err.print(result.headline(), markup=False)
        for line in result.details():
            err.print(("" if line.startswith("Not stored") else "  ") + line, markup=False)
    if result.rejected:
        raise Exit(1)


@contacts_app.command("show")
@command
def contacts_show(
    email: Annotated[str, typer.Argument()],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show a contact with its provenance, justification, messages and requests."""
    from coldmail.contacts.views import show_contact

    contact = show_contact(ws(), email)
    if contact is None:
        fail(f"no contact {email!r}")
    if json_out:
        out_json(contact.to_json())
        return
    data = contact.to_json()
    width = max(len(k) for k in data)
    for key, value in data.items():
        if isinstance(value, list):
            value = ", ".join(json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v) for v in value) or "-"
        typer.echo(f"{key.ljust(width)}  {value if value not in (None, '') else '-'}")


# ---------------------------------------------------------------------------- lists


@lists_app.command("list")
@command
def lists_list(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """All lists with their contact counts and whether the LIA is complete."""
    from coldmail.prospects.importing import all_lists

    rows = all_lists(ws())
    if json_out:
        out_json([{"name": r.name, "purpose": r.purpose, "contacts": r.contacts, "lia_complete": r.lia_complete} for r in rows])
        return
    for r in rows:
        typer.echo(f"{r.name}\t{r.contacts} contacts\tLIA {'complete' if r.lia_complete else 'MISSING'}\t{r.purpose}")


@lists_app.command("set")
@command
def lists_set(
    name: Annotated[str, typer.Argument()],
    purpose: Annotated[str | None, typer.Option()] = None,
    geography: Annotated[str | None, typer.Option()] = None,
    industry: Annotated[str | None, typer.Option()] = None,
    company_size: Annotated[str | None, typer.Option()] = None,
    roles: Annotated[str | None, typer.Option()] = None,
    lia_purpose: Annotated[str | None, typer.Option(help="LIA part 1: the legitimate interest pursued.")] = None,
    lia_necessity: Annotated[str | None, typer.Option(help="LIA part 2: why email is necessary for it.")] = None,
    lia_balancing: Annotated[str | None, typer.Option(help="LIA part 3: why it does not override the person's interests.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Set a list's purpose, targeting criteria and legitimate-interests assessment."""
    from coldmail.prospects.importing import update_list

    fields = {k: v for k, v in dict(
        purpose=purpose, geography=geography, industry=industry, company_size=company_size, roles=roles,
        lia_purpose=lia_purpose, lia_necessity=lia_necessity, lia_balancing=lia_balancing,
    ).items() if v is not None}
    view = update_list(ws(), name=name, **fields)
    if json_out:
        out_json({k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in view.__dict__.items()})
    else:
        err.print(f"List {view.name!r} updated; LIA {'complete' if view.lia_complete else 'incomplete'}.", markup=False)


# ---------------------------------------------------------------------------- data-subject questions


@app.command()
@command
def where(
    email: Annotated[str, typer.Argument()],
    language: Annotated[str | None, typer.Option("--language", "--lang", help="Answer in this language.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Answer "where did you get my data?" from the records, ready to send."""
    from coldmail.privacy.where import where as where_

    data = where_(ws(), email, language=language)
    if json_out:
        out_json(data)
    else:
        typer.echo(data["text"], nl=False)


@app.command()
@command
def erase(
    email: Annotated[str, typer.Argument()],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Erase a person's data, keeping only a suppression fingerprint."""
    from coldmail.privacy.erasure import erase as erase_

    result = erase_(ws(), email)
    if json_out:
        out_json(result.to_json())
    else:
        held = "Erased the contact" if result.erased else "No contact was held"
        err.print(f"{held}; the address is suppressed by fingerprint {result.fingerprint[:16]}…", markup=False)
    if not result.checkpoint_complete:
        err.print("warning: another process holds the database open; its WAL could not be emptied yet.", markup=False)


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
        typer.echo(f"#{r['id']}\t{flag}{r['status']}\t{r['kind']}\t{r['email'] or '(erased)'}\tdue {r['due_at'][:10]}")


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

    received_at = None
    if received:
        try:
            received_at = datetime.fromisoformat(received.replace("Z", "+00:00"))
        except ValueError:
            fail(f"--received {received!r} is not an ISO date such as 2026-01-31")
        if received_at.tzinfo is None:
            received_at = received_at.replace(tzinfo=UTC)
    item = open_request_cmd(ws(), email=email, kind=kind, received_at=received_at, note=note)
    if json_out:
        out_json(item)
    else:
        err.print(f"Request #{item['id']} ({item['kind']}) opened; due {item['due_at'][:10]}.", markup=False)


# ---------------------------------------------------------------------------- templates


@app.command()
@command
def render(
    template: Annotated[str, typer.Argument(help="Template name, e.g. first_touch.")],
    to: Annotated[str, typer.Option("--to", help="The contact to render for.")],
    campaign: Annotated[str | None, typer.Option(help="Render as this campaign would (its context).")] = None,
    language: Annotated[str | None, typer.Option("--language", "--lang", help="Notice language override.")] = None,
) -> None:
    """Print the full message, headers included, exactly as it would be sent to that contact."""
    from coldmail.mail.rendering import compose_for

    extra = None
    if campaign:
        from coldmail.outreach.campaigns import campaign_context

        extra = campaign_context(ws(), campaign)
    composed = compose_for(ws(), template=template, email=to, language=language, extra=extra)
    sys.stdout.write(composed.raw.decode("ascii", "replace").replace("\r\n", "\n"))


@templates_app.command("list")
@command
def templates_list() -> None:
    """The email templates available (workspace ones override shipped ones by name)."""
    from coldmail.mail.rendering import template_names

    for name in template_names(ws().home / "templates"):
        typer.echo(name)


@templates_app.command("check")
@command
def templates_check(
    names: Annotated[list[str] | None, typer.Argument(help="Templates to check; default all.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Lint templates: undefined variables, missing subjects, spam phrasing, fake urgency."""
    from coldmail.mail.lint import check_all

    results = check_all(ws().home / "templates", names or None)
    if json_out:
        out_json({n: [i.__dict__ for i in issues] for n, issues in results.items()})
    else:
        for n, issues in results.items():
            typer.echo(f"{n}: {'ok' if not issues else f'{len(issues)} issue(s)'}")
            for i in issues:
                typer.echo(f"  {i}")
    if any(i.severity == "error" for issues in results.values() for i in issues):
        raise Exit(1)


@app.command()
@command
def notice(language: Annotated[str, typer.Option("--language", "--lang")] = "en") -> None:
    """Print the full Art. 14 privacy notice for the workspace (Markdown), for your website."""
    from coldmail.privacy.notice import render_notice

    typer.echo(render_notice(ws(), language=language), nl=False)


# ---------------------------------------------------------------------------- campaigns and sending


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"--now {value!r} is not an ISO timestamp such as 2026-11-23T10:00:00+00:00")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _warn_lia(view) -> None:
    """Warn on stderr when the campaign's list has no complete legitimate-interests assessment."""
    if view.lia_warning:
        err.print(f"warning: {view.lia_warning}; record it with "
                  f"`coldmail lists lia {view.list_name} --purpose … --necessity … --balancing …`", markup=False)


@campaign_app.command("create")
@command
def campaign_create(
    name: Annotated[str, typer.Argument()],
    list_name: Annotated[str, typer.Option("--list", help="The prospect list to write to.")],
    template: Annotated[str, typer.Option(help="The first-touch template.")],
    follow_up: Annotated[list[str] | None, typer.Option("--follow-up", help="TEMPLATE:DAYS, repeatable.")] = None,
    sender: Annotated[str | None, typer.Option(help="Send from this mailbox (default: the controller's sender).")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a campaign."""
    from coldmail.outreach import campaigns

    view = campaigns.create(ws(), name=name, list_name=list_name, template=template, follow_ups=follow_up or [],
                            sender_email=sender)
    _warn_lia(view)
    if json_out:
        out_json(view.to_json())
    else:
        err.print(f"Campaign {view.name!r} created: {' -> '.join(s.template for s in view.steps)}", markup=False)


@campaign_app.command("list")
@command
def campaign_list(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Campaigns with their message counts by state."""
    from coldmail.outreach import campaigns

    rows = campaigns.all_campaigns(ws())
    if json_out:
        out_json([r.to_json() for r in rows])
        return
    for r in rows:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(r.counts.items())) or "nothing queued yet"
        typer.echo(f"{r.name}\t{r.status}{' (' + r.pause_reason + ')' if r.pause_reason else ''}\t{r.list_name}\t{counts}")


@campaign_app.command("schedule")
@command
def campaign_schedule(
    name: Annotated[str, typer.Argument()],
    now: Annotated[str | None, typer.Option(help="Evaluate as if it were this time.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What is queued, when it may go, and why anything waits."""
    from coldmail.outreach import campaigns

    rows = campaigns.schedule(ws(), name, now=_parse_now(now))
    if json_out:
        out_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['not_before'][:16]}\tstep {r['step']}\t{r['state']}\t{r['email']}\t{r['reason']}")


@campaign_app.command("pause")
@command
def campaign_pause(name: Annotated[str, typer.Argument()],
                   reason: Annotated[str, typer.Option(help="Why.")] = "paused by hand") -> None:
    """Pause a campaign."""
    from coldmail.outreach import campaigns

    campaigns.set_status(ws(), name, "paused", reason)
    err.print(f"Campaign {name!r} paused.", markup=False)


@campaign_app.command("resume")
@command
def campaign_resume(name: Annotated[str, typer.Argument()]) -> None:
    """Resume a paused campaign."""
    from coldmail.outreach import campaigns

    campaigns.set_status(ws(), name, "active")
    err.print(f"Campaign {name!r} resumed.", markup=False)


@app.command()
@command
def send(
    campaign: Annotated[str, typer.Argument()],
    smtp: Annotated[str | None, typer.Option(help="smtp://HOST:PORT or smtps://HOST:465 (default: coldmail.toml).")] = None,
    dry_run: Annotated[Path | None, typer.Option("--dry-run", help="Write .eml files here instead of sending.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Send at most this many.")] = None,
    now: Annotated[str | None, typer.Option(help="Evaluate schedule, windows and caps as if it were this time.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Send the messages of a campaign that are due (suppression, windows and caps apply)."""
    import asyncio

    from coldmail.outreach import campaigns as campaigns_
    from coldmail.outreach.sending import send_campaign

    _warn_lia(campaigns_.get(ws(), campaign))
    with progress_bar(f"Sending {campaign}") as update:
        summary = asyncio.run(send_campaign(ws(), name=campaign, smtp_url=smtp, dry_run_dir=dry_run, limit=limit,
                                            now=_parse_now(now), on_progress=update))
    if json_out:
        out_json(summary.to_json())
    else:
        err.print(summary.headline(str(dry_run) if dry_run else ""), markup=False)
        for line in summary.details():
            if not line.startswith("stopped:"):
                err.print(f"  {line}", markup=False)
    if summary.stopped:
        err.print(f"coldmail: stopped: {summary.stopped}", markup=False)
        raise Exit(2)


# ---------------------------------------------------------------------------- replies


@replies_app.command("import")
@command
def replies_import(
    paths: Annotated[list[Path] | None, typer.Argument(help=".eml files, directories of them, mbox files or Maildirs.")] = None,
    imap: Annotated[list[str] | None, typer.Option("--imap", help="Read new messages of this [imap.NAME] account.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSON Lines, one per message.")] = False,
) -> None:
    """Read replies and act: opt-outs suppress, bounces count, data requests open, people stop follow-ups."""
    from coldmail.replies.ingest import import_imap, import_paths

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
            typer.echo(r.line())
    if errors:
        raise Exit(1)


@replies_app.command("review")
@command
def replies_review(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The review queue: replies read with low confidence, waiting for a person."""
    from coldmail.replies.ingest import list_replies

    rows = list_replies(ws(), status="review")
    if json_out:
        out_json([r.to_json() for r in rows])
        return
    if not rows:
        err.print("Nothing to review.", markup=False)
    for r in rows:
        typer.echo(f"#{r.id}\t{r.kind}\t{r.confidence:.2f}\t{r.email or '-'}\t{r.excerpt[:80]!r}")


@replies_app.command("resolve")
@command
def replies_resolve(
    reply_id: Annotated[int, typer.Argument()],
    as_kind: Annotated[str | None, typer.Option("--as", help="Act on it as this kind instead.")] = None,
    request: Annotated[str | None, typer.Option(help="For data requests: source, access or erasure.")] = None,
    dismiss: Annotated[bool, typer.Option(help="Take no action.")] = False,
    note: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = "",
) -> None:
    """Confirm, override or dismiss a review item."""
    from coldmail.replies.ingest import resolve

    view = resolve(ws(), reply_id, as_kind=as_kind, request=request, dismiss=dismiss, note=note)
    err.print(f"#{view.id}: {view.status}: {view.action}", markup=False)


@suppression_app.command("undo")
@command
def suppression_undo(
    target: Annotated[str, typer.Argument(metavar="EMAIL|@DOMAIN")],
    reason: Annotated[str, typer.Option(help="Why the suppression was wrong (audited).")],
) -> None:
    """Remove a wrong suppression (e.g. an auto-reply mistaken for an opt-out), with a reason."""
    from coldmail.replies.ingest import undo_suppression

    undo_suppression(ws(), target, reason=reason)
    err.print(f"{target} is no longer suppressed.", markup=False)


# ---------------------------------------------------------------------------- deliverability


@app.command()
@command
def verify(
    list_name: Annotated[str | None, typer.Option("--list", help="Only this list.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check recipient domains (MX, falling back to A/AAAA; null MX and NXDOMAIN are undeliverable)."""
    import asyncio

    from coldmail.deliverability.checks import verify as verify_

    with progress_bar("Verifying domains") as update:
        result = asyncio.run(verify_(ws(), list_name=list_name, on_progress=update))
    if json_out:
        out_json(result.to_json())
        return
    err.print(f"{result.contacts} contacts on {result.domains} domains ({result.looked_up} looked up, the rest cached): "
              + ", ".join(f"{k} {v}" for k, v in sorted(result.by_status.items())), markup=False)
    if result.flagged:
        err.print("Flags: " + ", ".join(f"{k} {v}" for k, v in sorted(result.flagged.items()))
                  + " (role addresses reach a team, not a person; free-mail addresses are likely personal)", markup=False)
    for addr in result.undeliverable[:50]:
        typer.echo(f"undeliverable\t{addr}")


@app.command()
@command
def doctor(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Check the sender's domain: SPF, DKIM, DMARC and alignment, with how to fix what is missing."""
    import asyncio

    from coldmail.deliverability.checks import doctor as doctor_

    findings = asyncio.run(doctor_(ws()))
    if json_out:
        out_json([f.__dict__ for f in findings])
    else:
        for f in findings:
            typer.echo(f"{'ok  ' if f.ok else 'FIX '} {f.check}: {f.detail}" + (f"\n      -> {f.fix}" if f.fix else ""))
    if not all(f.ok for f in findings):
        raise Exit(1)


# ---------------------------------------------------------------------------- demo


@app.command()
@command
def demo(
    no_tui: Annotated[bool, typer.Option("--no-tui", help="Run headless and print a summary.")] = False,
    home: Annotated[Path | None, typer.Option(help="Where to create the demo workspace (default: a temp dir).")] = None,
) -> None:
    """A throwaway workspace: import, send to a local capture server, read four replies, then the TUI."""
    from coldmail.demo import build

    dws, result = build(home, on_step=lambda text: err.print(text, markup=False))
    typer.echo(result.summary())
    if not no_tui:
        from coldmail.tui.app import run

        run(dws)


# ---------------------------------------------------------------------------- data-subject requests


@requests_app.command("answer")
@command
def requests_answer(
    request_id: Annotated[int, typer.Argument()],
    send_it: Annotated[bool, typer.Option("--send", help="Send it through the configured SMTP server.")] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the answer to this file or directory (it is always kept in the workspace's database).")] = None,
    smtp: Annotated[str | None, typer.Option(help="smtp://HOST:PORT (default: coldmail.toml).")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Answer a request from the records, mark it answered and audit it (erasure erases; objection suppresses)."""
    from coldmail.privacy import requests

    ans = requests.answer(ws(), request_id, send=send_it, out=out, smtp_url=smtp)
    if json_out:
        out_json({"id": request_id, "kind": ans.kind, "language": ans.language, "sent": send_it,
                  "path": str(ans.path) if ans.path else None, "text": ans.text})
    else:
        typer.echo(ans.text, nl=False)
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


@app.command("export")
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
        typer.echo(text)


@retention_app.command("run")
@command
def retention_run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be erased; erase nothing.")] = False,
    now: Annotated[str | None, typer.Option(help="Evaluate as if it were this time.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Erase contacts past their retention period, keeping suppression fingerprints; each erasure is audited."""
    from coldmail.privacy import retention

    items = retention.retention_run(ws(), dry_run=dry_run, now=_parse_now(now))
    if json_out:
        out_json({"dry_run": dry_run, "erased" if not dry_run else "would_erase":
                  [{"email": i.email, "rule": i.rule, "since": i.since.isoformat()} for i in items]})
        return
    for i in items:
        typer.echo(f"{i.email}\t{i.rule}\t(since {i.since:%Y-%m-%d})")
    err.print(f"{len(items)} contact(s) {'would be' if dry_run else 'were'} erased.", markup=False)


@app.command()
@command
def records() -> None:
    """The record of processing activities (Art. 30), from the configuration and the lists."""
    from coldmail.privacy.records import records as records_

    typer.echo(records_(ws()), nl=False)


@lists_app.command("lia")
@command
def lists_lia(
    name: Annotated[str, typer.Argument()],
    purpose: Annotated[str | None, typer.Option(help="Purpose test: the legitimate interest.")] = None,
    necessity: Annotated[str | None, typer.Option(help="Necessity test: why this processing is needed.")] = None,
    balancing: Annotated[str | None, typer.Option(help="Balancing test: why it does not override the person.")] = None,
) -> None:
    """Review a list's legitimate-interests assessment, or write it with the options."""
    from coldmail.prospects.importing import get_list, update_list

    fields = {k: v for k, v in (("lia_purpose", purpose), ("lia_necessity", necessity),
                                ("lia_balancing", balancing)) if v is not None}
    view = update_list(ws(), name=name, **fields) if fields else get_list(ws(), name)
    if view is None:
        fail(f"no list {name!r}")
    when = f"{view.lia_recorded_at:%Y-%m-%d} by {view.lia_recorded_by}" if view.lia_recorded_at else "not recorded"
    typer.echo(f"Legitimate-interests assessment for {view.name} ({when})")
    typer.echo(f"1. Purpose:   {view.lia_purpose or 'MISSING'}")
    typer.echo(f"2. Necessity: {view.lia_necessity or 'MISSING'}")
    typer.echo(f"3. Balancing: {view.lia_balancing or 'MISSING'}")
    if not view.lia_complete:
        raise Exit(1)


# ---------------------------------------------------------------------------- suppression


@suppression_app.command("add")
@command
def suppression_add(
    target: Annotated[str, typer.Argument(metavar="EMAIL|@DOMAIN")],
    reason: Annotated[str, typer.Option(help="Why (opt-out, complaint, bounce, erasure…).")],
    evidence: Annotated[str, typer.Option(help="The evidence: a note, or the reply that asked.")] = "",
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Never write to this address or domain again."""
    from coldmail.suppression import register as suppression

    view, created = suppression.add(ws(), target=target, reason=reason, evidence=evidence)
    if json_out:
        out_json({**view.to_json(), "created": created})
    else:
        what = view.email or f"@{view.domain}"
        err.print(f"{what} {'suppressed' if created else 'was already suppressed'} ({view.reason}).", markup=False)


@suppression_app.command("check")
@command
def suppression_check(
    email: Annotated[str, typer.Argument()],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Is this address suppressed (directly or through its domain)? Exit code 0 either way."""
    from coldmail.suppression import register as suppression

    view = suppression.check(ws(), email)
    data = {"suppressed": view is not None, "reason": view.reason if view else None,
            "since": view.since.isoformat() if view else None}
    if json_out:
        out_json(data)
    elif view:
        typer.echo(f"suppressed since {data['since']}: {view.reason}")
    else:
        typer.echo("not suppressed")


@suppression_app.command("list")
@command
def suppression_list(
    search: Annotated[str, typer.Option(help="Only entries containing this text.")] = "",
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every suppression; erased people appear as a fingerprint only."""
    from coldmail.suppression import register as suppression

    rows = suppression.list_all(ws(), search=search)
    if json_out:
        out_json([r.to_json() for r in rows])
        return
    for r in rows:
        who = r.email or (f"@{r.domain}" if r.domain else f"(fingerprint {r.fingerprint[:12]}…)")
        typer.echo(f"{who}\t{r.reason}\t{r.since.isoformat()}")


# ---------------------------------------------------------------------------- audit


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
        typer.echo(f"audit log intact: {result.entries} entries")
    else:
        for p in result.problems:
            typer.echo(p)
    if not result.ok:
        raise Exit(1)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    app()
