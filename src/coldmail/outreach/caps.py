"""Caps at claim time: the mailboxes that may send now (their caps and spacing, least recently used
first), the contact and company caps, and on PostgreSQL the locks that make these counts hold when
several senders claim at once. (A mailbox's own counts: `mailboxes.room`; the windows: `windows`.)"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text

from coldmail.outreach import mailboxes
from coldmail.outreach.mailboxes import MailboxSpec
from coldmail.store.config import Sending
from coldmail.store.models import Message, as_utc
from coldmail.store.states import LIVE_STATES

if TYPE_CHECKING:
    from coldmail.outreach.summary import SendSummary


def _count(conn, *conds) -> int:
    return conn.execute(select(func.count()).select_from(Message).where(*conds)).scalar_one()


def contact_caps_ok(conn, row, now: datetime, rules: Sending) -> tuple[bool, datetime | None, str]:
    """The contact and company caps (the mailbox's are checked once per claim: `mailboxes.room`)."""
    live = Message.state.in_(LIVE_STATES)
    days = rules.per_contact_days
    if rules.per_contact_max and _count(
        conn, Message.contact_id == row.contact_id, live, Message.claimed_at > now - timedelta(days=days)
    ) >= rules.per_contact_max:
        return False, now + timedelta(days=1), f"contact cap: {rules.per_contact_max} per {days} days"
    per_domain = rules.new_per_domain_per_day
    if row.position == 0 and per_domain and _count(
        conn, Message.domain == row.domain, Message.position == 0, live, Message.claimed_at > now - timedelta(days=1)
    ) >= per_domain:
        return False, now + timedelta(hours=6), f"company cap: {per_domain} new contacts per domain per day"
    return True, None, ""


def jitter_for(box: MailboxSpec, rules: Sending) -> float:
    """The spacing between two messages from a mailbox. A per-minute cap of the mailbox's own (`mailbox
    add --per-minute 20`) shrinks the workspace's jitter to fit it: 20 a minute means about 3 s apart,
    not the default 20 s. (Both set for the whole workspace, the stricter holds: the person chose both.)"""
    own = box.per_minute and box.per_minute != rules.per_minute
    return min(rules.jitter_seconds, 60 / box.per_minute) if own else rules.jitter_seconds


def spread_after(name: str, last: datetime | None) -> float:
    """The jitter's factor (0.5 to 1.5) after a mailbox's last message, drawn once for that message:
    drawn again at every look, the gap would grow with how often senders look (the longest draw wins)."""
    return 0.5 + random.Random(f"{name}|{last.isoformat() if last else ''}").random()


def open_mailboxes(conn, boxes: list[MailboxSpec], now: datetime, rules: Sending, summary: SendSummary,
                   caps: bool) -> list[MailboxSpec]:
    """The mailboxes with room now, least recently used first (the rotation). When none has room,
    the summary says when the first one will: nothing queued is read or touched (deferral in sets)."""
    if not caps:
        return list(boxes)
    ready: list[tuple[datetime | None, MailboxSpec]] = []
    for box in boxes:
        last = as_utc(conn.execute(select(func.max(Message.claimed_at)).where(Message.mailbox == box.name)).scalar())
        ok, later, why = mailboxes.room(conn, box, now, jitter_for(box, rules), spread_after(box.name, last))
        if ok:
            ready.append((last, box))
        elif later is not None:
            summary.wait(later, why)
    ready.sort(key=lambda pair: (pair[0] is not None, pair[0] or now))
    return [box for _, box in ready]


def lock_caps(conn, boxes: list[MailboxSpec], rules: Sending) -> None:
    """Caps are counts; two senders counting at once would both see room for one more. One lock per
    mailbox serialises its count-and-claim across processes and machines. The contact and company
    caps count over every campaign and mailbox, so while they are on, every claim also takes one
    lock for them all, first (the same order in every claim: no deadlock). Held to the commit. Not for
    a dry run: its claims are rolled back and count for no one, and it must not hold up senders."""
    keys = [box.name for box in sorted(boxes, key=lambda b: b.name)]
    if rules.per_contact_max or rules.new_per_domain_per_day:
        keys.insert(0, "*contacts")
    for key in keys:
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": "coldmail-caps:" + key})
