"""Messages in doubt, settled by a person: `retry` puts failed or unknown messages back in the queue,
`resolve` says whether an `unknown` one went out. Both audited (the person's reason in the note)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from coldmail import audit
from coldmail.errors import BadInput, Conflict, NotFound
from coldmail.outreach import campaigns
from coldmail.store import db
from coldmail.store.models import Contact, Message, utcnow
from coldmail.store.states import ContactStatus, MessageState
from coldmail.store.workspace import Workspace


@dataclass(frozen=True)
class Retried:
    campaign: str
    state: str
    count: int


def retry(ws: Workspace, *, campaign: str, state: str, reason: str = "") -> Retried:
    """Put a campaign's `failed` or `unknown` messages back in the queue, due now, attempts reset."""
    try:
        which = MessageState(state)
    except ValueError:
        raise BadInput(f"retry --failed or --unknown, not {state!r}") from None
    if which not in (MessageState.FAILED, MessageState.UNKNOWN):
        raise BadInput("only failed or unknown messages can be retried")
    with db.session_scope(ws.engine) as session:
        cid = campaigns.load(session, campaign).id
        ids = list(session.execute(select(Message.id).where(Message.campaign_id == cid,
                                                            Message.state == which)).scalars())
        if ids:
            session.execute(update(Message).where(Message.id.in_(ids), Message.state == which).values(
                state=MessageState.QUEUED, attempts=0, not_before=utcnow(), claimed_at=None, claimed_by="",
                reason=f"retried by {ws.actor} after {which}"[:500]))
        audit.record(session, actor=ws.actor, action="messages.retry", subject=f"campaign:{cid}",
                     detail={"state": str(which), "count": len(ids)}, note=reason or f"retry {which}")
    return Retried(campaign, str(which), len(ids))


def resolve(ws: Workspace, *, message_id: int, sent: bool, reason: str) -> str:
    """Settle an `unknown` message: it went out (`sent`), or it did not (back in the queue)."""
    if not reason.strip():
        raise BadInput("--reason is required: say how you know")
    with db.session_scope(ws.engine) as session:
        row = session.get(Message, message_id)
        if row is None:
            raise NotFound(f"no message {message_id}")
        if row.state != MessageState.UNKNOWN:
            raise Conflict(f"message {message_id} is {row.state}, not unknown")
        if sent:
            row.state, row.sent_at = MessageState.SENT, row.claimed_at or utcnow()
            campaigns.replan(session, row.campaign_id)  # its follow-up is due from a time already planned past
            if row.position == 0 and row.contact_id is not None:
                session.execute(update(Contact).where(Contact.id == row.contact_id, Contact.status == ContactStatus.NEW)
                                .values(status=ContactStatus.CONTACTED))
        else:
            row.state, row.attempts, row.not_before = MessageState.QUEUED, 0, utcnow()
            row.claimed_at, row.claimed_by = None, ""
        row.reason = f"resolved by {ws.actor}: {reason}"[:500]
        audit.record(session, actor=ws.actor, action="messages.resolve", subject=f"message:{message_id}",
                     detail={"outcome": "sent" if sent else "not_sent"}, note=reason)
        return str(row.state)
