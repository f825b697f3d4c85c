"""The Art. 15(3) copy: every field, the provenance, messages, replies and suppression state."""

from __future__ import annotations

import json

from sqlalchemy import or_, select

from coldmail import audit
from coldmail.addresses import normalize_email
from coldmail.contacts.views import load_contact
from coldmail.store import db
from coldmail.store.models import Message, Reply, as_utc, utcnow
from coldmail.store.workspace import Workspace
from coldmail.suppression.fingerprints import fingerprint
from coldmail.suppression.oracle import find as find_suppression


def history(session, key: bytes, email: str, contact_id: int | None) -> tuple[list[dict], list[dict]]:
    fp = fingerprint(key, email)
    conds = [Message.fingerprint == fp] + ([Message.contact_id == contact_id] if contact_id else [])
    messages = [
        {"sent_at": as_utc(m.sent_at).isoformat() if m.sent_at else None, "subject": m.subject or None,
         "state": m.state, "message_id": m.message_id}
        for m in session.execute(select(Message).where(or_(*conds)).order_by(Message.id)).scalars()
    ]
    rconds = [Reply.fingerprint == fp] + ([Reply.contact_id == contact_id] if contact_id else [])
    received = [
        {"received_at": as_utc(r.received_at).isoformat(), "kind": r.kind, "subject": r.subject, "text": r.excerpt}
        for r in session.execute(select(Reply).where(or_(*rconds)).order_by(Reply.received_at)).scalars()
    ]
    return messages, received


def export(ws: Workspace, email: str) -> dict:
    """The Art. 15(3) copy: every field, the provenance, messages, replies and suppression state."""
    email = normalize_email(email)
    with db.session_scope(ws.engine, write=False) as session:
        contact = load_contact(session, ws.fingerprint_key, email)
        sup = find_suppression(session, ws.fingerprint_key, email)
        messages, received = history(session, ws.fingerprint_key, email, contact.id if contact else None)
    data = {
        "exported_at": utcnow().isoformat(),
        "controller": ws.config.controller.model_dump(),
        "email": email,
        "held": contact is not None,
        "contact": contact.to_json() if contact else None,
        "messages": messages,
        "replies": received,
        "suppression": {"suppressed": sup is not None, "reason": sup.reason if sup else None,
                        "since": as_utc(sup.created_at).isoformat() if sup else None},
    }
    if contact:
        data["contact"]["messages"], data["contact"]["requests"] = messages, contact.requests
    with db.session_scope(ws.engine) as session:
        audit.record(session, actor=ws.actor, action="export", subject=f"fp:{fingerprint(ws.fingerprint_key, email)}",
                     detail={"held": contact is not None})
    return data


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
