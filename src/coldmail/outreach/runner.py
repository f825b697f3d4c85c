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
from sqlalchemy.exc import OperationalError

from coldmail.outreach import campaigns, inbox
from coldmail.outreach.recording import recover_stale
from coldmail.outreach.sending import Clock, send_campaign, worker_id
from coldmail.store import db
from coldmail.store.models import Campaign, Message, SenderBeat, utcnow
from coldmail.store.states import CampaignStatus, MessageState
from coldmail.store.workspace import Workspace

DB_RETRIES = 12  # passes in a row the database may fail (about 6 minutes) before the sender gives up


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
                 sleep: Callable[[float], None] = time.sleep, poll_seconds: float | None = None,
                 fresh: bool = False):
        self.ws, self.smtp_url, self.replies = ws, smtp_url, [Path(p) for p in replies or []]
        self.clock, self.log, self.sleep = clock or Clock(), log, sleep
        self.poll = poll_seconds if poll_seconds is not None else ws.config.sending.poll_seconds
        self.summary = RunSummary()
        # A process of its own (`coldmail run`) has claimed nothing before it starts: any claim under
        # its id is a predecessor's (a restarted container is pid 1 again, under the same host name).
        self.fresh = fresh
        self.stopping = False
        self.worker = worker_id()
        self._seen: set[str] = set()
        self._watches: dict[Path, inbox.PathWatch] = {}
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
        """Replies from each mailbox's IMAP inbox, the [imap] accounts and the --replies paths, each
        applied once; a source that cannot be read is logged and sending goes on."""
        from coldmail.replies.ingest import NotStored

        for src in inbox.sources(self.ws, self.replies, self._watches):
            try:
                with inbox.turn(self.ws, src.key) as mine:
                    found = src.read() if mine else []
            except Exception as exc:  # noqa: BLE001 - a source that cannot be read must not stop sending
                self.log(f"replies: {src.label}: {inbox.trouble(exc)}")
                continue
            for r in found:
                # What another sender (or an earlier poll) recorded is not news; a file that could not
                # be read is tried again at every poll, and reported once.
                if r.status == NotStored.DUPLICATE or (r.status == NotStored.ERROR and r.path in self._seen):
                    continue
                if r.status == NotStored.ERROR:
                    self._seen.add(r.path)
                self.summary.replies += 1
                self.log(f"reply: {r.kind} ({r.status})" if r.status != NotStored.ERROR
                         else f"reply: not read: {r.path}: {r.error}")
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
                                    halt=lambda: self.stopping, audit_idle=False)
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
        if self.fresh:
            with db.session_scope(self.ws.engine) as session:
                if (n := recover_stale(session, self.clock.now(), starting=self.worker)):
                    self.log(f"run: {n} message(s) a previous sender left in flight flagged unknown")
        lost = 0  # passes in a row that the database failed
        try:
            while not self.stopping:
                if for_seconds is not None and time.monotonic() - started >= for_seconds:
                    break
                try:
                    nxt = await self.one_pass()
                    lost = 0
                except OperationalError as exc:
                    # The database restarted, or a deadlock was broken: what was claimed went back or
                    # will be flagged `unknown`; try again, and give up (exit 3) if it does not come back.
                    lost += 1
                    if lost > DB_RETRIES:
                        raise
                    self.log(f"run: database error, retrying: {inbox.trouble(exc)}")
                    nxt = None
                wait = self.poll if not lost else min(self.poll, 5.0 * lost)
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
