"""The `contacts` group: `list` (paged, filtered) and `show` (one contact with its provenance,
justification, messages, replies and requests)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from coldmail.cli._common import command, echo, err, fail, out_json, ws

contacts_app = typer.Typer(help="Look at contacts.", no_args_is_help=True)

STATUSES = ("new", "contacted", "replied", "opted_out", "bounced", "suppressed", "request")


@contacts_app.command("list")
@command
def contacts_list(
    list_name: Annotated[str, typer.Option("--list", help="Only the contacts on this list.")] = "",
    status: Annotated[str, typer.Option(help=f"Only this status: {', '.join(STATUSES)}.")] = "",
    country: Annotated[str, typer.Option(help="Only this country (ISO code, such as GB).")] = "",
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many rows.")] = 100,
    after: Annotated[int, typer.Option(min=0, help="Start after this contact id (the next page).")] = 0,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List contacts, a page at a time (ordered by id; the last line says how to get the next page)."""
    from coldmail.contacts.paging import ContactFilter, page

    status = status.strip().lower()
    if status and status not in STATUSES:
        fail(f"unknown status {status!r}; use one of: {', '.join(STATUSES)}")
    workspace = ws()
    if list_name:
        from coldmail.prospects.lists import get_list

        if get_list(workspace, list_name) is None:
            fail(f"no list named {list_name!r}")
    rows = page(workspace, after_id=after, limit=limit + 1,
                flt=ContactFilter(list_name=list_name, country=country.strip(), status=status))
    more, rows = len(rows) > limit, rows[:limit]
    if json_out:
        out_json([asdict(r) for r in rows])
    else:
        for r in rows:
            echo("\t".join((str(r.id), r.email, r.name or "-", r.company or "-", r.country or "-", r.status)))
    if more:
        err.print(f"More contacts: add --after {rows[-1].id} for the next page.", markup=False)


@contacts_app.command("show")
@command
def contacts_show(
    email: Annotated[str, typer.Argument()],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show a contact with its provenance, justification, messages, replies and requests."""
    from coldmail.cli._light import read
    from coldmail.contacts.views import read_contact

    contact = read(lambda execute, key: read_contact(execute, key, email), lambda: ws())
    if contact is None:
        fail(f"no contact {email!r}")
    if json_out:
        out_json(contact.to_json())
        return
    for line in human_lines(contact.to_json()):
        echo(line)


def human_lines(data: dict) -> list[str]:
    """A contact's JSON as aligned `key  value` lines, its messages, replies and requests one a line."""
    width = max(len(k) for k in data)
    lines = []
    for key, value in data.items():
        if key in _ITEMS:
            lines.append(f"{key.ljust(width)}  {'-' if not value else ''}".rstrip())
            lines += [f"  - {_ITEMS[key](item)}" for item in value]
            continue
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        if isinstance(value, bool):
            value = "yes" if value else "no"
        lines.append(f"{key.ljust(width)}  {value if value not in (None, '') else '-'}")
    return lines


def _message(m: dict) -> str:
    when = f" on {m['sent_at'][:16].replace('T', ' ')}" if m.get("sent_at") else ""
    subject = f": {m['subject']}" if m.get("subject") else ""
    return f"{m['campaign']} step {m['step']}, {m['state']}{when}{subject}"


def _reply(r: dict) -> str:
    action = f" -> {r['action']}" if r.get("action") else ""
    return f"{r['received_at'][:16].replace('T', ' ')} {r['kind']}{action}"


def _request(q: dict) -> str:
    return f"#{q['id']} {q['kind']}, {q['status']}, received {q['received_at'][:10]}, due {q['due_at'][:10]}"


_ITEMS = {"messages": _message, "replies": _reply, "requests": _request}


def register(app: typer.Typer) -> None:
    app.add_typer(contacts_app, name="contacts")
