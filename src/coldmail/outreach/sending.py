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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from coldmail import audit
from coldmail.mail.rendering import compose
from coldmail.mail.smtp import AuthRefused, Connection, SendAborted, SmtpResult, SmtpTarget, redact
from coldmail.outreach import campaigns, mailboxes, variables
from coldmail.outreach.claiming import Claimed, Store, claim
from coldmail.outreach.guards import check_guards
from coldmail.outreach.mailboxes import MailboxSpec
from coldmail.outreach.recording import SentBuffer, fail_render, record, recover_stale, release
from coldmail.outreach.summary import SendSummary
from coldmail.store import db
from coldmail.store.models import Campaign, as_utc, utcnow
from coldmail.store.workspace import Workspace
from coldmail.suppression import tokens
from coldmail.suppression.oracle import SuppressionWatch


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
    """What the workers of one send share: the claim budget (`left`, from --limit), the mailboxes
    still usable in this run (one that goes down or refuses our login leaves it), and the progress."""

    ws: Workspace
    store: Store
    clock: Clock
    summary: SendSummary
    campaign_id: int
    boxes: list[MailboxSpec]
    steps: dict
    caps: bool
    dry_run_dir: Path | None
    total: int
    left: int
    batch: int
    buffer: SentBuffer
    watch: SuppressionWatch | None
    on_progress: Callable[[int, int], None] | None
    targets: dict[str, SmtpTarget] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # the campaign's variables and name, for its templates
    halt: Callable[[], bool] = lambda: False
    worker: str = field(default_factory=worker_id)
    done: int = 0
    answered: set[str] = field(default_factory=set)
    # A claim found nothing due for any mailbox with room: the other workers need not ask again in
    # this pass (each ask costs the caps' counts), until a claim goes back to the queue.
    drained: bool = False

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

    def drop(self, name: str, why: str, until=None) -> None:
        """The mailbox cannot be used for the rest of this run (down or refusing our login)."""
        self.boxes[:] = [b for b in self.boxes if b.name != name]
        self.summary.server_trouble = f"mailbox {name}: {why}"
        if until is not None:
            self.summary.wait(until, f"mailbox {name} down")
        if not self.boxes and until is not None:  # no mailbox left: its outage is why everything waits
            self.summary.next_time, self.summary.next_reason = until, f"mailbox {name} down"

    async def work(self) -> None:
        """One worker: it claims a few messages at a time (fewer transactions); the last look at the
        suppression list happens right before each DATA, so a claim is not a licence to send."""
        summary, clock, dry = self.summary, self.clock, self.dry_run_dir is not None
        conns: dict[str, Connection] = {}
        pending: list[Claimed] = []
        try:
            while not summary.stopped and not self.halt():
                if not pending:
                    want = min(self.batch, self.left)
                    if want <= 0 or not self.boxes or self.drained:
                        break
                    pending = claim(self.store, self.campaign_id, now=clock.now(), worker=self.worker,
                                    summary=summary, boxes=list(self.boxes), caps=self.caps, steps=self.steps,
                                    batch=want)
                    self.left -= len(pending)
                    self.progress(0)
                    if not pending and summary.more_due:
                        summary.more_due = False  # a big set was deferred and committed: the rest next
                        continue
                    if not pending:
                        self.drained = True
                        break
                c = pending.pop(0)
                if not await self._one(c, conns, dry):
                    pending = self._release_from(pending, c.mailbox)
                    self.drained = False  # what went back may go from another mailbox
        finally:
            for back in pending:  # stopped with claims in hand: they go back to the queue
                release(self.store, back)
            for conn in conns.values():
                await conn.close()

    def _release_from(self, pending: list[Claimed], mailbox: str) -> list[Claimed]:
        """Put back the claims of a mailbox that just went down or paused; keep the others."""
        keep = []
        for c in pending:
            if c.mailbox == mailbox or self.summary.stopped:
                release(self.store, c)
            else:
                keep.append(c)
        return keep

    async def _one(self, c: Claimed, conns: dict[str, Connection], dry: bool) -> bool:
        """Render, send and record one message; False when its mailbox is no longer usable."""
        summary, clock = self.summary, self.clock
        box = next((b for b in self.boxes if b.name == c.mailbox), None)
        if box is None:
            release(self.store, c)
            return False
        try:
            # --now is for the schedule, windows and caps; a real message is dated with the real time.
            composed = compose(template=c.template, contact=c.contact, config=box.controller(self.ws.config),
                               token=tokens.issue(self.ws.fingerprint_key, c.contact.id),
                               workspace_templates=self.ws.home / "templates", message_id=c.msgid,
                               thread=c.thread, now=clock.now() if dry else utcnow(), extra=self.extra)
        except Exception as exc:  # noqa: BLE001 - nothing was transmitted: that message fails, with the reason
            fail_render(self.store, c, f"{exc}" or type(exc).__name__, summary=summary)
            self.progress()
            return True
        if dry:
            (Path(self.dry_run_dir) / f"{c.message_id:07d}-{c.to}.eml").write_bytes(composed.raw)
            result = SmtpResult("sent", 250, "dry run")
        elif (late := self.watch.hit(c.fingerprints)) is not None:
            result = SmtpResult("suppressed", 0, late)
        else:
            conn = conns.get(box.name) or conns.setdefault(box.name, Connection(self.targets[box.name]))
            try:
                result = await conn.send(box.from_email, c.to, composed.raw)
            except AuthRefused as exc:
                release(self.store, c)  # login comes before MAIL: nothing reached the server
                mailboxes.pause(self.ws, box.name, str(exc))
                self.drop(box.name, str(exc))
                return False
            except SendAborted as exc:
                release(self.store, c)
                self.stop(str(exc))
                return False
            if result.outcome == "reconnect":
                # An outage, not an answer about this message: back to the queue, no attempt spent.
                release(self.store, c)
                until = mailboxes.mark_down(self.ws, box.name, redact(result.text or "no answer"), clock.now())
                self.drop(box.name, f"server unreachable ({redact(result.text)})", until)
                return False
            if box.name not in self.answered:
                self.answered.add(box.name)
                mailboxes.mark_ok(self.ws, box.name)
        if result.outcome == "sent":
            self.buffer.add(c, result, clock.now(), composed.subject)
            summary.sent += 1
            summary.last_sent = (c.message_id, c.position, clock.now())
        else:
            record(self.store, c, result, now=clock.now(), summary=summary)
        self.progress()
        if result.outcome == "reject_recipient" and not dry:
            if (why := check_guards(self.ws, self.campaign_id)) is not None:
                summary.stopped = f"paused by the guard: {why}"
        return True


def usable_boxes(ws: Workspace, session, campaign_id: int, smtp_url: str | None, now: datetime,
                 summary: SendSummary, dry: bool) -> list[MailboxSpec]:
    """The campaign's mailboxes that may send now; the others tell the summary when and why not."""
    chosen = set(campaigns.mailboxes_of(session, campaign_id))
    boxes = [b for b in mailboxes.configured(ws.config, smtp_url) if smtp_url or not chosen or b.name in chosen]
    if dry:
        return boxes
    known = mailboxes.states(session)
    out, trouble = [], []
    for box in boxes:
        ok, until, why = mailboxes.usable(known.get(box.name), now)
        if ok:
            out.append(box)
        else:
            trouble.append(why)
            if until is not None:
                summary.wait(until, why)
    if boxes and not out:
        summary.server_trouble = "; ".join(trouble)
    return out


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
    halt: Callable[[], bool] | None = None,
    clock: Clock | None = None,
    plan: bool = True,
    audit_idle: bool = True,
) -> SendSummary:
    """Send what is due now. `audit_idle=False` (`coldmail run`, which passes every few seconds) writes
    no audit entry for a pass in which nothing was sent, failed, skipped or blocked."""
    clock = clock or Clock(now)
    dry = dry_run_dir is not None
    summary = SendSummary(dry_run=dry)
    if dry:
        Path(dry_run_dir).mkdir(parents=True, exist_ok=True)
    with db.session_scope(ws.engine) as session:
        camp = campaigns.load(session, name)
        campaign_id = camp.id
        steps = {s.position: s for s in campaigns.steps_of(session, campaign_id)}
        extra = variables.context_of(session, camp)
        boxes = usable_boxes(ws, session, campaign_id, smtp_url, clock.now(), summary, dry)
        if not dry:
            recover_stale(session, clock.now())
    targets = {} if dry else {b.name: b.target(ws.config) for b in boxes}
    store = Store(ws, dry)
    try:
        with store.unit() as session:
            if plan:
                summary.planned = campaigns.plan(session, session.get(Campaign, campaign_id), clock.now())
            # Bounded: the progress bar's total need not count a million queued messages.
            total = campaigns.due_count(session, campaign_id, clock.now(), at_most=limit or 10_000)
        n_conn = 1 if dry else (connections or ws.config.smtp.connections)
        run = _Run(
            ws=ws, store=store, clock=clock, summary=summary, campaign_id=campaign_id, boxes=boxes, steps=steps,
            caps=caps, dry_run_dir=dry_run_dir, total=total, left=limit if limit is not None else 10**12,
            # Caps are evaluated one claim at a time; without caps, claim a few at once.
            batch=1 if caps or dry else 16,
            buffer=SentBuffer(store, size=1 if caps else 32),  # with caps, every send counts at once
            watch=SuppressionWatch(ws.engine) if not dry else None, on_progress=on_progress, targets=targets,
            extra=extra, halt=halt or (lambda: False),
        )
        try:
            await asyncio.gather(*(run.work() for _ in range(n_conn)))
        finally:
            run.buffer.flush()
            if run.watch is not None:
                run.watch.close()
        if summary.next_time is not None and not summary.stopped:
            # Due messages wait for a mailbox as a set: counted (up to a bound), never touched one by one.
            with store.unit() as session:
                waiting = campaigns.due_count(session, campaign_id, clock.now(), at_most=10_000)
            summary.deferred += waiting
            if waiting:
                summary.reasons[summary.next_reason] += waiting
    finally:
        store.close()
    idle = not (summary.sent or summary.failed or summary.unknown or summary.skipped_suppressed or summary.blocked
                or summary.stopped or summary.server_trouble)
    if idle and not audit_idle:
        return summary
    with db.session_scope(ws.engine) as session:
        audit.record(session, actor=ws.actor, action="send.dry_run" if dry else "send",
                     subject=f"campaign:{campaign_id}", detail=summary.audit_detail(),
                     note=" ".join([summary.headline(), *summary.details()]))
    return summary
