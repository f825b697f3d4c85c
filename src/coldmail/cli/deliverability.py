"""DNS checks: `verify` (recipient domains' MX records) and `doctor` (the sender domain's SPF, DKIM, DMARC)."""

from __future__ import annotations

from typing import Annotated

import typer

from coldmail.cli._common import Exit, command, echo, err, out_json, progress_bar, ws


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
    err.print(f"{result.contacts} contacts on {result.domains} domains "
              f"({result.looked_up} looked up, the rest cached): "
              + ", ".join(f"{k} {v}" for k, v in sorted(result.by_status.items())), markup=False)
    if result.flagged:
        err.print("Flags: " + ", ".join(f"{k} {v}" for k, v in sorted(result.flagged.items()))
                  + " (role addresses reach a team, not a person; free-mail addresses are likely personal)",
                  markup=False)
    lines = [("undeliverable", result.undeliverable),
             *((flag, addrs) for flag, addrs in sorted(result.flagged_addresses.items()))]
    for label, addrs in lines:
        for addr in addrs[:SHOWN]:
            echo(f"{label}\t{addr}")
        if len(addrs) > SHOWN:
            err.print(f"… and {len(addrs) - SHOWN} more {label} (use --json for all)", markup=False)


SHOWN = 50  # addresses printed per kind


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
            echo(f"{'ok  ' if f.ok else 'FIX '} {f.check}: {f.detail}" + (f"\n      -> {f.fix}" if f.fix else ""))
    if not all(f.ok for f in findings):
        raise Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(verify)
    app.command()(doctor)
