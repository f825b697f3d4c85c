"""Recording outcomes: a send (in batches), a failure, a retry or an unknown outcome; putting an
unsent claim back in the queue; flagging messages a dead process left in `sending`."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from coldmail.mail.smtp import SmtpResult
from coldmail.outreach.claiming import Claimed, Store, set_message
from coldmail.store.models import Contact, Message, as_utc
from coldmail.store.states import ContactStatus, FailReason, MessageState
from coldmail.suppression.register import suppress

if TYPE_CHECKING:
    from coldmail.outreach.sending import SendSummary

STALE_AFTER = timedelta(minutes=15)


def record(store: Store, c: Claimed, result: SmtpResult, *, now: datetime, summary: SendSummary) -> None:
    """Record any outcome but a send (sends go through SentBuffer, in batches). A failure's reason
    starts with its FailReason, which the guards count by."""
    if result.outcome == "sent":
        raise ValueError("a send is recorded by SentBuffer")  # a bug in the caller: exit 3
    ws = store.ws
    rules = ws.config.sending
    response = f"{result.code} {result.text}".strip()[:500]
    with store.unit() as session:
        conn = session.connection()
        attempts = c.attempts
        if result.outcome in ("retry", "reconnect"):
            if attempts >= rules.max_attempts:
                set_message(conn, c.message_id, state=MessageState.FAILED, smtp_response=response,
                            reason=f"{FailReason.GAVE_UP} after {attempts} attempts: {response}")
                summary.failed += 1
            else:
                set_message(conn, c.message_id, state=MessageState.QUEUED, smtp_response=response,
                            not_before=now + timedelta(minutes=rules.retry_base_minutes * 2 ** (attempts - 1)),
                            reason=f"temporary failure, retrying: {response}")
                summary.deferred += 1
                summary.reasons["temporary SMTP failure"] += 1
        elif result.outcome == "reject_recipient":
            set_message(conn, c.message_id, state=MessageState.FAILED, smtp_response=response,
                        reason=f"{FailReason.RECIPIENT_REJECTED}: {response}")
            suppress(session, key=ws.fingerprint_key, actor=ws.actor, target=c.to, reason="bounce",
                     evidence=f"SMTP {response}")
            conn.execute(update(Contact).where(Contact.email == c.to).values(status=ContactStatus.BOUNCED))
            summary.failed += 1
        elif result.outcome == "reject_message":
            set_message(conn, c.message_id, state=MessageState.FAILED, smtp_response=response,
                        reason=f"{FailReason.MESSAGE_REJECTED}: {response}")
            summary.failed += 1
        elif result.outcome == "suppressed":
            set_message(conn, c.message_id, state=MessageState.SKIPPED,
                        reason=f"suppressed ({result.text}) after claim, before sending")
            summary.skipped_suppressed += 1
        else:
            set_message(conn, c.message_id, state=MessageState.UNKNOWN, smtp_response=response,
                        reason=result.text[:500])
            summary.unknown += 1


def fail_render(store: Store, c: Claimed, reason: str, *, summary: SendSummary) -> None:
    """The message could not be rendered: it fails with the reason (nothing was transmitted, so it
    is not `unknown`), and nothing else is held up."""
    with store.unit() as session:
        set_message(session.connection(), c.message_id, state=MessageState.FAILED,
                    reason=f"{FailReason.RENDER}: {reason}"[:500])
    summary.failed += 1


_SENT = (
    update(Message.__table__)
    .where(Message.__table__.c.id == bindparam("b_id"))
    .values(state=MessageState.SENT, sent_at=bindparam("b_at"), smtp_response=bindparam("b_resp"),
            subject=bindparam("b_subj"))
)


class SentBuffer:
    """Successful sends are recorded in batches (one transaction per `size`). A crash before a flush
    leaves those messages in `sending`, which recovery flags `unknown`: never resent."""

    def __init__(self, store: Store, size: int = 32):
        self.store, self.size = store, size
        self.rows: list[dict] = []
        self.first_steps: list[int] = []

    def add(self, c: Claimed, result: SmtpResult, now: datetime, subject: str) -> None:
        self.rows.append({"b_id": c.message_id, "b_at": now, "b_resp": f"{result.code} {result.text}".strip()[:500],
                          "b_subj": subject[:500]})
        if c.position == 0:
            self.first_steps.append(c.contact.id)
        if len(self.rows) >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        with self.store.unit() as session:
            conn = session.connection()
            conn.execute(_SENT, self.rows)
            if self.first_steps:
                conn.execute(update(Contact)
                             .where(Contact.id.in_(self.first_steps), Contact.status == ContactStatus.NEW)
                             .values(status=ContactStatus.CONTACTED))
        self.rows, self.first_steps = [], []


def release(store: Store, c: Claimed) -> None:
    """Put a claimed message back in the queue: nothing of it reached the server, so no attempt is
    spent, and a first touch may go from another mailbox (a follow-up keeps its thread's)."""
    pinned = {} if c.position == 0 else {"mailbox": c.mailbox}
    with store.unit() as session:
        set_message(session.connection(), c.message_id, state=MessageState.QUEUED, attempts=max(0, c.attempts - 1),
                    claimed_at=None, claimed_by="", **({"mailbox": ""} | pinned))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_stale(session: Session, now: datetime, *, starting: str = "") -> int:
    """Messages left in `sending` by a dead process: their fate is unknown, so flag them for review.
    `starting`: this sender's own id as it starts, when it holds no claim yet; a claim under that id
    is its predecessor's (a restarted container is pid 1 again, under the same host name)."""
    host = socket.gethostname()
    rows = session.execute(
        select(Message.id, Message.claimed_by, Message.claimed_at).where(Message.state == MessageState.SENDING)
    ).all()
    stale = []
    for mid, by, at in rows:
        h, _, pid = (by or "").rpartition(":")
        dead_here = h == host and pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid))
        if (starting and by == starting) or dead_here or (h != host and at is not None and as_utc(at) < now - STALE_AFTER):
            stale.append(mid)
    if stale:
        session.execute(
            update(Message).where(Message.id.in_(stale), Message.state == MessageState.SENDING)
            .values(state=MessageState.UNKNOWN,
                    reason="the sender stopped before the server's answer was recorded; check before resending")
        )
    return len(stale)
