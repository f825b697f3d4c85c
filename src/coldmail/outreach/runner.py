"""The sender as a service (`coldmail run`): every active campaign's due messages as they fall due,
within windows and caps, replies read every `poll_seconds` and applied before the next send; it
sleeps until the next due time and stops cleanly (nothing left `sending`) when asked to."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from coldmail.outreach import campaigns
from coldmail.outreach.sending import Clock, send_campaign, worker_id
from coldmail.store import db
from coldmail.store.models import Campaign, Message, SenderBeat, utcnow
from coldmail.store.states import CampaignStatus, MessageState
from coldmail.store.workspace import Workspace


@dataclass
class RunSummary:
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    replies: int = 0
    queued: int = 0
    next_due: datetime | None = None
    troubles: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"sent": self.sent, "failed": self.failed, "unknown": self.unknown, "replies": self.replies,
                "queued": self.queued, "next_due": self.next_due.isoformat() if self.next_due else None}


class Runner:
    """One sender process. `stop()` may be called from a signal handler: the message in flight
    finishes (or goes back to the queue) and the loop ends."""

    def __init__(self, ws: Workspace, *, smtp_url: str | None = None, replies: list[Path] | None = None,
                 clock: Clock | None = None, log: Callable[[str], None] = print,
                 sleep: Callable[[float], None] = time.sleep, poll_seconds: float | None = None):
        self.ws, self.smtp_url, self.replies = ws, smtp_url, [Path(p) for p in replies or []]
        self.clock, self.log, self.sleep = clock or Clock(), log, sleep
        self.poll = poll_seconds if poll_seconds is not None else ws.config.sending.poll_seconds
        self.summary = RunSummary()
        self.stopping = False
        self.worker = worker_id()
        self._seen: set[str] = set()
        self._last_poll: datetime | None = None
        self.last_sent = ""
        self.next_reason = ""

    def stop(self) -> None:
        self.stopping = True

    def _active(self) -> list[str]:
        with db.session_scope(self.ws.engine, write=False) as session:
            return list(session.execute(select(Campaign.name).where(Campaign.status == CampaignStatus.ACTIVE)
                                        .order_by(Campaign.id)).scalars())

    def read_replies(self) -> None:
        """Replies from --replies paths and the [imap] accounts; each applied once."""
        from coldmail.replies.imap import import_imap
        from coldmail.replies.ingest import import_paths

        found = []
        if self.replies:
            found += [r for r in import_paths(self.ws, self.replies) if r.path not in self._seen]
        for account in sorted(self.ws.config.imap):
            try:
                found += import_imap(self.ws, account)
            except Exception as exc:  # noqa: BLE001 - a mailbox that cannot be read must not stop sending
                self.log(f"replies: IMAP {account}: {type(exc).__name__}: {exc}")
        for r in found:
            self._seen.add(r.path)
            self.summary.replies += 1
            self.log(f"reply: {r.kind} {r.action}")
        self._last_poll = self.clock.now()

    async def one_pass(self) -> datetime | None:
        """Send what is due in every active campaign; returns when something is next due."""
        now = self.clock.now()
        if self._last_poll is None or now - self._last_poll >= timedelta(seconds=self.poll):
            self.read_replies()
        nexts: list[tuple[datetime, str]] = []
        for name in self._active():
            if self.stopping:
                break
            s = await send_campaign(self.ws, name=name, smtp_url=self.smtp_url, clock=self.clock,
                                    halt=lambda: self.stopping)
            self.summary.sent += s.sent
            self.summary.failed += s.failed
            self.summary.unknown += s.unknown
            if s.sent or s.failed or s.unknown or s.skipped_suppressed:
                self.log(f"{name}: {s.headline()}")
            for line in s.details():
                if line.startswith(("server:", "stopped:")) and line not in self.summary.troubles:
                    self.summary.troubles.append(line)
                    self.log(f"{name}: {line}")
            # The next due time is an index probe; the queued count (which reads the queue) waits for the end.
            _n, due, why = campaigns.queue_status(self.ws, name, self.clock.now(), count=False)
            if due is not None:
                # Due now but its mailbox waits (spacing, caps, an outage): it goes when the mailbox may.
                nexts.append((s.next_time, s.next_reason) if s.next_time and due <= s.next_time else (due, why))
            if s.last_sent is not None:
                mid, position, when = s.last_sent
                # Ids and times only: the beat outlives an erasure, so it names no one.
                self.last_sent = f"{name}: message {mid} (step {position + 1}) at {when:%Y-%m-%d %H:%M} UTC"
        self.summary.next_due, self.next_reason = min(nexts, key=lambda p: p[0]) if nexts else (None, "")
        self._beat()
        return self.summary.next_due

    def count_queued(self) -> int:
        with db.session_scope(self.ws.engine, write=False) as session:
            return session.execute(select(func.count()).select_from(Message).join(
                Campaign, Campaign.id == Message.campaign_id).where(
                Message.state == MessageState.QUEUED, Campaign.status == CampaignStatus.ACTIVE)).scalar_one()

    def _beat(self, stopped: bool = False) -> None:
        with db.session_scope(self.ws.engine) as session:
            row = session.get(SenderBeat, self.worker) or SenderBeat(worker=self.worker, started_at=utcnow())
            row.seen_at, row.next_due, row.stopped = utcnow(), self.summary.next_due, stopped
            row.next_reason = self.next_reason[:200]
            row.last_event = (self.last_sent or f"nothing sent yet; {self.summary.replies} replies read")[:500]
            session.add(row)

    async def run(self, for_seconds: float | None = None) -> RunSummary:
        started = time.monotonic()
        self.log(f"run: started ({self.worker})")
        try:
            while not self.stopping:
                if for_seconds is not None and time.monotonic() - started >= for_seconds:
                    break
                nxt = await self.one_pass()
                wait = self.poll
                if nxt is not None:
                    wait = min(wait, max((nxt - self.clock.now()).total_seconds(), 0.2))
                if for_seconds is not None:
                    wait = min(wait, max(for_seconds - (time.monotonic() - started), 0))
                # Sleep in short slices so a stop is honoured within a second.
                end = time.monotonic() + wait
                while not self.stopping and time.monotonic() < end:
                    self.sleep(min(0.5, end - time.monotonic()))
        finally:
            self.summary.queued = self.count_queued()
            self._beat(stopped=True)
            self.log(f"run: stopped; {self.summary.sent} sent, {self.summary.queued} queued")
        return self.summary
