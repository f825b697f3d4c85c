"""Campaigns and templates: the `campaign` group (create, list, schedule, pause, resume), `send`,
`render` and the `templates` group (list, check)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coldmail.cli._common import Exit, command, echo, err, out_json, parse_now, progress_bar, write, ws

campaign_app = typer.Typer(help="Campaigns: a list, a template and follow-ups.", no_args_is_help=True)
templates_app = typer.Typer(help="Email templates: list and check them.", no_args_is_help=True)


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
    sender: Annotated[
        str | None, typer.Option(help="Send from this mailbox (default: the controller's sender).")
    ] = None,
    mailbox: Annotated[
        list[str] | None, typer.Option("--mailbox", help="Send from this mailbox; repeatable (default: all).")
    ] = None,
    var: Annotated[
        list[str] | None,
        typer.Option("--var", help='NAME=VALUE for the templates, e.g. topic="route planning"; repeatable.'),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a campaign. A template that uses a campaign variable with no default needs its --var."""
    from coldmail.outreach import campaigns, variables

    view = campaigns.create(ws(), name=name, list_name=list_name, template=template, follow_ups=follow_up or [],
                            sender_email=sender, mailboxes=mailbox or [], variables=variables.parse_vars(var))
    _warn_lia(view)
    for unused in view.unused_variables:
        err.print(f"warning: --var {unused}: none of the campaign's templates uses {unused!r}", markup=False)
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
        paused = f" ({r.pause_reason})" if r.pause_reason else ""
        echo(f"{r.name}\t{r.status}{paused}\t{r.list_name}\t{counts}")


@campaign_app.command("schedule")
@command
def campaign_schedule(
    name: Annotated[str, typer.Argument()],
    now: Annotated[str | None, typer.Option(help="Evaluate as if it were this time.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What is queued, when it may go, and why anything waits."""
    from coldmail.outreach import campaigns

    rows = campaigns.schedule(ws(), name, now=parse_now(now))
    if json_out:
        out_json(rows)
        return
    if not rows:
        err.print(f"Nothing queued for {name!r} yet: messages are queued when `coldmail send` or "
                  "`coldmail run` plans the campaign.", markup=False)
    for r in rows:
        echo(f"{r['not_before'][:16]}\tstep {r['step'] + 1}\t{r['state']}\t{r['email']}\t{r['reason']}")
    from coldmail.outreach import places

    for line in places.warnings(ws(), name):
        err.print(f"warning: {line}", markup=False)


@campaign_app.command("pause")
@command
def campaign_pause(name: Annotated[str, typer.Argument()],
                   reason: Annotated[str, typer.Option(help="Why.")] = "paused by hand") -> None:
    """Pause a campaign."""
    from coldmail.outreach import campaigns
    from coldmail.store.states import CampaignStatus

    campaigns.set_status(ws(), name, CampaignStatus.PAUSED, reason)
    err.print(f"Campaign {name!r} paused.", markup=False)


@campaign_app.command("resume")
@command
def campaign_resume(name: Annotated[str, typer.Argument()]) -> None:
    """Resume a paused campaign."""
    from coldmail.outreach import campaigns
    from coldmail.store.states import CampaignStatus

    campaigns.set_status(ws(), name, CampaignStatus.ACTIVE)
    err.print(f"Campaign {name!r} resumed.", markup=False)


@command
def send(
    campaign: Annotated[str, typer.Argument()],
    smtp: Annotated[
        str | None, typer.Option(help="smtp://HOST:PORT or smtps://HOST:465 (default: coldmail.toml).")
    ] = None,
    dry_run: Annotated[Path | None, typer.Option("--dry-run", help="Write .eml files here instead of sending.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Send at most this many.")] = None,
    now: Annotated[
        str | None, typer.Option(help="Evaluate schedule, windows and caps as if it were this time.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Send the messages of a campaign that are due (suppression, windows and caps apply), once; for a
    sender that runs by itself, see `coldmail run`. Exit code 1 when the server could not be used."""
    import asyncio

    from coldmail.outreach import campaigns as campaigns_
    from coldmail.outreach.sending import Clock, send_campaign

    _warn_lia(campaigns_.get(ws(), campaign))
    clock = Clock(parse_now(now))
    with progress_bar(f"Sending {campaign}") as update:
        summary = asyncio.run(send_campaign(ws(), name=campaign, smtp_url=smtp, dry_run_dir=dry_run, limit=limit,
                                            clock=clock, on_progress=update))
    if not dry_run:
        summary.queued, summary.next_due, summary.next_due_reason = campaigns_.queue_status(ws(), campaign, clock.now())
        if summary.queued and summary.next_time is not None and (
                summary.next_due is None or summary.next_due <= summary.next_time):
            summary.next_due, summary.next_due_reason = summary.next_time, summary.next_reason
    if json_out:
        out_json(summary.to_json())
    else:
        err.print(summary.headline(str(dry_run) if dry_run else ""), markup=False)
        for line in summary.details():
            if not line.startswith(("stopped:", "server:")):
                err.print(f"  {line}", markup=False)
        if not dry_run:
            err.print(summary.tail(clock.now()), markup=False)
    if summary.stopped:
        err.print(f"coldmail: stopped: {summary.stopped}", markup=False)
        raise Exit(2)
    if summary.server_trouble:
        err.print(f"coldmail: {summary.server_trouble}", markup=False)
        raise Exit(1)


@command
def render(
    template: Annotated[str, typer.Argument(help="Template name, e.g. first_touch.")],
    to: Annotated[str, typer.Option("--to", help="The contact to render for.")],
    campaign: Annotated[
        str | None, typer.Option(help="Render as this campaign would (its name and its --var values).")
    ] = None,
    var: Annotated[
        list[str] | None, typer.Option("--var", help="NAME=VALUE for the template (over the campaign's); repeatable.")
    ] = None,
    language: Annotated[str | None, typer.Option("--language", "--lang", help="Notice language override.")] = None,
    text: Annotated[bool, typer.Option("--text", help="Print only the decoded text part, as the recipient reads it.")]
    = False,
) -> None:
    """Print the full message, headers included, exactly as it would be sent to that contact."""
    from coldmail.mail.rendering import compose_for, suppressed_note
    from coldmail.outreach import campaigns, variables

    extra = campaigns.campaign_context(ws(), campaign) if campaign else {}
    extra.update(variables.parse_vars(var))
    variables.require_variables(template, extra, ws().home / "templates", or_campaign=not campaign)
    composed = compose_for(ws(), template=template, email=to, language=language, extra=extra)
    if note := suppressed_note(ws(), to):
        err.print(f"coldmail: note: {note}", markup=False)
    if text:
        message = composed.as_email()
        write(f"Subject: {message['Subject']}\n\n" + message.get_body(("plain",)).get_content().replace("\r\n", "\n"))
        return
    write(composed.raw.decode("ascii", "replace").replace("\r\n", "\n"))


@templates_app.command("list")
@command
def templates_list() -> None:
    """The email templates available (workspace ones override shipped ones by name)."""
    from coldmail.mail.rendering import template_names

    for name in template_names(ws().home / "templates"):
        echo(name)


@templates_app.command("check")
@command
def templates_check(
    names: Annotated[list[str] | None, typer.Argument(help="Templates to check; default all.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Lint templates: undefined variables, missing subjects, spam phrasing, fake urgency; and say which
    variables each uses, and which campaign variables a campaign must give (--var)."""
    from coldmail.mail.lint import campaign_variables, check_all, needs

    home = ws().home / "templates"
    results = check_all(home, names or None)
    if json_out:
        out_json({n: [i.__dict__ for i in issues] for n, issues in results.items()})
    else:
        for n, issues in results.items():
            echo(f"{n}: {'ok' if not issues else f'{len(issues)} issue(s)'}")
            if any(i.line == 0 for i in issues):  # no such template
                echo(f"  {issues[0]}")
                continue
            echo("  needs: " + "; ".join(f"{g}: {', '.join(v)}" for g, v in needs(n, home).items() if v))
            own = campaign_variables(n, home)
            if required := [v for v, r in own.items() if r]:
                echo("  campaign create must give: " + " ".join(f"--var {v}=…" for v in required))
            if optional := [v for v, r in own.items() if not r]:
                echo("  optional (the template has a default): " + " ".join(f"--var {v}=…" for v in optional))
            for i in issues:
                echo(f"  {i}")
    if any(i.severity == "error" for issues in results.values() for i in issues):
        raise Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(send)
    app.command()(render)
    app.add_typer(campaign_app, name="campaign")
    app.add_typer(templates_app, name="templates")
