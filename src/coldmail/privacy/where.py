"""The answer to "where did you get my data?" (Art. 14/15), as fields and as ready text, from the
records: source, date, justification, data held, purpose, legal basis, retention and rights."""

from __future__ import annotations

from coldmail.addresses import normalize_email
from coldmail.contacts.views import load_contact
from coldmail.mail import i18n, templating
from coldmail.store import db
from coldmail.store.models import as_utc
from coldmail.store.workspace import Workspace
from coldmail.suppression.oracle import find as find_suppression

LEGAL_BASIS = "legitimate interests (GDPR Art. 6(1)(f))"


def _retention_text(ws: Workspace) -> str:
    r = ws.config.retention
    return (
        f"If you never hear from us, your data is erased {r.never_contacted_months} months after it "
        f"was collected; if you do not reply, {r.no_reply_months} months after our last message; at most "
        f"{r.replied_months} months after our last exchange. A suppression fingerprint is kept for as "
        "long as it is needed to honour an objection."
    )


def where(ws: Workspace, email: str, *, language: str | None = None) -> dict:
    """Everything needed to answer "where did you get my data?", as fields and as ready text."""
    email = normalize_email(email)
    with db.session_scope(ws.engine, write=False) as session:
        contact = load_contact(session, ws.fingerprint_key, email)
        sup = find_suppression(session, ws.fingerprint_key, email) if contact is None else None
    ctrl = ws.config.controller
    country = contact.country if contact else ""
    answered_in = tuple(code for code in i18n.LANGUAGES
                        if templating.template_exists(f"answers/where.{code}.txt.j2", workspace_templates=ws.home / "templates"))
    lang = i18n.language_for(country, language, available=answered_in)
    authority, authority_url = i18n.authority_for(country, ws.config.supervisory_authority)
    data = {
        "email": email,
        "held": contact is not None,
        "language": lang,
        "controller": ctrl.model_dump(),
        "suppressed": bool(contact.suppressed) if contact else sup is not None,
        "only_fingerprint": contact is None and sup is not None,
        "suppressed_since": as_utc(sup.created_at).isoformat() if sup else None,
        "source": contact.source if contact else None,
        "source_url": contact.source_url if contact else None,
        "source_public": contact.source_public if contact else None,
        "collected_at": contact.collected_at.isoformat() if contact else None,
        # Who collected it, as the controller names them (`init --collected-by`), never an OS account.
        "collected_by": (ctrl.collected_by or f"{ctrl.sender_name}, {ctrl.company}") if contact else None,
        "justification": contact.justification if contact else None,
        "data_held": contact.held() if contact else {},
        "purpose": "; ".join(contact.list_purposes) if contact and contact.list_purposes else (
            "business-to-business outreach about our products and services" if contact else None
        ),
        "legal_basis": LEGAL_BASIS,
        "retention": _retention_text(ws),
        "recipients": list(ws.config.recipients),
        "rights": ["access", "rectification", "erasure", "restriction", "objection", "portability"],
        "how_to_object": (
            f"Reply to this email with 'no thanks', or write to {ctrl.dpo_email or ctrl.sender_email}."
        ),
        "authority": authority,
        "authority_url": authority_url,
    }
    context = {**data, "c": ctrl, "r": ws.config.retention, "collected_date": (contact.collected_at.date().isoformat() if contact else "")}
    data["text"] = templating.render(
        f"answers/where.{lang}.txt.j2",
        context,
        workspace_templates=ws.home / "templates",
        who=email,
    )
    return data
