"""The sender as a service: `coldmail run`."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer

from coldmail.cli._common import command, err, out_json, ws


@command
def run(
    smtp: Annotated[str | None, typer.Option(help="Send through this server as the default mailbox.")] = None,
    replies: Annotated[list[Path] | None, typer.Option("--replies", help="A Maildir or folder of .eml files to "
                                                       "read replies from; repeatable.")] = None,
    for_seconds: Annotated[float | None, typer.Option("--for", min=0, help="Stop after this many seconds.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Send every active campaign's messages as they fall due, and read replies (each mailbox's --imap
    inbox, the [imap] accounts and --replies) every poll_seconds, until SIGTERM/SIGINT."""
    import asyncio
    from datetime import UTC, datetime

    from coldmail.outreach.runner import Runner

    def log(line: str) -> None:
        err.print(f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}Z {line}", markup=False)

    runner = Runner(ws(), smtp_url=smtp, replies=replies or [], log=log, fresh=True)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: runner.stop())
    summary = asyncio.run(runner.run(for_seconds))
    if json_out:
        out_json(summary.to_json())


def register(app: typer.Typer) -> None:
    app.command()(run)
