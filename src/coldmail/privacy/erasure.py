"""Erasure (Art. 17): a person's data deleted everywhere the workspace keeps it, leaving only a
suppression fingerprint so that they are never imported or written to again."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlmodel import Session

from coldmail import audit
from coldmail.addresses import normalize_email
from coldmail.store import db
from coldmail.store.models import Contact, DataRequest, ListMember, Message, Reply, Suppression
from coldmail.store.workspace import Workspace
from coldmail.suppression.fingerprints import fingerprint
from coldmail.suppression.register import suppress


@dataclass
class EraseResult:
    email: str
    fingerprint: str
    erased: bool
    requests_anonymised: int
    checkpoint_complete: bool

    def to_json(self) -> dict:
        return {
            "email": self.email,
            "erased": self.erased,
            "fingerprint": self.fingerprint,
            "suppressed": True,
            "requests_anonymised": self.requests_anonymised,
        }


def erase_in_session(session: Session, *, key: bytes, actor: str, email: str, reason: str = "erasure") -> tuple[bool, int]:
    """Delete a person's data, leaving only a suppression fingerprint (and anonymised request records)."""
    fp = fingerprint(key, email)
    suppress(session, key=key, actor=actor, target=email, reason=reason, evidence="")
    contact_id = session.execute(select(Contact.id).where(Contact.email == email)).scalar()
    n_req = session.execute(
        update(DataRequest)
        .where((DataRequest.fingerprint == fp) | (DataRequest.email == email))
        .values(email=None, note="", answer="", verification_note="")
    ).rowcount
    session.execute(
        update(Suppression)
        .where(Suppression.kind == "email", Suppression.value == email)
        .values(value=None, evidence="")
    )
    # Messages stay as anonymous counts for campaign statistics; replies go entirely.
    session.execute(delete(Reply).where((Reply.fingerprint == fp) | (Reply.contact_id == contact_id)))
    session.execute(
        update(Message).where((Message.fingerprint == fp) | (Message.contact_id == contact_id))
        .values(to_email=None, contact_id=None, subject="")
    )
    if contact_id is not None:
        session.execute(delete(ListMember).where(ListMember.contact_id == contact_id))
        session.execute(delete(Contact).where(Contact.id == contact_id))
    audit.record(
        session,
        actor=actor,
        action="erase",
        subject=f"fp:{fp}",
        detail={"contact_held": contact_id is not None, "requests_anonymised": n_req},
    )
    return contact_id is not None, n_req


def erase(ws: Workspace, email: str) -> EraseResult:
    email = normalize_email(email)
    with db.session_scope(ws.engine) as session:
        erased, n_req = erase_in_session(session, key=ws.fingerprint_key, actor=ws.actor, email=email)
    complete = db.checkpoint(ws.engine)
    return EraseResult(
        email=email,
        fingerprint=fingerprint(ws.fingerprint_key, email),
        erased=erased,
        requests_anonymised=n_req,
        checkpoint_complete=complete,
    )
