"""Sending a campaign: claim, check, render, send, record; never to a suppressed address, never twice.

Each message is claimed in one database transaction that also checks the suppression list, the
contact's status, the country rule, the recipient's sending window and every cap. A claimed message
is in state `sending` before the first byte goes to the SMTP server; it becomes `sent` or `failed`
from the server's answer. If the process dies, or the connection drops during DATA, the outcome is
unknown and the message is flagged for review (`unknown`): it is never resent automatically.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import bindparam, func, select, text, update
from sqlmodel import Session

from coldmail import audit, countries
from coldmail.contacts.views import ContactView
from coldmail.mail.rendering import Thread, compose
from coldmail.mail.smtp import Connection, SendAborted, SmtpResult, target_for
from coldmail.outreach import campaigns
from coldmail.outreach import windows as scheduling
from coldmail.store import db
from coldmail.store.models import (
    Campaign,
    Contact,
    DomainCheck,
    ListMember,
    Message,
    ProspectList,
    Reply,
    as_utc,
    utcnow,
)
from coldmail.store.workspace import Workspace
from coldmail.suppression import oracle
from coldmail.suppression.oracle import SuppressionWatch, candidate_fingerprints
from coldmail.suppression.register import suppress

LIVE = ("sending", "sent", "unknown")  # states that count against caps
STALE_AFTER = timedelta(minutes=15)




@dataclass
class SendSummary:
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


@dataclass
class Claimed:
    message_id: int
    msgid: str
    position: int
    template: str
    to: str
    contact: ContactView
    thread: Thread | None
    fingerprints: list[str]
    attempts: int = 1


class Clock:
    """Real time, or a fixed instant for previews and tests (`--now`)."""

    def __init__(self, fixed: datetime | None = None):
        self.fixed = as_utc(fixed) if fixed else None

    def now(self) -> datetime:
        return self.fixed or utcnow()


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_stale(session: Session, now: datetime) -> int:
    """Messages left in `sending` by a dead process: their fate is unknown, so flag them for review."""
    host = socket.gethostname()
    rows = session.execute(select(Message.id, Message.claimed_by, Message.claimed_at).where(Message.state == "sending")).all()
    stale = []
    for mid, by, at in rows:
        h, _, pid = (by or "").rpartition(":")
        dead_here = h == host and pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid))
        if dead_here or (h != host and at is not None and as_utc(at) < now - STALE_AFTER):
            stale.append(mid)
    if stale:
        session.execute(
            update(Message).where(Message.id.in_(stale), Message.state == "sending")
            .values(state="unknown", reason="the sender stopped before the server's answer was recorded; check before resending")
        )
    return len(stale)


class Store:
    """Units of work for the send loop. In a dry run they share one transaction that is rolled back
    at the end, so the dry run takes exactly the same path (claims, caps, checks) and leaves nothing."""

    def __init__(self, ws: Workspace, dry_run: bool):
        self.ws, self.dry_run = ws, dry_run
        self._session: Session | None = None
        if dry_run:
            self._session = Session(ws.engine.execution_options(sqlite_immediate=True), expire_on_commit=False)

    def unit(self):
        if self.dry_run:
            return _Shared(self._session)
        return db.session_scope(self.ws.engine)

    def close(self) -> None:
        if self._session is not None:
            self._session.rollback()
            self._session.close()


class _Shared:
    def __init__(self, session: Session):
        self.session = session

    def __enter__(self) -> Session:
        return self.session

    def __exit__(self, *exc) -> None:
        self.session.flush()


def _count(conn, *conds) -> int:
    return conn.execute(select(func.count()).select_from(Message).where(*conds)).scalar_one()


def _caps_ok(conn, row, now: datetime, rules) -> tuple[bool, datetime | None, str]:
    """The mailbox, contact and company caps, counted in the database so they hold across processes."""
    live = Message.state.in_(LIVE)
    for limit, span, label in ((rules.per_minute, timedelta(minutes=1), "minute"),
                               (rules.per_hour, timedelta(hours=1), "hour"),
                               (rules.per_day, timedelta(days=1), "day")):
        if limit and _count(conn, Message.sender_email == row.sender_email, live, Message.claimed_at > now - span) >= limit:
            return False, now + span / limit, f"mailbox cap: {limit} per {label}"
    if rules.jitter_seconds:
        last = conn.execute(
            select(func.max(Message.claimed_at)).where(Message.sender_email == row.sender_email, live)
        ).scalar()
        gap = timedelta(seconds=rules.jitter_seconds * random.uniform(0.5, 1.5))
        if last is not None and as_utc(last) + gap > now:
            return False, as_utc(last) + gap, "spacing between messages"
    if rules.per_contact_max and _count(
        conn, Message.contact_id == row.contact_id, live, Message.claimed_at > now - timedelta(days=rules.per_contact_days)
    ) >= rules.per_contact_max:
        return False, now + timedelta(days=1), f"contact cap: {rules.per_contact_max} per {rules.per_contact_days} days"
    if row.position == 0 and rules.new_per_domain_per_day and _count(
        conn, Message.domain == row.domain, Message.position == 0, live, Message.claimed_at > now - timedelta(days=1)
    ) >= rules.new_per_domain_per_day:
        return False, now + timedelta(hours=6), f"company cap: {rules.new_per_domain_per_day} new contacts per domain per day"
    return True, None, ""


_CANDIDATE_COLS = (Message.id, Message.position, Message.to_email, Message.sender_email, Message.domain,
                   Message.message_id, Message.attempts, Message.contact_id)
_CONTACT_COLS = (Contact.id, Contact.email, Contact.first_name, Contact.last_name, Contact.company, Contact.role,
                 Contact.country, Contact.website, Contact.source, Contact.source_url, Contact.source_public,
                 Contact.collected_at, Contact.collected_by, Contact.justification, Contact.status,
                 Contact.timezone, Contact.consent)


def claim(store: Store, campaign_id: int, *, now: datetime, worker: str, summary: SendSummary,
          caps: bool = True, batch: int = 1, steps: dict | None = None) -> list[Claimed]:
    """Claim up to `batch` due messages. Check and claim share one transaction, so a suppression
    that commits before it stops the message, and one that commits after finds it claimed.
    Core statements only: this runs once per message of a 100,000-message campaign."""
    ws = store.ws
    out: list[Claimed] = []
    with store.unit() as session:
        conn = session.connection()
        status, reason = conn.execute(
            select(Campaign.status, Campaign.pause_reason).where(Campaign.id == campaign_id)
        ).one()
        if status != "active":
            summary.stopped = f"campaign is {status}: {reason or 'resume it to continue'}"
            return out
        steps = steps or {s.position: s for s in campaigns.steps_of(session, campaign_id)}
        if caps and conn.dialect.name == "postgresql":
            # Caps are counts; two senders counting at once would both see room for one more.
            # One lock per mailbox serialises the count-and-claim across processes and machines.
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                         {"k": "coldmail-caps:" + conn.execute(
                             select(Campaign.sender_email).where(Campaign.id == campaign_id)).scalar_one()})
        stmt = (
            select(*_CANDIDATE_COLS)
            .where(Message.campaign_id == campaign_id, Message.state == "queued", Message.not_before <= now)
            .order_by(Message.not_before, Message.id)
            .limit(max(batch * 2, 8))
        )
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        # Skipped and deferred candidates leave the queue (their state or not_before changes), so
        # each pass sees fresh ones until enough are claimed or none are due.
        while len(out) < batch:
            candidates = conn.execute(stmt).all()
            if not candidates:
                break
            _consider(conn, candidates, out, batch=batch, key=ws.fingerprint_key, rules=ws.config.sending,
                      steps=steps, caps=caps, now=now, worker=worker, summary=summary, campaign_id=campaign_id)
    return out


def _set(conn, row_id: int, **values) -> None:
    conn.execute(update(Message).where(Message.id == row_id).values(**values))


_CLAIM = (
    update(Message.__table__)
    .where(Message.__table__.c.id == bindparam("b_id"))
    .values(state="sending", claimed_at=bindparam("b_at"), claimed_by=bindparam("b_by"),
            attempts=bindparam("b_attempts"), message_id=bindparam("b_msgid"), reason="")
)


def _consider(conn, candidates, out, *, batch, key, rules, steps, caps, now, worker, summary, campaign_id) -> None:
    """Decide each candidate: skip, block, defer or claim (claims are written in one statement)."""
    claims: list[dict] = []
    try:
        _decide(conn, candidates, out, claims, batch=batch, key=key, rules=rules, steps=steps, caps=caps, now=now,
                worker=worker, summary=summary, campaign_id=campaign_id)
    finally:
        if claims:
            conn.execute(_CLAIM, claims)


def _decide(conn, candidates, out, claims, *, batch, key, rules, steps, caps, now, worker, summary, campaign_id):
    ids = [c.contact_id for c in candidates if c.contact_id]
    people = {r.id: r for r in conn.execute(select(*_CONTACT_COLS).where(Contact.id.in_(ids))).all()}
    lists: dict[int, list[tuple[str, str]]] = {}
    for cid, name, purpose in conn.execute(
        select(ListMember.contact_id, ProspectList.name, ProspectList.purpose)
        .join(ProspectList, ProspectList.id == ListMember.list_id)
        .where(ListMember.contact_id.in_(ids))
        .order_by(ListMember.added_at)
    ).all():
        lists.setdefault(cid, []).append((name, purpose))
    fps = {cid: candidate_fingerprints(key, p.email) for cid, p in people.items()}
    dead_domains = set(conn.execute(
        select(DomainCheck.domain).where(DomainCheck.domain.in_({c.domain for c in candidates}),
                                         DomainCheck.status == "undeliverable")
    ).scalars())
    away = dict(conn.execute(
        select(Reply.contact_id, func.max(Reply.until)).where(
            Reply.contact_id.in_(ids), Reply.kind == "auto_reply", Reply.until > now
        ).group_by(Reply.contact_id)
    ).all())
    blocked_fps = oracle.reasons_for(conn, (fp for group in fps.values() for fp in group))
    for row in candidates:
        if len(out) >= batch:
            break
        summary.settled += 1  # (taken back below if it is claimed)
        person = people.get(row.contact_id)
        if person is None:
            _set(conn, row.id, state="skipped", reason="the contact was erased")
            continue
        hit = next((blocked_fps[fp] for fp in fps[person.id] if fp in blocked_fps), None)
        if hit is not None:
            _set(conn, row.id, state="skipped", reason=f"suppressed ({hit})")
            summary.skipped_suppressed += 1
            continue
        if person.status not in campaigns.ACTIVE_STATUSES:
            _set(conn, row.id, state="skipped", reason=f"follow-ups stopped: contact {person.status}")
            continue
        if row.domain in dead_domains:
            _set(conn, row.id, state="skipped", reason=f"undeliverable: {row.domain} accepts no mail (coldmail verify)")
            continue
        rule = countries.rule_for(person.country) if rules.country_rules else None
        if rule and rule.rule == "consent" and not person.consent:
            _set(conn, row.id, state="blocked",
                 reason=f"{rule.country} requires prior consent for B2B email ({rule.source}); none recorded")
            summary.blocked += 1
            continue
        if rule and rule.rule == "conditional":
            warn = f"{rule.country}: {rule.summary} ({rule.source})"
            if warn not in summary.warnings:
                summary.warnings.append(warn)
        if person.id in away:
            until = as_utc(away[person.id])
            _set(conn, row.id, not_before=until, reason=f"out of office until {until:%Y-%m-%d}")
            summary.deferred += 1
            summary.reasons["out of office"] += 1
            continue
        if caps:
            win = scheduling.window(now, country=person.country, timezone=person.timezone, rules=rules)
            ok, later, why = (win.ok, win.next_time, win.reason) if not win.ok else _caps_ok(conn, row, now, rules)
            if not ok:
                _set(conn, row.id, not_before=later, reason=why)
                summary.deferred += 1
                summary.reasons[why.split(" in ")[0]] += 1
                continue
        thread = None
        if row.position > 0:
            prior = conn.execute(
                select(Message.message_id).where(
                    Message.campaign_id == campaign_id, Message.contact_id == person.id,
                    Message.position < row.position, Message.state == "sent",
                ).order_by(Message.position)
            ).scalars().all()
            if prior:
                thread = Thread(in_reply_to=prior[-1], references=tuple(prior))
        msgid = row.message_id or _make_msgid(row.sender_email)
        claims.append({"b_id": row.id, "b_at": now, "b_by": worker, "b_attempts": row.attempts + 1, "b_msgid": msgid})
        out.append(Claimed(row.id, msgid, row.position, steps[row.position].template, person.email,
                           _contact_view(person, lists.get(person.id, [])), thread, fps[person.id],
                           row.attempts + 1))
        summary.settled -= 1


def _contact_view(p, lists: list[tuple[str, str]]) -> ContactView:
    return ContactView(
        id=p.id, email=p.email, first_name=p.first_name, last_name=p.last_name, company=p.company, role=p.role,
        country=p.country, website=p.website, list=lists[0][0] if lists else "", lists=[n for n, _ in lists],
        source=p.source, source_url=p.source_url, source_public=p.source_public,
        collected_at=as_utc(p.collected_at), collected_by=p.collected_by, justification=p.justification,
        status=p.status, suppressed=False, suppression_reason=None,
        list_purposes=[purpose for _, purpose in lists if purpose],
    )


def _make_msgid(sender: str) -> str:
    return f"<{os.urandom(12).hex()}.{int(utcnow().timestamp())}@{sender.rsplit('@', 1)[1]}>"


# ---------------------------------------------------------------------------- SMTP












# ---------------------------------------------------------------------------- recording


def record(store: Store, c: Claimed, result: SmtpResult, *, now: datetime, summary: SendSummary) -> None:
    """Record any outcome but a send (sends go through SentBuffer, in batches)."""
    if result.outcome == "sent":
        raise ValueError("a send is recorded by SentBuffer")
    ws = store.ws
    rules = ws.config.sending
    response = f"{result.code} {result.text}".strip()[:500]
    with store.unit() as session:
        conn = session.connection()
        attempts = c.attempts
        if result.outcome in ("retry", "reconnect"):
            if attempts >= rules.max_attempts:
                _set(conn, c.message_id, state="failed", smtp_response=response,
                     reason=f"gave up after {attempts} attempts: {response}")
                summary.failed += 1
            else:
                _set(conn, c.message_id, state="queued", smtp_response=response,
                     not_before=now + timedelta(minutes=rules.retry_base_minutes * 2 ** (attempts - 1)),
                     reason=f"temporary failure, retrying: {response}")
                summary.deferred += 1
                summary.reasons["temporary SMTP failure"] += 1
        elif result.outcome == "reject_recipient":
            _set(conn, c.message_id, state="failed", smtp_response=response, reason=f"recipient rejected: {response}")
            suppress(session, key=ws.fingerprint_key, actor=ws.actor, target=c.to, reason="bounce",
                     evidence=f"SMTP {response}")
            conn.execute(update(Contact).where(Contact.email == c.to).values(status="bounced"))
            summary.failed += 1
        elif result.outcome == "reject_message":
            _set(conn, c.message_id, state="failed", smtp_response=response, reason=f"message rejected: {response}")
            summary.failed += 1
        elif result.outcome == "suppressed":
            _set(conn, c.message_id, state="skipped", reason=f"suppressed ({result.text}) after claim, before sending")
            summary.skipped_suppressed += 1
        else:
            _set(conn, c.message_id, state="unknown", smtp_response=response, reason=result.text[:500])
            summary.unknown += 1


_SENT = (
    update(Message.__table__)
    .where(Message.__table__.c.id == bindparam("b_id"))
    .values(state="sent", sent_at=bindparam("b_at"), smtp_response=bindparam("b_resp"), subject=bindparam("b_subj"))
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
                conn.execute(update(Contact).where(Contact.id.in_(self.first_steps), Contact.status == "new")
                             .values(status="contacted"))
        self.rows, self.first_steps = [], []


def release(store: Store, c: Claimed) -> None:
    with store.unit() as session:
        _set(session.connection(), c.message_id, state="queued", attempts=max(0, c.attempts - 1),
             claimed_at=None, claimed_by="")


def stop(ws: Workspace, campaign_id: int, reason: str, summary: SendSummary) -> None:
    """Pause the campaign with the reason; the rep resumes it once fixed."""
    summary.stopped = reason
    with db.session_scope(ws.engine) as session:
        camp = session.get(Campaign, campaign_id)
        camp.status, camp.pause_reason = "paused", reason[:500]
        audit.record(session, actor=ws.actor, action="campaign.pause", subject=f"campaign:{campaign_id}",
                     detail={"reason": reason})


# ---------------------------------------------------------------------------- the run


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
    worker = worker_id()
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
        budget = {"left": limit if limit is not None else total}
        # Caps are evaluated one claim at a time; without caps, claim a few at once.
        batch = 1 if caps or dry else 16
        done = {"n": 0}

        def progress(sends: int = 1) -> None:
            """Messages sent or failed, and those the claims skipped, blocked or deferred: all of
            them were due, so the bar ends full even when some were not sent."""
            done["n"] += sends
            if on_progress:
                on_progress(min(done["n"] + summary.settled, total), total)

        async def worker_loop(conn: Connection | None) -> None:
            # Each worker claims a few messages at a time (fewer transactions); the last look at the
            # suppression list happens right before each DATA, so a claim is not a licence to send.
            pending: list[Claimed] = []
            while not summary.stopped:
                if not pending:
                    want = min(batch, budget["left"])
                    if want <= 0:
                        break
                    pending = claim(store, campaign_id, now=clock.now(), worker=worker, summary=summary,
                                    caps=caps, steps=steps, batch=want)
                    budget["left"] -= len(pending)
                    progress(0)
                    if not pending:
                        break
                c = pending.pop(0)
                composed = compose(template=c.template, contact=c.contact, config=ws.config,
                                   contact_fp=c.fingerprints[0],
                                   workspace_templates=ws.home / "templates", message_id=c.msgid,
                                   thread=c.thread, now=clock.now())
                if dry:
                    (Path(dry_run_dir) / f"{c.message_id:07d}-{c.to}.eml").write_bytes(composed.raw)
                    result = SmtpResult("sent", 250, "dry run")
                elif (late := watch.hit(c.fingerprints)) is not None:
                    result = SmtpResult("suppressed", 0, late)
                else:
                    try:
                        result = await conn.send(sender, c.to, composed.raw)
                    except SendAborted as exc:
                        # Nothing reached the server (login comes before MAIL): put them back.
                        for back in [c, *pending]:
                            release(store, back)
                        stop(ws, campaign_id, str(exc), summary)
                        break
                if result.outcome == "sent":
                    buffer.add(c, result, clock.now(), composed.subject)
                    summary.sent += 1
                else:
                    record(store, c, result, now=clock.now(), summary=summary)
                progress()
                if result.outcome == "reject_recipient" and not dry:
                    from coldmail.deliverability.checks import check_guards

                    if (why := check_guards(ws, campaign_id)) is not None:
                        summary.stopped = f"paused by the guard: {why}"
            for back in pending:  # stopped with claims in hand: they go back to the queue
                release(store, back)

        n_conn = 1 if dry else (connections or ws.config.smtp.connections)
        conns = [None] * n_conn if dry else [Connection(target) for _ in range(n_conn)]
        buffer = SentBuffer(store, size=1 if caps else 32)  # with caps, every send counts at once
        watch = SuppressionWatch(ws.engine) if not dry else None
        try:
            await asyncio.gather(*(worker_loop(c) for c in conns))
        finally:
            buffer.flush()
            if watch is not None:
                watch.close()
            for c in conns:
                if c is not None:
                    await c.close()
    finally:
        store.close()
    with db.session_scope(ws.engine) as session:
        audit.record(session, actor=ws.actor, action="send.dry_run" if dry else "send",
                     subject=f"campaign:{campaign_id}", detail=summary.to_json())
    return summary
