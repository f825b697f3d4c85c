"""Setting up: `init` records the controller's identity; `demo` builds a throwaway workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coldmail.cli._common import command, echo, err, interactive, out_json, ws


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
    public_url: Annotated[str | None, typer.Option(
        help="https base URL where `coldmail serve` is reachable: one-click unsubscribe and the recipient's page.")] = None,
    collected_by: Annotated[str | None, typer.Option(
        help="The rep or team named as collecting the data (default: the sender).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the identity as JSON.")] = False,
) -> None:
    """Record the controller identity that every email and every answer shows."""
    from coldmail.privacy.controller import init_workspace

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
        public_url=public_url,
        collected_by=collected_by,
    )
    if json_out:
        out_json({"workspace": str(path.parent), "config": str(path), **controller.model_dump()})
    else:
        err.print(f"{'Created' if created else 'Updated'} {path}", markup=False)


@command
def demo(
    no_tui: Annotated[bool, typer.Option("--no-tui", help="Run headless and print a summary.")] = False,
    home: Annotated[Path | None, typer.Option(help="Where to create the demo workspace (default: a temp dir).")] = None,
) -> None:
    """A throwaway workspace: import, send to a local capture server, read four replies, then the TUI."""
    from coldmail.demo import build

    dws, result = build(home, on_step=lambda text: err.print(text, markup=False))
    lines = result.summary().splitlines()
    if lines and lines[-1].startswith("Open it again:"):  # demo.py's line assumes coldmail is on PATH
        lines[-1] = f"Open it again: {reopen_command(result.home)}"
    echo("\n".join(lines))
    if no_tui:
        return
    if not interactive():
        # In a pipe, a script or CI the TUI would wait for keys nobody presses.
        err.print("Not a terminal, so the TUI is not opened (`coldmail demo --no-tui` says so outright).",
                  markup=False)
        return
    from coldmail.tui.app import run

    run(dws)


def reopen_command(home: Path) -> str:
    """A shell command that opens this workspace as shown: `coldmail` by name when the shell finds
    this very program, else its full path (a virtualenv's bin is often not on PATH)."""
    import os
    import shlex
    import shutil
    import sys

    program = Path(sys.executable).parent / "coldmail"
    if not program.exists():
        return f"COLDMAIL_HOME={shlex.quote(str(home))} {shlex.quote(sys.executable)} -m coldmail"
    found = shutil.which("coldmail")
    name = "coldmail" if found and os.path.samefile(found, program) else str(program)
    return f"COLDMAIL_HOME={shlex.quote(str(home))} {shlex.quote(name)}"


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(demo)
