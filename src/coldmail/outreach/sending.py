"""Sending a campaign: claim, check, render, send, record; never to a suppressed address, never twice.

Each message is claimed (`claiming`) in one database transaction that also checks the suppression
list, the contact's status, the country rule, the recipient's sending window and every cap. A
claimed message is in state `sending` before the first byte goes to the SMTP server; it becomes
`sent` or `failed` from the server's answer (`recording`). If the process dies, or the connection
drops during DATA, the outcome is unknown and the message is flagged for review (`unknown`): it is
never resent automatically.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from coldmail import audit
from coldmail.mail.rendering import compose
from coldmail.mail.smtp import Connection, SendAborted, SmtpResult, target_for
from coldmail.outreach import campaigns
from coldmail.outreach.claiming import Claimed, Store, claim
from coldmail.outreach.guards import check_guards
from coldmail.outreach.recording import SentBuffer, record, recover_stale, release
from coldmail.store import db
from coldmail.store.models import Campaign, as_utc, utcnow
from coldmail.store.workspace import Workspace
from coldmail.suppression import tokens
from coldmail.suppression.oracle import SuppressionWatch


@dataclass
class SendSummary:
    """What a send did, counted by the claim, the recording and the loop; worded for both faces."""

    sent: int = 0
    skipped_suppressed: int = 0
    deferred: int = 0
    failed: int = 0
    unknown: int = 0
    blocked: int = 0
    planned: int = 0
    dry_run: bool = False
    reasons: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    stopped: str = ""
    # Due messages decided without a send (skipped, blocked, deferred): progress counts them too.
    settled: int = 0

    def to_json(self) -> dict:
        return {
            "sent": self.sent,
            "skipped_suppressed": self.skipped_suppressed,
            "deferred": self.deferred,
            "failed": self.failed,
            "unknown": self.unknown,
            "blocked": self.blocked,
            "dry_run": self.dry_run,
            "deferral_reasons": dict(self.reasons),
            "warnings": self.warnings,
            "stopped": self.stopped or None,
        }

    def audit_detail(self) -> dict:
        """The counts, for the audit log (the reasons, which may quote a server, go to its note)."""
        return {"sent": self.sent, "skipped_suppressed": self.skipped_suppressed, "deferred": self.deferred,
                "failed": self.failed, "unknown": self.unknown, "blocked": self.blocked, "dry_run": self.dry_run,
                "stopped": bool(self.stopped)}

    @property
    def troubled(self) -> bool:
        """Something a person should look at: blocked, failed or unknown messages, or a stop."""
        return bool(self.blocked or self.failed or self.unknown or self.stopped)

    def headline(self, place: str = "") -> str:
        """One sentence for a person, the same in the CLI and the TUI (`place`: a dry run's folder)."""
        verb = (f"written to {place}" if place else "written as .eml files") if self.dry_run else "sent"
        parts = [f"{self.sent} {verb}", f"{self.skipped_suppressed} skipped (suppressed)", f"{self.deferred} deferred"]
        parts += [f"{n} {what}" for n, what in (
            (self.blocked, "blocked by country rules (no consent recorded)"), (self.failed, "failed"),
            (self.unknown, "unknown (flagged for review)")) if n]
        return ", ".join(parts) + "."

    def details(self) -> list[str]:
        """Why messages wait, what to check, and why the run stopped."""
        lines = [f"deferred: {why} ({n})" for why, n in self.reasons.most_common()]
        lines += [f"check: {w}" for w in self.warnings]
        if self.stopped:
            lines.append(f"stopped: {self.stopped}")
        return lines


class Clock:
    """Real time, or a fixed instant for previews and tests (`--now`)."""

    def __init__(self, fixed: datetime | None = None):
        self.fixed = as_utc(fixed) if fixed else None

    def now(self) -> datetime:
        return self.fixed or utcnow()


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class _Run:
    """What the workers of one send share: the claim budget (`left`, from --limit) and the progress."""

    ws: Workspace
    store: Store
    clock: Clock
    summary: SendSummary
    campaign_id: int
    sender: str
    steps: dict
    caps: bool
    dry_run_dir: Path | None
    total: int
    left: int
    batch: int
    buffer: SentBuffer
    watch: SuppressionWatch | None
    on_progress: Callable[[int, int], None] | None
    worker: str = field(default_factory=worker_id)
    done: int = 0

    def progress(self, sends: int = 1) -> None:
        """Messages sent or failed, and those the claims skipped, blocked or deferred: all of
        them were due, so the bar ends full even when some were not sent."""
        self.done += sends
        if self.on_progress:
            self.on_progress(min(self.done + self.summary.settled, self.total), self.total)

    def stop(self, reason: str) -> None:
        """Pause the campaign with the reason; the rep resumes it once fixed."""
        self.summary.stopped = reason
        with db.session_scope(self.ws.engine) as session:
            campaigns.pause(session, campaign_id=self.campaign_id, reason=reason, actor=self.ws.actor)

    async def work(self, conn: Connection | None) -> None:
        """One worker: it claims a few messages at a time (fewer transactions); the last look at the
        suppression list happens right before each DATA, so a claim is not a licence to send."""
        summary, clock, dry = self.summary, self.clock, self.dry_run_dir is not None
        pending: list[Claimed] = []
        while not summary.stopped:
            if not pending:
                want = min(self.batch, self.left)
                if want <= 0:
                    break
                pending = claim(self.store, self.campaign_id, now=clock.now(), worker=self.worker, summary=summary,
                                caps=self.caps, steps=self.steps, batch=want)
                self.left -= len(pending)
                self.progress(0)
                if not pending:
                    break
            c = pending.pop(0)
            composed = compose(template=c.template, contact=c.contact, config=self.ws.config,
                               token=tokens.issue(self.ws.fingerprint_key, c.contact.id),
                               workspace_templates=self.ws.home / "templates", message_id=c.msgid,
                               thread=c.thread, now=clock.now())
            if dry:
                (Path(self.dry_run_dir) / f"{c.message_id:07d}-{c.to}.eml").write_bytes(composed.raw)
                result = SmtpResult("sent", 250, "dry run")
            elif (late := self.watch.hit(c.fingerprints)) is not None:
                result = SmtpResult("suppressed", 0, late)
            else:
                try:
                    result = await conn.send(self.sender, c.to, composed.raw)
                except SendAborted as exc:
                    # Nothing reached the server (login comes before MAIL): put them back.
                    for back in [c, *pending]:
                        release(self.store, back)
                    pending = []
                    self.stop(str(exc))
                    break
            if result.outcome == "sent":
                self.buffer.add(c, result, clock.now(), composed.subject)
                summary.sent += 1
            else:
                record(self.store, c, result, now=clock.now(), summary=summary)
            self.progress()
            if result.outcome == "reject_recipient" and not dry:
                if (why := check_guards(self.ws, self.campaign_id)) is not None:
                    summary.stopped = f"paused by the guard: {why}"
        for back in pending:  # stopped with claims in hand: they go back to the queue
            release(self.store, back)


async def send_campaign(
    ws: Workspace,
    *,
    name: str,
    smtp_url: str | None = None,
    dry_run_dir: Path | None = None,
    limit: int | None = None,
    now: datetime | None = None,
    caps: bool = True,
    connections: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> SendSummary:
    clock = Clock(now)
    dry = dry_run_dir is not None
    summary = SendSummary(dry_run=dry)
    target = None
    if not dry:
        target = target_for(ws.config, smtp_url)
    else:
        Path(dry_run_dir).mkdir(parents=True, exist_ok=True)
    with db.session_scope(ws.engine) as session:
        camp = campaigns.load(session, name)
        campaign_id, sender = camp.id, camp.sender_email
        steps = {s.position: s for s in campaigns.steps_of(session, campaign_id)}
        if not dry:
            recover_stale(session, clock.now())
    store = Store(ws, dry)
    try:
        with store.unit() as session:
            summary.planned = campaigns.plan(session, session.get(Campaign, campaign_id), clock.now())
            total = campaigns.due_count(session, campaign_id, clock.now())
        if limit is not None:
            total = min(total, limit)
        n_conn = 1 if dry else (connections or ws.config.smtp.connections)
        conns = [None] * n_conn if dry else [Connection(target) for _ in range(n_conn)]
        run = _Run(
            ws=ws, store=store, clock=clock, summary=summary, campaign_id=campaign_id, sender=sender, steps=steps,
            caps=caps, dry_run_dir=dry_run_dir, total=total, left=limit if limit is not None else total,
            # Caps are evaluated one claim at a time; without caps, claim a few at once.
            batch=1 if caps or dry else 16,
            buffer=SentBuffer(store, size=1 if caps else 32),  # with caps, every send counts at once
            watch=SuppressionWatch(ws.engine) if not dry else None, on_progress=on_progress,
        )
        try:
            await asyncio.gather(*(run.work(c) for c in conns))
        finally:
            run.buffer.flush()
            if run.watch is not None:
                run.watch.close()
            for c in conns:
                if c is not None:
                    await c.close()
    finally:
        store.close()
    with db.session_scope(ws.engine) as session:
        audit.record(session, actor=ws.actor, action="send.dry_run" if dry else "send",
                     subject=f"campaign:{campaign_id}", detail=summary.audit_detail(),
                     note=" ".join([summary.headline(), *summary.details()]))
    return summary
