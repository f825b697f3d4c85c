"""What a reading does (`apply`): opt-outs, complaints and hard bounces suppress, data requests open
a request, people's replies stop the follow-ups, auto-replies postpone the next step."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlmodel import Session

from coldmail.addresses import domain_of
from coldmail.privacy.requests import open_request
from coldmail.replies.classify import Classification
from coldmail.store.models import Contact, Message, Reply, utcnow
from coldmail.store.states import ContactStatus, MessageState, ReplyKind, ReplyStatus, RequestKind
from coldmail.store.workspace import Workspace
from coldmail.suppression.register import fingerprint, suppress

SOFT_BOUNCE_LIMIT = 3  # soft bounces (counting this one) after which the address is suppressed


def _set_status(session: Session, contact_id: int | None, status: ContactStatus) -> None:
    if contact_id is not None:
        session.execute(update(Contact).where(Contact.id == contact_id).values(status=status, updated_at=utcnow()))


def _cancel_queued(session: Session, contact_id: int | None, why: str) -> None:
    if contact_id is not None:
        session.execute(
            update(Message).where(Message.contact_id == contact_id, Message.state == MessageState.QUEUED)
            .values(state=MessageState.SKIPPED, reason=why)
        )


def apply(session: Session, *, ws: Workspace, reply: Reply, result: Classification, email: str | None) -> str:
    """Carry out what the classification calls for; returns the action taken, for the record."""
    key, actor = ws.fingerprint_key, ws.actor
    evidence = f"reply {reply.id} ({reply.received_at:%Y-%m-%d}): {reply.excerpt[:500]}"
    cid = reply.contact_id
    kind = result.kind
    if kind in (ReplyKind.OPT_OUT, ReplyKind.COMPLAINT) or (kind == ReplyKind.DATA_REQUEST and result.also_opt_out):
        if email is None:
            return "no address to suppress"
        target = "@" + domain_of(email) if result.company_wide else email
        reason = ("complaint" if kind == ReplyKind.COMPLAINT
                  else "erasure request" if result.request == RequestKind.ERASURE else "opt-out")
        suppress(session, key=key, actor=actor, target=target, reason=reason, evidence=evidence, reply_id=reply.id)
        if result.company_wide:  # the domain entry covers it; the person's own entry shows in their record
            suppress(session, key=key, actor=actor, target=email, reason=reason, evidence=evidence, reply_id=reply.id)
        _cancel_queued(session, cid, f"{reason} ({reply.id})")
        action = f"suppressed {target}"
        if kind != ReplyKind.DATA_REQUEST:
            _set_status(session, cid, ContactStatus.OPTED_OUT)
            return action
    else:
        action = ""
    if kind == ReplyKind.DATA_REQUEST:
        verified = email is not None and cid is not None
        req = open_request(session, key=key, actor=actor, email=email, kind=result.request,
                           received_at=reply.received_at, note=f"from reply {reply.id}: {reply.excerpt[:300]}",
                           verified=verified, reply_id=reply.id)
        _set_status(session, cid, ContactStatus.REQUEST)
        _cancel_queued(session, cid, f"data request #{req.id}")
        opened = f"opened {result.request} request #{req.id}, due {req.due_at:%Y-%m-%d}"
        return (action + "; " if action else "") + opened
    if kind == ReplyKind.BOUNCE_HARD:
        if email is None:
            return "bounce without a recognisable recipient: review"
        suppress(session, key=key, actor=actor, target=email, reason="bounce", evidence=evidence, reply_id=reply.id)
        _set_status(session, cid, ContactStatus.BOUNCED)
        _cancel_queued(session, cid, "hard bounce")
        return f"suppressed {email} (hard bounce)"
    if kind == ReplyKind.BOUNCE_SOFT:
        return _soft_bounce(session, ws=ws, reply=reply, email=email, evidence=evidence)
    if kind == ReplyKind.AUTO_REPLY:
        if result.report:
            return f"delivery report ({result.report}): nothing to do"
        if reply.until and cid is not None:
            session.execute(
                update(Message).where(Message.contact_id == cid, Message.state == MessageState.QUEUED,
                                      Message.not_before < reply.until)
                .values(not_before=reply.until, reason=f"out of office until {reply.until:%Y-%m-%d}")
            )
            return f"next step postponed to {reply.until:%Y-%m-%d}"
        return "no action (automatic reply)"
    # a person's reply
    _set_status(session, cid, ContactStatus.REPLIED)
    _cancel_queued(session, cid, "the contact replied")
    return "follow-ups stopped (replied)"


PERSON = (ReplyKind.OPT_OUT, ReplyKind.DATA_REQUEST, ReplyKind.HUMAN)


def hold(session: Session, *, reply: Reply, result: Classification) -> str:
    """While a person's reply waits for review, nobody writes to them again: whatever it turns out to
    say (an objection in words the reader did not know, or interest), an automatic follow-up would be
    wrong. An unreadable message (confidence 0: binary, empty) is not a person's reply and stops nothing."""
    if result.kind not in PERSON or result.confidence <= 0 or reply.contact_id is None:
        return ""
    _set_status(session, reply.contact_id, ContactStatus.REPLIED)
    _cancel_queued(session, reply.contact_id, f"reply {reply.id} waits for review")
    return "; follow-ups stopped meanwhile"


def _soft_bounce(session: Session, *, ws: Workspace, reply: Reply, email: str | None, evidence: str) -> str:
    """Count the soft bounces applied for this address (this one included); suppress at the limit."""
    if email is None:
        return "soft bounce without a recognisable recipient"
    fp = fingerprint(ws.fingerprint_key, email)
    soft = session.execute(
        select(func.count()).select_from(Reply).where(Reply.fingerprint == fp, Reply.kind == ReplyKind.BOUNCE_SOFT,
                                                      Reply.status == ReplyStatus.APPLIED)
    ).scalar_one()
    if soft >= SOFT_BOUNCE_LIMIT:
        suppress(session, key=ws.fingerprint_key, actor=ws.actor, target=email,
                 reason=f"bounce ({SOFT_BOUNCE_LIMIT} soft bounces)", evidence=evidence, reply_id=reply.id)
        _set_status(session, reply.contact_id, ContactStatus.BOUNCED)
        return f"suppressed {email} after {soft} soft bounces"
    return f"soft bounce {soft} of {SOFT_BOUNCE_LIMIT} counted"
