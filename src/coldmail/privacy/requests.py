"""Answers to data subjects: "where did you get my data?", what we hold, erasure, and requests."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, delete, select, update
from sqlmodel import Session

from coldmail import audit
from coldmail.addresses import normalize_email
from coldmail.mail import i18n, templating
from coldmail.store import db
from coldmail.store.models import (
    Contact,
    DataRequest,
    ListMember,
    ProspectList,
    Suppression,
    as_utc,
    utcnow,
)
from coldmail.store.workspace import Workspace
from coldmail.suppression.register import find as find_suppression
from coldmail.suppression.register import fingerprint, suppress

REQUEST_KINDS = ("source", "access", "erasure", "objection", "rectification")
LEGAL_BASIS = "legitimate interests (GDPR Art. 6(1)(f))"
HELD_FIELDS = ("email", "first_name", "last_name", "company", "role", "country", "website")


class NotFound(LookupError):
    """No such contact, list or request."""


# ---------------------------------------------------------------------------- contacts


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


def _request_json(r: DataRequest) -> dict:
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
    from coldmail.store.models import Campaign, Message, Reply

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
        requests=[_request_json(r) for r in reqs],
    )


def show_contact(ws: Workspace, email: str) -> ContactView | None:
    with db.session_scope(ws.engine, write=False) as session:
        return load_contact(session, ws.fingerprint_key, email)


# ---------------------------------------------------------------------------- where


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
        "collected_by": contact.collected_by if contact else None,
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


# ---------------------------------------------------------------------------- erasure


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
    from coldmail.store.models import Message, Reply

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


# ---------------------------------------------------------------------------- requests


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months, clamped to the month's end: 31 January + 1 month = 28/29 February."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def open_request(
    session: Session,
    *,
    key: bytes,
    actor: str,
    email: str,
    kind: str,
    received_at: datetime | None = None,
    note: str = "",
    verified: bool = False,
    reply_id: int | None = None,
) -> DataRequest:
    if kind not in REQUEST_KINDS:
        raise ValueError(f"kind must be one of {', '.join(REQUEST_KINDS)}; got {kind!r}")
    email = normalize_email(email)
    received = as_utc(received_at) or utcnow()
    contact_id = session.execute(select(Contact.id).where(Contact.email == email)).scalar()
    fp = fingerprint(key, email)
    req = DataRequest(
        contact_id=contact_id,
        email=email,
        fingerprint=fp,
        kind=kind,
        status="open",
        received_at=received,
        due_at=add_months(received, 1),
        verified=verified,
        verification_note="request came from the contact's own address" if verified else "",
        note=note[:2000],
        reply_id=reply_id,
    )
    session.add(req)
    session.flush()
    audit.record(
        session, actor=actor, action="request.open", subject=f"fp:{fp}",
        detail={"request": req.id, "kind": kind, "reply_id": reply_id},
    )
    return req


def open_request_cmd(ws: Workspace, *, email: str, kind: str, received_at: datetime | None = None, note: str = "") -> dict:
    with db.session_scope(ws.engine) as session:
        return _request_json(
            open_request(session, key=ws.fingerprint_key, actor=ws.actor, email=email, kind=kind,
                         received_at=received_at, note=note)
        )


def list_requests(ws: Workspace, *, only_open: bool = False, now: datetime | None = None) -> list[dict]:
    """Overdue open requests first, then the other open ones by due date, then the rest."""
    now = now or utcnow()
    due = DataRequest.due_at
    with db.session_scope(ws.engine, write=False) as session:
        stmt = select(DataRequest)
        if only_open:
            stmt = stmt.where(DataRequest.status == "open")
        stmt = stmt.order_by(
            case((DataRequest.status == "open", 0), else_=1),
            case(((DataRequest.status == "open") & (due < now), 0), else_=1),
            due,
            DataRequest.id,
        )
        out = []
        for r in session.execute(stmt).scalars():
            item = _request_json(r)
            item["overdue"] = r.status == "open" and as_utc(r.extended_due_at or r.due_at) < now
            out.append(item)
        return out



def mark_answered(ws: Workspace, request_id: int, *, answer: str = "") -> dict:
    """Record that a request was answered (and what was sent), by whom and when; audited."""
    with db.session_scope(ws.engine) as session:
        req = session.get(DataRequest, request_id)
        if req is None:
            raise NotFound(f"no request #{request_id}")
        req.status, req.answered_at, req.handled_by = "answered", utcnow(), ws.actor
        if answer:
            req.answer = answer
        audit.record(session, actor=ws.actor, action="request.answer", subject=f"fp:{req.fingerprint}",
                     detail={"request": req.id, "kind": req.kind})
        session.flush()
        return _request_json(req)
