"""Is a sender running, what did it last send, and what is next and when: read from the beats that
`coldmail run` writes after every pass (`sender_beats`) and from the queue (one index probe per
active campaign), as plain objects for the TUI's Campaigns screen and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from coldmail.store import db
from coldmail.store.models import Campaign, Message, SenderBeat, as_utc, utcnow
from coldmail.store.states import CampaignStatus, MessageState
from coldmail.store.workspace import Workspace


@dataclass(frozen=True)
class SenderView:
    worker: str
    running: bool
    started_at: datetime
    seen_at: datetime
    last_event: str
    next_due: datetime | None
    next_reason: str
    stopped: bool  # it said so as it stopped; not stopped and not running: killed, or its machine down


@dataclass(frozen=True)
class NextUp:
    campaign: str
    step: int  # 1-based, as people count
    to: str
    due: datetime
    reason: str


def stale_after(ws: Workspace) -> timedelta:
    """A sender beats after every pass, and passes at least every poll_seconds: two missed beats
    and a minute's grace, and it is taken for gone (killed, or its machine down)."""
    return timedelta(seconds=2 * ws.config.sending.poll_seconds + 60)


def senders(ws: Workspace, *, now: datetime | None = None, limit: int = 5) -> list[SenderView]:
    """The most recently seen senders, the running ones first."""
    now = now or utcnow()
    with db.session_scope(ws.engine, write=False) as session:
        rows = session.execute(select(SenderBeat).order_by(SenderBeat.seen_at.desc()).limit(limit)).scalars().all()
        out = [SenderView(r.worker, not r.stopped and now - as_utc(r.seen_at) <= stale_after(ws),
                          as_utc(r.started_at), as_utc(r.seen_at), r.last_event, as_utc(r.next_due), r.next_reason, r.stopped) for r in rows]
    return sorted(out, key=lambda s: not s.running)


def next_up(ws: Workspace, *, now: datetime | None = None) -> NextUp | None:
    """The first queued message of any active campaign (one probe of the due index per campaign)."""
    now = now or utcnow()
    best = None
    with db.session_scope(ws.engine, write=False) as session:
        for cid, name in session.execute(select(Campaign.id, Campaign.name)
                                         .where(Campaign.status == CampaignStatus.ACTIVE)).all():
            row = session.execute(
                select(Message.position, Message.to_email, Message.not_before, Message.reason)
                .where(Message.campaign_id == cid, Message.state == MessageState.QUEUED)
                .order_by(Message.not_before, Message.id).limit(1)).first()
            if row is not None and (best is None or as_utc(row.not_before) < best.due):
                due = as_utc(row.not_before)
                best = NextUp(name, row.position + 1, row.to_email or "-", due,
                              "due now" if due <= now else (row.reason or ""))
    return best


def status_lines(ws: Workspace, *, now: datetime | None = None) -> list[str]:
    """Two or three short lines: the sender(s), the last message sent, what is next and when."""
    now = now or utcnow()
    found = senders(ws, now=now)
    running = [s for s in found if s.running]
    if running:
        first = running[0]
        more = f" (+{len(running) - 1} more)" if len(running) > 1 else ""
        lines = [f"Sender: running on {first.worker}{more} since {_at(first.started_at, now)}, "
                 f"seen {max(int((now - first.seen_at).total_seconds()), 0)} s ago",
                 f"Last: {first.last_event}"]
    elif found:
        last = found[0]
        how = "stopped" if last.stopped else "not seen since"
        lines = [f"Sender: not running ({how} {_at(last.seen_at, now)}; start one with `coldmail run`)",
                 f"Last: {last.last_event}"]
    else:
        lines = ["Sender: not running (none has run here; start one with `coldmail run`)"]
    nxt = next_up(ws, now=now)
    if nxt is None:
        lines.append("Next: nothing queued in active campaigns")
    else:
        due, why = nxt.due, nxt.reason
        if running and running[0].next_due is not None and running[0].next_due > due:
            due, why = running[0].next_due, running[0].next_reason  # due, but its mailbox waits
        when = "now" if due <= now else _at(due, now)
        why = f" ({why})" if why and why != "due now" else ""
        lines.append(f"Next: {nxt.campaign} step {nxt.step} to {nxt.to}, {when}{why}")
    return lines


def _at(when: datetime, now: datetime) -> str:
    """HH:MM UTC, with the day when it is not today, said short: the status line must fit 80 columns
    ("tomorrow 09:00 UTC", "yesterday 17:40 UTC", "3 Dec 09:00 UTC"; the year only when it is not this one)."""
    days = (when.date() - now.date()).days
    if days == 0:
        return f"{when:%H:%M} UTC"
    if days in (1, -1):
        return f"{'tomorrow' if days == 1 else 'yesterday'} {when:%H:%M} UTC"
    if when.year == now.year:
        return f"{when.day} {when:%b %H:%M} UTC"
    return f"{when:%Y-%m-%d %H:%M} UTC"
