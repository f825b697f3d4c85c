"""The replies as the faces see them (`ReplyView`), and the review queue: a reply read with low
confidence waits until a person confirms it (possibly as another kind) or dismisses it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from coldmail import audit
from coldmail.errors import BadInput, Conflict, NotFound
from coldmail.replies.classify import Classification
from coldmail.replies.effects import apply
from coldmail.replies.ingest import audit_subject
from coldmail.store import db
from coldmail.store.models import Contact, Reply, as_utc
from coldmail.store.states import ReplyKind, ReplyStatus, RequestKind
from coldmail.store.workspace import Workspace

REPLY_KINDS = tuple(ReplyKind)


@dataclass(frozen=True)
class ReplyView:
    id: int
    received_at: datetime
    email: str | None
    kind: str
    request: str
    confidence: float
    status: str
    action: str
    subject: str
    excerpt: str
    language: str = ""
    why: str = ""

    def to_json(self) -> dict:
        return {"id": self.id, "received_at": self.received_at.isoformat(), "email": self.email, "kind": self.kind,
                "request": self.request or None, "confidence": round(self.confidence, 2), "status": self.status,
                "action": self.action, "subject": self.subject, "excerpt": self.excerpt[:300],
                "language": self.language or None, "why": self.why}


def _email(session: Session, r: Reply) -> str | None:
    """The matched contact's address, else the sender's."""
    email = None
    if r.contact_id:
        email = session.execute(select(Contact.email).where(Contact.id == r.contact_id)).scalar()
    return email or r.from_email


def _view(session: Session, r: Reply) -> ReplyView:
    return ReplyView(r.id, as_utc(r.received_at), _email(session, r), r.kind, r.request_kind, r.confidence,
                     r.status, r.action, r.subject, r.excerpt, r.language, r.why)


def list_replies(ws: Workspace, *, status: str | None = None, limit: int = 200) -> list[ReplyView]:
    """The latest replies first, optionally only those in one ReplyStatus."""
    with db.session_scope(ws.engine, write=False) as session:
        stmt = select(Reply).order_by(Reply.received_at.desc(), Reply.id.desc()).limit(limit)
        if status:
            stmt = stmt.where(Reply.status == status)
        return [_view(session, r) for r in session.execute(stmt).scalars()]


def resolve(ws: Workspace, reply_id: int, *, as_kind: str | None = None, request: str | None = None,
            dismiss: bool = False, note: str = "") -> ReplyView:
    """Confirm a review item (optionally as another kind), or dismiss it; audited."""
    with db.session_scope(ws.engine) as session:
        reply = session.get(Reply, reply_id)
        if reply is None:
            raise NotFound(f"no reply #{reply_id}")
        if reply.status != ReplyStatus.REVIEW:
            raise Conflict(f"reply #{reply_id} is {reply.status}, not waiting for review")
        if dismiss:
            reply.status, reply.action = ReplyStatus.DISMISSED, f"dismissed by {ws.actor}: {note}"[:300]
        else:
            kind = as_kind or reply.kind
            if kind not in REPLY_KINDS:
                raise BadInput(f"--as must be one of {', '.join(REPLY_KINDS)}")
            kind = ReplyKind(kind)
            if request is not None and (kind != ReplyKind.DATA_REQUEST or request not in set(RequestKind)):
                raise BadInput(f"a request kind ({request!r}) goes with data_request only, and is one of "
                               f"{', '.join(RequestKind)}")
            req = request or reply.request_kind or (RequestKind.SOURCE if kind == ReplyKind.DATA_REQUEST else None)
            result = Classification(kind, 1.0, request=req, company_wide=reply.company_wide,
                                    also_opt_out=req == RequestKind.ERASURE, new_text=reply.excerpt)
            email = _email(session, reply)
            reply.kind, reply.request_kind, reply.status = kind, req or "", ReplyStatus.APPLIED
            reply.action = apply(session, ws=ws, reply=reply, result=result, email=email)[:300]
        audit.record(session, actor=ws.actor, action="reply.review", subject=audit_subject(reply),
                     detail={"reply": reply.id, "status": reply.status, "kind": reply.kind}, note=note)
        session.flush()
        return _view(session, reply)
