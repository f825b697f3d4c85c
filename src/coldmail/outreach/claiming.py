"""Claiming due messages: one transaction that checks the suppression list, the contact's status,
the country rule, the recipient's sending window and every cap, then skips, blocks, defers or
claims each candidate (state `sending` before the first byte goes to the server)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

from coldmail import countries
from coldmail.contacts.views import ContactView
from coldmail.mail.rendering import Thread
from coldmail.outreach import campaigns
from coldmail.outreach import windows as scheduling
from coldmail.outreach.caps import contact_caps_ok, lock_caps, open_mailboxes
from coldmail.outreach.mailboxes import MailboxSpec
from coldmail.store import db
from coldmail.store.config import Sending
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
from coldmail.store.states import (
    ACTIVE_CONTACT,
    CampaignStatus,
    MessageState,
    ReplyKind,
)
from coldmail.store.workspace import Workspace
from coldmail.suppression import oracle
from coldmail.suppression.oracle import candidate_fingerprints

if TYPE_CHECKING:
    from coldmail.outreach.campaigns import StepView
    from coldmail.outreach.sending import SendSummary


@dataclass
class Claimed:
    """A message claimed for sending, with everything needed to render it."""

    message_id: int
    msgid: str
    position: int
    template: str
    to: str
    contact: ContactView
    thread: Thread | None
    fingerprints: list[str]
    attempts: int = 1
    mailbox: str = ""


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


def set_message(conn, row_id: int, **values) -> None:
    """Update one message row (Core: the claim and the recording run once per message)."""
    conn.execute(update(Message).where(Message.id == row_id).values(**values))


_CANDIDATE_COLS = (Message.id, Message.not_before, Message.window_key, Message.position, Message.to_email, Message.sender_email, Message.domain,
                   Message.message_id, Message.attempts, Message.contact_id, Message.mailbox)
_CONTACT_COLS = (Contact.id, Contact.email, Contact.first_name, Contact.last_name, Contact.company, Contact.role,
                 Contact.country, Contact.website, Contact.source, Contact.source_url, Contact.source_public,
                 Contact.collected_at, Contact.collected_by, Contact.justification, Contact.status,
                 Contact.timezone, Contact.consent)


@dataclass(frozen=True)
class _Context:
    """What every decision of one claim needs."""

    campaign_id: int
    key: bytes
    rules: Sending
    steps: dict[int, StepView]
    caps: bool
    now: datetime
    worker: str
    summary: SendSummary
    batch: int
    boxes: list[MailboxSpec]
    room: list[int]  # rows this claim may still defer as sets (DEFER_BUDGET, counted down)
    writes: dict[tuple[str, ...], list[dict]] = field(default_factory=dict)  # decided rows, see _settle


def claim(store: Store, campaign_id: int, *, now: datetime, worker: str, summary: SendSummary,
          boxes: list[MailboxSpec], caps: bool = True, batch: int = 1, steps: dict | None = None) -> list[Claimed]:
    """Claim up to `batch` due messages. Check and claim share one transaction, so a suppression
    that commits before it stops the message, and one that commits after finds it claimed.
    Core statements only: this runs once per message of a 100,000-message campaign."""
    ws = store.ws
    out: list[Claimed] = []
    summary.more_due = False
    with store.unit() as session:
        conn = session.connection()
        status, reason = conn.execute(
            select(Campaign.status, Campaign.pause_reason).where(Campaign.id == campaign_id)
        ).one()
        if status != CampaignStatus.ACTIVE:
            summary.stopped = f"campaign is {status}: {reason or 'resume it to continue'}"
            return out
        steps = steps or {s.position: s for s in campaigns.steps_of(session, campaign_id)}
        if not boxes:
            return out
        if caps and conn.dialect.name == "postgresql" and not store.dry_run:
            lock_caps(conn, boxes, ws.config.sending)
        boxes = open_mailboxes(conn, boxes, now, ws.config.sending, summary, caps)
        if not boxes:
            return out
        names = ["", *(b.name for b in boxes)]
        limit = max(batch * 2, 8)
        probes = _probes(conn, campaign_id, now, names, limit)
        ctx = _Context(campaign_id=campaign_id, key=ws.fingerprint_key, rules=ws.config.sending, steps=steps,
                       caps=caps, now=now, worker=worker, summary=summary, batch=batch, boxes=boxes,
                       room=[DEFER_BUDGET])
        # Skipped and deferred candidates leave the queue (their state or not_before changes), so
        # each pass sees fresh ones until enough are claimed or none are due.
        while len(out) < batch and not summary.more_due:
            candidates = _due(conn, probes, limit)
            if not candidates:
                break
            claimed = len(out)
            _consider(conn, candidates, ctx, out)
            if len(out) == claimed and limit < FETCH_MAX:
                # None of them could go (skipped, blocked, deferred): read more at a time, so that the
                # checks' queries (contacts, suppressions, replies...) are shared by more rows.
                limit = min(limit * 4, FETCH_MAX)
                probes = _probes(conn, campaign_id, now, names, limit)
    if summary.more_due and not store.dry_run and ws.engine.dialect.name == "sqlite":
        # A chunk was committed and the sender claims again at once. SQLite's busy handler retries
        # every 100 ms at most: without a pause, an unsubscribe or a reply waiting for the writer
        # lock would wait for the whole nightfall. Blocking on purpose: no worker claims meanwhile.
        time.sleep(CHUNK_PAUSE)
    return out


def _probes(conn, campaign_id: int, now: datetime, names: list[str], limit: int) -> list:
    """One query per mailbox (and one for first touches not yet given one), each an index range
    (campaign, state, mailbox, not_before) read in due order: a mailbox's backlog, or a down
    mailbox's, costs the others nothing, and no query sorts the queue."""
    out = []
    for name in names:
        stmt = (select(*_CANDIDATE_COLS)
                .where(Message.campaign_id == campaign_id, Message.state == MessageState.QUEUED,
                       Message.mailbox == name, Message.not_before <= now)
                .order_by(Message.not_before, Message.id).limit(limit))
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        out.append(stmt)
    return out


def _due(conn, probes: list, limit: int) -> list:
    """The first `limit` due candidates over every probe, in due order."""
    rows = [row for stmt in probes for row in conn.execute(stmt).all()]
    rows.sort(key=lambda r: (as_utc(r.not_before), r.id))
    return rows[:limit]


_CLAIM = (
    update(Message.__table__)
    .where(Message.__table__.c.id == bindparam("b_id"))
    .values(state=MessageState.SENDING, claimed_at=bindparam("b_at"), claimed_by=bindparam("b_by"),
            attempts=bindparam("b_attempts"), message_id=bindparam("b_msgid"), reason="",
            mailbox=bindparam("b_box"), sender_email=bindparam("b_from"))
)


def _consider(conn, candidates, ctx: _Context, out: list[Claimed]) -> None:
    """Decide each candidate: skip, block, defer or claim (the decisions are written together)."""
    claims: list[dict] = []
    try:
        _decide(conn, candidates, ctx, out, claims)
    finally:
        _flush(conn, ctx)
        if claims:
            conn.execute(_CLAIM, claims)


def _settle(ctx: _Context, row_id: int, **values) -> None:
    """Decide one row (skip, block or defer it): written with the others of its round by `_flush`, one
    statement for all the rows that change the same columns (one UPDATE a row cost about 200 us)."""
    ctx.writes.setdefault(tuple(sorted(values)), []).append({"b_id": row_id} | {f"b_{k}": v for k, v in values.items()})


def _flush(conn, ctx: _Context) -> None:
    table = Message.__table__
    for cols, rows in ctx.writes.items():
        conn.execute(update(table).where(table.c.id == bindparam("b_id"))
                     .values({c: bindparam(f"b_{c}") for c in cols}), rows)
    ctx.writes.clear()


def _decide(conn, candidates, ctx: _Context, out: list[Claimed], claims: list[dict]) -> None:
    now, rules, summary = ctx.now, ctx.rules, ctx.summary
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
    fps = {cid: candidate_fingerprints(ctx.key, p.email) for cid, p in people.items()}
    dead_domains = set(conn.execute(
        select(DomainCheck.domain).where(DomainCheck.domain.in_({c.domain for c in candidates}),
                                         DomainCheck.status == "undeliverable")
    ).scalars())
    away = dict(conn.execute(
        select(Reply.contact_id, func.max(Reply.until)).where(
            Reply.contact_id.in_(ids), Reply.kind == ReplyKind.AUTO_REPLY, Reply.until > now
        ).group_by(Reply.contact_id)
    ).all())
    blocked_fps = oracle.reasons_for(conn, (fp for group in fps.values() for fp in group))
    closed: set[str] = set()  # window keys deferred as a set in this pass
    for row in candidates:
        if len(out) >= ctx.batch or summary.more_due:
            break
        person = people.get(row.contact_id)
        if person is not None and f"{person.country}|{person.timezone}" in closed:
            continue  # deferred with its set a moment ago
        _spend(ctx, ROW_COST)
        summary.settled += 1  # (taken back below if it is claimed)
        if person is None:
            _settle(ctx, row.id, state=MessageState.SKIPPED, reason="the contact was erased")
            continue
        hit = next((blocked_fps[fp] for fp in fps[person.id] if fp in blocked_fps), None)
        if hit is not None:
            _settle(ctx, row.id, state=MessageState.SKIPPED, reason=f"suppressed ({hit})")
            summary.skipped_suppressed += 1
            continue
        if person.status not in ACTIVE_CONTACT:
            _settle(ctx, row.id, state=MessageState.SKIPPED, reason=f"follow-ups stopped: contact {person.status}")
            continue
        if row.domain in dead_domains:
            _settle(ctx, row.id, state=MessageState.SKIPPED,
                    reason=f"undeliverable: {row.domain} accepts no mail (coldmail verify)")
            continue
        rule = countries.rule_for(person.country) if rules.country_rules else None
        if rule and rule.rule == "consent" and not person.consent:
            _settle(ctx, row.id, state=MessageState.BLOCKED,
                    reason=f"{rule.country} requires prior consent for B2B email ({rule.source}); none recorded")
            summary.blocked += 1
            continue
        if rule and rule.rule == "conditional":
            warn = f"{rule.country}: {rule.summary} ({rule.source})"
            if warn not in summary.warnings:
                summary.warnings.append(warn)
        if person.id in away:
            until = as_utc(away[person.id])
            _settle(ctx, row.id, not_before=until, reason=f"out of office until {until:%Y-%m-%d}")
            summary.deferred += 1
            summary.reasons["out of office"] += 1
            continue
        if ctx.caps:
            win = scheduling.window(now, country=person.country, timezone=person.timezone, rules=rules)
            if not win.ok:
                key = f"{person.country}|{person.timezone}"
                closed.add(key)
                n = _defer_window(conn, ctx, row, key, win.next_time, win.reason)
                summary.settled += n - 1
                summary.deferred += n
                summary.reasons[win.reason.split(" in ")[0]] += n
                continue
            ok, later, why = contact_caps_ok(conn, row, now, rules)
            if not ok:
                _settle(ctx, row.id, not_before=later, reason=why)
                summary.deferred += 1
                summary.reasons[why.split(" in ")[0]] += 1
                continue
        params, claimed = _take(conn, row, person, lists.get(person.id, []), fps[person.id], ctx)
        claims.append(params)
        out.append(claimed)
        summary.settled -= 1


# Rows one claim (one transaction) defers as sets: a million due messages at nightfall go over many short
# transactions, the writer lock free in between for an unsubscribe or a reply (SQLite waits 30 s at most).
# A row decided by itself (skipped, blocked, deferred alone) costs ROW_COST of it: 2,000 such rows a claim.
DEFER_BUDGET = 20_000
ROW_COST = 10
FETCH_MAX = 512  # candidates read at once once none of the last ones could go
CHUNK_PAUSE = 0.1  # seconds between two chunks on SQLite, for other writers


def _spend(ctx: _Context, rows: int) -> None:
    """Count rows against the claim's budget; at the end of it, `more_due` asks the sender to commit
    what was decided and claim again."""
    ctx.room[0] -= rows
    if ctx.room[0] <= 0:
        ctx.summary.more_due = True


def _defer_window(conn, ctx: _Context, row, key: str, until: datetime, reason: str) -> int:
    """Defer the due messages of the campaign whose contact shares this window (same country and
    time zone), up to what is left of the claim's budget, in one statement over its index range,
    instead of one claim after another finding them one by one (a million due messages at night).
    Returns how many, this one included; at the budget, `more_due` asks the sender to claim again."""
    _flush(conn, ctx)  # rows decided a moment ago are out of the set
    table = Message.__table__
    due = select(table.c.id).where(
        (table.c.campaign_id == ctx.campaign_id) & (table.c.state == MessageState.QUEUED)
        & (table.c.window_key == key) & (table.c.not_before <= ctx.now)).limit(max(ctx.room[0], 1))
    if conn.dialect.name == "postgresql":
        # Rows another sender holds are left to it (no waiting on its locks, no deadlock).
        due = due.with_for_update(skip_locked=True)
    n = conn.execute(update(table).where(table.c.id.in_(due.scalar_subquery()))
                     .values(not_before=until, reason=reason)).rowcount or 0
    _spend(ctx, n)
    if row.window_key != key:  # the contact moved since it was queued: this one too, by itself
        set_message(conn, row.id, not_before=until, reason=reason, window_key=key)
        n += 1
    return n


def _take(conn, row, person, lists: list[tuple[str, str]], fingerprints: list[str],
          ctx: _Context) -> tuple[dict, Claimed]:
    """A claim: the row's new values, and the message threaded under the contact's earlier steps."""
    thread = None
    if row.position > 0:
        prior = conn.execute(
            select(Message.message_id).where(
                Message.campaign_id == ctx.campaign_id, Message.contact_id == person.id,
                Message.position < row.position, Message.state == MessageState.SENT,
            ).order_by(Message.position)
        ).scalars().all()
        if prior:
            thread = Thread(in_reply_to=prior[-1], references=tuple(prior))
    # A pinned follow-up keeps its mailbox; a first touch takes the next mailbox of the rotation.
    by_name = {b.name: b for b in ctx.boxes}
    box = by_name.get(row.mailbox) or ctx.boxes[ctx.summary.rotation % len(ctx.boxes)]
    ctx.summary.rotation += 1
    msgid = row.message_id or _make_msgid(box.from_email)
    params = {"b_id": row.id, "b_at": ctx.now, "b_by": ctx.worker, "b_attempts": row.attempts + 1, "b_msgid": msgid,
              "b_box": box.name, "b_from": box.from_email}
    return params, Claimed(row.id, msgid, row.position, ctx.steps[row.position].template, person.email,
                           _contact_view(person, lists), thread, fingerprints, row.attempts + 1, box.name)


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
