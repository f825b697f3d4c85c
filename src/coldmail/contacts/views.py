"""A contact as the CLI, the TUI, rendering and answers see it: plain values read in one place,
never a live ORM row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from coldmail.addresses import normalize_email
from coldmail.store import db
from coldmail.store.models import Campaign, Contact, DataRequest, ListMember, Message, ProspectList, Reply, as_utc
from coldmail.store.workspace import Workspace
from coldmail.suppression.oracle import find as find_suppression

HELD_FIELDS = ("email", "first_name", "last_name", "company", "role", "country", "website")


@dataclass(frozen=True)
class ContactView:
    """A contact as the CLI and the TUI see it: plain values, never a live ORM row."""

    id: int
    email: str
    first_name: str
    last_name: str
    company: str
    role: str
    country: str
    website: str
    list: str
    lists: list[str]
    source: str
    source_url: str
    source_public: bool | None
    collected_at: datetime
    collected_by: str
    justification: str
    status: str
    suppressed: bool
    suppression_reason: str | None
    messages: list[dict] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    list_purposes: list[str] = field(default_factory=list)
    replies: list[dict] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def held(self) -> dict[str, str]:
        """The personal data actually stored for this person, field by field."""
        return {k: getattr(self, k) for k in HELD_FIELDS if getattr(self, k)}

    def to_json(self) -> dict:
        return {
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company": self.company,
            "role": self.role,
            "country": self.country,
            "website": self.website,
            "list": self.list,
            "lists": self.lists,
            "source": self.source,
            "source_url": self.source_url,
            "source_public": self.source_public,
            "justification": self.justification,
            "collected_at": self.collected_at.isoformat(),
            "collected_by": self.collected_by,
            "status": self.status,
            "suppressed": self.suppressed,
            "suppression_reason": self.suppression_reason,
            "messages": self.messages,
            "replies": self.replies,
            "requests": self.requests,
        }


def request_json(r: DataRequest) -> dict:
    return {
        "id": r.id,
        "email": r.email,
        "kind": r.kind,
        "status": r.status,
        "received_at": as_utc(r.received_at).isoformat(),
        "due_at": as_utc(r.extended_due_at or r.due_at).isoformat(),
    }


def load_contact(session: Session, key: bytes, email: str) -> ContactView | None:
    email = normalize_email(email)
    row = session.execute(select(Contact).where(Contact.email == email)).scalars().first()
    if row is None:
        return None
    lists = session.execute(
        select(ProspectList.id, ProspectList.name, ProspectList.purpose)
        .join(ListMember, ListMember.list_id == ProspectList.id)
        .where(ListMember.contact_id == row.id)
        .order_by(ListMember.added_at, ProspectList.id)
    ).all()
    primary = session.get(ProspectList, row.list_id)
    sup = find_suppression(session, key, email)
    reqs = session.execute(
        select(DataRequest).where(DataRequest.contact_id == row.id).order_by(DataRequest.received_at)
    ).scalars()
    messages = [
        {"campaign": name, "step": pos + 1, "state": state, "sent_at": as_utc(sent).isoformat() if sent else None,
         "subject": subject or None}
        for name, pos, state, sent, subject in session.execute(
            select(Campaign.name, Message.position, Message.state, Message.sent_at, Message.subject)
            .join(Campaign, Campaign.id == Message.campaign_id)
            .where(Message.contact_id == row.id).order_by(Message.id)
        ).all()
    ]
    replies = [
        {"received_at": as_utc(at).isoformat(), "kind": kind, "action": action}
        for at, kind, action in session.execute(
            select(Reply.received_at, Reply.kind, Reply.action).where(Reply.contact_id == row.id)
            .order_by(Reply.received_at)
        ).all()
    ]
    return ContactView(
        id=row.id,
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        company=row.company,
        role=row.role,
        country=row.country,
        website=row.website,
        list=primary.name if primary else "",
        lists=[name for _id, name, _p in lists],
        list_purposes=[p for _id, _n, p in lists if p],
        source=row.source,
        source_url=row.source_url,
        source_public=row.source_public,
        collected_at=as_utc(row.collected_at),
        collected_by=row.collected_by,
        justification=row.justification,
        status=row.status,
        suppressed=sup is not None,
        suppression_reason=sup.reason if sup else None,
        messages=messages,
        replies=replies,
        requests=[request_json(r) for r in reqs],
    )


def show_contact(ws: Workspace, email: str) -> ContactView | None:
    with db.session_scope(ws.engine, write=False) as session:
        return load_contact(session, ws.fingerprint_key, email)
