"""A campaign's variables (`campaign create --var topic=...`): what a rep may name, and what its
templates need. One line of the rep's text each, escaped where it is shown."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlmodel import Session

from coldmail.errors import BadInput, TemplateProblem
from coldmail.store.models import Campaign, CampaignVar

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
VALUE_MAX = 2000


def parse_var(spec: str) -> tuple[str, str]:
    """`NAME=VALUE` (`--var`) -> (name, value). The name must be one a template can use and not a
    field the contact or the sender already gives; the value is one line of the rep's text."""
    from coldmail.mail.lint import ALWAYS_DEFINED, CONTACT_OPTIONAL, reserved_names

    name, sep, value = spec.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name:
        raise BadInput(f"--var {spec!r} should be NAME=VALUE, e.g. --var topic=\"route planning\"")
    if not _IDENTIFIER.fullmatch(name):
        raise BadInput(f"--var {spec!r}: {name!r} is not a variable name (letters, digits and _, not starting "
                       "with a digit, at most 64 characters)")
    if name in CONTACT_OPTIONAL | {"email"}:
        raise BadInput(f"--var {name}: {name!r} is a contact field, which each contact's record gives; "
                       "choose another name")
    if name in ALWAYS_DEFINED:
        raise BadInput(f"--var {name}: {name!r} comes from `coldmail init` (the sender's identity); "
                       "choose another name")
    if name in reserved_names():
        raise BadInput(f"--var {name}: {name!r} is reserved (" + ("the campaign's name" if name == "campaign"
                       else "a Jinja name") + "); choose another name")
    if not value:
        raise BadInput(f"--var {name}: the value is empty; give one or leave the --var out")
    if _CONTROL.search(value):
        raise BadInput(f"--var {name}: the value must be one line of text, with no line breaks or control characters")
    if len(value) > VALUE_MAX:
        raise BadInput(f"--var {name}: the value is longer than {VALUE_MAX} characters")
    return name, value


def parse_vars(specs: list[str] | None) -> dict[str, str]:
    """Every `--var NAME=VALUE`; a name given twice is an error (which one was meant?)."""
    out: dict[str, str] = {}
    for spec in specs or []:
        name, value = parse_var(spec)
        if name in out:
            raise BadInput(f"--var {name} is given twice")
        out[name] = value
    return out


def require_variables(template: str, given, workspace_templates, *, or_campaign: bool = False) -> None:
    """Refuse a template that uses a campaign variable without a default when it is not given (in
    any of its language versions: the campaign may write to a contact who gets that one)."""
    from coldmail.mail.lint import missing_variables

    missing = missing_variables(template, given, workspace_templates)
    if missing:
        names = ", ".join(repr(m) for m in missing)
        flags = " ".join(f"--var {m}=…" for m in missing)
        how = f"give --campaign NAME or {flags}" if or_campaign else f"add {flags}"
        raise TemplateProblem(f"template {template!r} uses campaign variable{'s' if len(missing) > 1 else ''} "
                              f"{names} with no default: {how}")


def variables_of(session: Session, campaign_id: int) -> dict[str, str]:
    """The variables a campaign gives its templates (`--var`)."""
    return dict(session.execute(select(CampaignVar.name, CampaignVar.value)
                                .where(CampaignVar.campaign_id == campaign_id).order_by(CampaignVar.name)).all())


def context_of(session: Session, campaign: Campaign) -> dict[str, str]:
    """What a campaign adds to its templates' context: its variables and `campaign`, its name."""
    return {**variables_of(session, campaign.id), "campaign": campaign.name}


def asked_by(templates: list[str], workspace_templates) -> dict[str, bool]:
    """The campaign variables a campaign of these templates can be given: name -> required (some
    template uses it without a default). What the TUI asks for when a campaign is created."""
    from coldmail.mail.lint import campaign_variables

    out: dict[str, bool] = {}
    for name in templates:
        for var, required in campaign_variables(name, workspace_templates).items():
            out[var] = out.get(var, False) or required
    return dict(sorted(out.items()))
