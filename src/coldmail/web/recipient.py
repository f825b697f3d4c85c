"""From a token in a link to the person it was issued for, and the three things they may ask for:
stop (objection, Art. 21), a copy (Art. 15) and erasure (Art. 17). Each goes through the one home
of its question (suppression.register.suppress, privacy.export.export, privacy.erasure.erase),
which audits it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from coldmail.contacts.views import ContactView, load_contact
from coldmail.privacy.erasure import erase
from coldmail.privacy.export import export
from coldmail.store import db
from coldmail.store.models import Contact
from coldmail.store.workspace import Workspace
from coldmail.suppression import tokens
from coldmail.suppression.register import suppress

ONE_CLICK_REASON = "one-click unsubscribe (RFC 8058)"
OBJECTION_REASON = "objection on the recipient's page"
ERASURE_REASON = "erasure request"


@dataclass(frozen=True)
class Resolved:
    """A token we issued. `contact` is None when the person was erased: only the fingerprint is left."""

    token: str
    contact: ContactView | None


def resolve(ws: Workspace, token: str) -> Resolved | None:
    """The person a token names, or None for a malformed or forged token (the caller answers 404)."""
    contact_id = tokens.read(ws.fingerprint_key, token)
    if contact_id is None:
        return None
    with db.session_scope(ws.engine, write=False) as session:
        email = session.execute(select(Contact.email).where(Contact.id == contact_id)).scalar()
        contact = load_contact(session, ws.fingerprint_key, email) if email else None
    return Resolved(token=token.strip().lower(), contact=contact)


def stop(ws: Workspace, who: Resolved, *, reason: str) -> bool:
    """Suppress the person at once (idempotent). Returns True when this call added the entry."""
    if who.contact is None:
        return False  # erased: the fingerprint already keeps them suppressed
    with db.session_scope(ws.engine) as session:
        _row, created = suppress(session, key=ws.fingerprint_key, actor=ws.actor, target=who.contact.email,
                                 reason=reason)
    return created


def copy(ws: Workspace, who: Resolved) -> dict | None:
    """The Art. 15 copy, or None when nothing is held."""
    return export(ws, who.contact.email) if who.contact is not None else None


def forget(ws: Workspace, who: Resolved) -> bool:
    """Erase the person, keeping the suppression fingerprint. False when already erased."""
    if who.contact is None:
        return False
    erase(ws, who.contact.email)
    return True
