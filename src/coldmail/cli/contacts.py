"""`contacts show`: one contact with its provenance, justification, messages and requests."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from coldmail.cli._common import command, echo, fail, out_json, ws

contacts_app = typer.Typer(help="Look at contacts.", no_args_is_help=True)


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
            items = (json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v) for v in value)
            value = ", ".join(items) or "-"
        echo(f"{key.ljust(width)}  {value if value not in (None, '') else '-'}")


def register(app: typer.Typer) -> None:
    app.add_typer(contacts_app, name="contacts")
