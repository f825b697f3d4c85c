"""Messages in doubt: the `messages` group (retry, resolve)."""

from __future__ import annotations

from typing import Annotated

import typer

from coldmail.cli._common import command, err, fail, out_json, ws

messages_app = typer.Typer(help="Messages in doubt: retry failed or unknown ones, resolve unknown ones.",
                           no_args_is_help=True)


@messages_app.command("retry")
@command
def messages_retry(
    campaign: Annotated[str, typer.Option(help="The campaign whose messages to retry.")],
    failed: Annotated[bool, typer.Option("--failed", help="Retry the failed messages.")] = False,
    unknown: Annotated[bool, typer.Option("--unknown", help="Retry the messages whose outcome is unknown.")] = False,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log's note).")] = "",
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Put failed or unknown messages back in the queue, after a person has checked them."""
    from coldmail.outreach import doubt

    if failed == unknown:
        fail("give exactly one of --failed or --unknown")
    done = doubt.retry(ws(), campaign=campaign, state="failed" if failed else "unknown", reason=reason)
    if json_out:
        out_json({"campaign": done.campaign, "state": done.state, "retried": done.count})
    else:
        err.print(f"{done.count} {done.state} message(s) of {done.campaign!r} back in the queue.", markup=False)


@messages_app.command("resolve")
@command
def messages_resolve(
    message_id: Annotated[int, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option(help="How you know (kept in the audit log's note).")],
    sent: Annotated[bool, typer.Option("--sent", help="It did go out.")] = False,
    not_sent: Annotated[bool, typer.Option("--not-sent", help="It did not go out: queue it again.")] = False,
) -> None:
    """Settle a message whose outcome is unknown."""
    from coldmail.outreach import doubt

    if sent == not_sent:
        fail("give exactly one of --sent or --not-sent")
    state = doubt.resolve(ws(), message_id=message_id, sent=sent, reason=reason)
    err.print(f"Message {message_id}: {state}.", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(messages_app, name="messages")
