"""The `suppression` group: add, check, list and undo entries of the list that is never written to."""

from __future__ import annotations

from typing import Annotated

import typer

from coldmail.cli._common import command, echo, err, out_json, ws

suppression_app = typer.Typer(help="The suppression list: never write to these again.", no_args_is_help=True)


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
    target: Annotated[str, typer.Argument(metavar="EMAIL|@DOMAIN")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Is this address or domain suppressed (itself or a parent domain)? Exit code 0 either way."""
    from coldmail.addresses import normalize_domain, normalize_email
    from coldmail.cli._light import read
    from coldmail.suppression.oracle import lookup

    target = target.strip()
    value = "@" + normalize_domain(target) if target.startswith("@") else normalize_email(target)
    found = read(lambda execute, key: lookup(execute, key, value), lambda: ws())
    data = {"suppressed": found is not None, "reason": found[0] if found else None,
            "since": found[1].isoformat() if found else None}
    if json_out:
        out_json(data)
    elif found:
        echo(f"suppressed since {data['since']}: {data['reason']}")
    else:
        echo("not suppressed")


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
        echo(f"{who}\t{r.reason}\t{r.since.isoformat()}")


@suppression_app.command("undo")
@command
def suppression_undo(
    target: Annotated[str, typer.Argument(metavar="EMAIL|@DOMAIN")],
    reason: Annotated[str, typer.Option(help="Why the suppression was wrong (audited).")],
) -> None:
    """Remove a wrong suppression (e.g. an auto-reply mistaken for an opt-out), with a reason."""
    from coldmail.suppression import register as suppression

    suppression.undo(ws(), target, reason=reason)
    err.print(f"{target} is no longer suppressed.", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(suppression_app, name="suppression")
