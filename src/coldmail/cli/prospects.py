"""Prospects: `import` a CSV file, and the `lists` group (list, set, lia)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from coldmail.cli._common import Exit, command, echo, err, fail, out_json, progress_bar, ws

lists_app = typer.Typer(
    help="Prospect lists: purpose, targeting and legitimate-interests assessment.", no_args_is_help=True
)


@command
def import_cmd(
    file: Annotated[Path, typer.Argument(help="CSV file (UTF-8, UTF-8 BOM, UTF-16 or Excel cp1252; , ; or tab).")],
    list_name: Annotated[str, typer.Option("--list", help="The prospect list; created if new.")],
    source: Annotated[str, typer.Option(help="Default source for rows without one.")] = "",
    justification: Annotated[str, typer.Option(help="Default justification for rows without one.")] = "",
    purpose: Annotated[str, typer.Option(help="The list's purpose, if the list is new.")] = "",
    source_url: Annotated[str, typer.Option(
        help="Default URL of where the data was found (a profile column is stored as the profile).")] = "",
    public: Annotated[
        bool | None, typer.Option("--public/--not-public", help="Whether the source is publicly available.")
    ] = None,
    collected_by: Annotated[str, typer.Option(
        help="The rep or team who collected the data (default: the one named at init, else the sender).")] = "",
    verify_domains: Annotated[bool, typer.Option("--verify", help="Check the domains' MX records afterwards.")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import prospects from a CSV file. Rows that can be read are imported; each rejected row is reported with its
    line number (exit code 1). A file that cannot be read at all, or an interrupted import, changes nothing."""
    from coldmail.prospects.importing import import_csv

    try:
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
                collected_by=collected_by,
                on_progress=update,
            )
    except KeyboardInterrupt:
        err.print(f"Interrupted: nothing was imported from {file.name}; the database is unchanged.", markup=False)
        raise Exit(130) from None
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


@lists_app.command("list")
@command
def lists_list(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """All lists with their contact counts and whether the LIA is complete."""
    from coldmail.prospects.lists import all_lists

    rows = all_lists(ws())
    if json_out:
        out_json([{"name": r.name, "purpose": r.purpose, "contacts": r.contacts, "lia_complete": r.lia_complete}
                  for r in rows])
        return
    for r in rows:
        echo(f"{r.name}\t{r.contacts} contacts\tLIA {'complete' if r.lia_complete else 'MISSING'}\t{r.purpose}")


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
    lia_balancing: Annotated[
        str | None, typer.Option(help="LIA part 3: why it does not override the person's interests.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Set a list's purpose, targeting criteria and legitimate-interests assessment."""
    from coldmail.prospects.lists import update_list

    fields = {k: v for k, v in dict(
        purpose=purpose, geography=geography, industry=industry, company_size=company_size, roles=roles,
        lia_purpose=lia_purpose, lia_necessity=lia_necessity, lia_balancing=lia_balancing,
    ).items() if v is not None}
    from coldmail.prospects.lists import get_list

    existed = get_list(ws(), name) is not None
    view = update_list(ws(), name=name, **fields)
    if json_out:
        out_json({k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in view.__dict__.items()})
    else:
        done = "updated" if existed else "created"
        err.print(f"List {view.name!r} {done}; LIA {'complete' if view.lia_complete else 'incomplete'}.", markup=False)


@lists_app.command("lia")
@command
def lists_lia(
    name: Annotated[str, typer.Argument()],
    purpose: Annotated[str | None, typer.Option(help="Purpose test: the legitimate interest.")] = None,
    necessity: Annotated[str | None, typer.Option(help="Necessity test: why this processing is needed.")] = None,
    balancing: Annotated[str | None, typer.Option(help="Balancing test: why it does not override the person.")] = None,
) -> None:
    """Review a list's legitimate-interests assessment, or write it with the options."""
    from coldmail.prospects.lists import get_list, update_list

    fields = {k: v for k, v in (("lia_purpose", purpose), ("lia_necessity", necessity),
                                ("lia_balancing", balancing)) if v is not None}
    view = update_list(ws(), name=name, **fields) if fields else get_list(ws(), name)
    if view is None:
        fail(f"no list {name!r}")
    when = f"{view.lia_recorded_at:%Y-%m-%d} by {view.lia_recorded_by}" if view.lia_recorded_at else "not recorded"
    echo(f"Legitimate-interests assessment for {view.name} ({when})")
    echo(f"1. Purpose:   {view.lia_purpose or 'MISSING'}")
    echo(f"2. Necessity: {view.lia_necessity or 'MISSING'}")
    echo(f"3. Balancing: {view.lia_balancing or 'MISSING'}")
    if not view.lia_complete:
        raise Exit(1)


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
    app.add_typer(lists_app, name="lists")
