"""Retention (Art. 5(1)(e)): contacts past their time are erased; suppression fingerprints stay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, select

from coldmail import audit
from coldmail.privacy.erasure import erase_in_session, finish
from coldmail.privacy.requests import add_months
from coldmail.store import db
from coldmail.store.models import Contact, DataRequest, Message, Reply, as_utc, utcnow
from coldmail.store.workspace import Workspace


@dataclass(frozen=True)
class RetentionItem:
    email: str
    rule: str
    since: datetime


def _due_for_erasure(session, ws: Workspace, now: datetime) -> list[RetentionItem]:
    r = ws.config.retention
    last_sent = (select(Message.contact_id, func.max(Message.sent_at).label("last"))
                 .where(Message.state == "sent").group_by(Message.contact_id).subquery())
    last_reply = (select(Reply.contact_id, func.max(Reply.received_at).label("last"))
                  .group_by(Reply.contact_id).subquery())
    open_request = exists().where(and_(DataRequest.contact_id == Contact.id, DataRequest.status == "open"))
    rows = session.execute(
        select(Contact.email, Contact.created_at, last_sent.c.last, last_reply.c.last)
        .outerjoin(last_sent, last_sent.c.contact_id == Contact.id)
        .outerjoin(last_reply, last_reply.c.contact_id == Contact.id)
        .where(~open_request)
    ).all()
    out = []
    for email, created, sent, replied in rows:
        created, sent, replied = as_utc(created), as_utc(sent), as_utc(replied)
        if replied is not None:
            last = max(d for d in (sent, replied) if d)
            if add_months(last, r.replied_months) <= now:
                out.append(RetentionItem(email, f"{r.replied_months} months after the last exchange", last))
        elif sent is not None:
            if add_months(sent, r.no_reply_months) <= now:
                out.append(RetentionItem(email, f"no reply {r.no_reply_months} months after the last message", sent))
        elif add_months(created, r.never_contacted_months) <= now:
            out.append(RetentionItem(email, f"never contacted {r.never_contacted_months} months after import", created))
    return out


def retention_run(ws: Workspace, *, dry_run: bool = False, now: datetime | None = None) -> list[RetentionItem]:
    """List (dry run) or erase what is past its time; suppression fingerprints are kept."""
    now = now or utcnow()
    with db.session_scope(ws.engine, write=not dry_run) as session:
        items = _due_for_erasure(session, ws, now)
        markers = []
        if not dry_run:
            for item in items:
                markers.append(erase_in_session(session, key=ws.fingerprint_key, actor=ws.actor, email=item.email,
                                                reason="retention")[2])
            audit.record(session, actor=ws.actor, action="retention.run", subject="retention",
                         detail={"erased": len(items), "at": now.isoformat()})
    if not dry_run and items:
        finish(ws, markers)
    return items
