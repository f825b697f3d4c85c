"""Campaigns: a list, a first-touch template and follow-ups; pausing and resuming (one place for
every pause: the rep's, the send loop's and the guards'); planning who is due for which step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from coldmail import audit
from coldmail.addresses import normalize_email
from coldmail.errors import BadInput, Conflict, NotFound
from coldmail.mail.rendering import template_names
from coldmail.prospects.lists import lia_missing
from coldmail.store import db
from coldmail.store.models import Campaign, CampaignStep, Message, ProspectList, as_utc, utcnow
from coldmail.store.states import ACTIVE_CONTACT, CampaignStatus, MessageState, RequestStatus
from coldmail.store.workspace import Workspace


@dataclass(frozen=True)
class StepView:
    position: int
    template: str
    delay_days: int


@dataclass
class CampaignView:
    id: int
    name: str
    list_name: str
    sender_email: str
    status: str
    pause_reason: str
    steps: list[StepView]
    counts: dict[str, int] = field(default_factory=dict)
    lia_missing: list[str] = field(default_factory=list)  # of its list's legitimate-interests assessment

    @property
    def lia_warning(self) -> str | None:
        """What the CLI and the TUI say before this campaign writes to a list without a complete
        assessment (Art. 6(1)(f) needs it first); None when it is complete."""
        if not self.lia_missing:
            return None
        return (f"list {self.list_name!r} has no complete legitimate-interests assessment "
                f"(missing: {', '.join(self.lia_missing)})")

    def to_json(self) -> dict:
        return {
            "name": self.name, "list": self.list_name, "sender": self.sender_email, "status": self.status,
            "pause_reason": self.pause_reason or None,
            "steps": [{"template": s.template, "delay_days": s.delay_days} for s in self.steps],
            "counts": self.counts,
        }


def parse_follow_up(spec: str) -> tuple[str, int]:
    """`TEMPLATE:DAYS` -> (template, days)."""
    name, sep, days = spec.rpartition(":")
    if not sep or not name or not days.strip().isdigit():
        raise BadInput(f"--follow-up {spec!r} should be TEMPLATE:DAYS, e.g. follow_up_1:4")
    if not 1 <= int(days) <= 90:
        raise BadInput(f"--follow-up {spec!r}: the delay must be 1 to 90 days")
    return name, int(days)


def load(session: Session, name: str) -> Campaign:
    row = session.execute(select(Campaign).where(Campaign.name == name)).scalars().first()
    if row is None:
        known = ", ".join(session.execute(select(Campaign.name).order_by(Campaign.name)).scalars()) or "none yet"
        raise NotFound(f"no campaign {name!r} (campaigns: {known})")
    return row


def steps_of(session: Session, campaign_id: int) -> list[StepView]:
    rows = session.execute(
        select(CampaignStep).where(CampaignStep.campaign_id == campaign_id).order_by(CampaignStep.position)
    ).scalars()
    return [StepView(r.position, r.template, r.delay_days) for r in rows]


def create(
    ws: Workspace,
    *,
    name: str,
    list_name: str,
    template: str,
    follow_ups: list[str] | None = None,
    sender_email: str | None = None,
) -> CampaignView:
    name = name.strip()
    if not name or len(name) > 100:
        raise BadInput("a campaign name of 1 to 100 characters is required")
    available = template_names(ws.home / "templates")
    steps = [(template, 0)] + [parse_follow_up(f) for f in (follow_ups or [])]
    for tname, _ in steps:
        if tname not in available:
            raise NotFound(f"no template {tname!r} (available: {', '.join(available) or 'none'})")
    sender = normalize_email(sender_email or ws.config.controller.sender_email or "")
    with db.session_scope(ws.engine) as session:
        plist = session.execute(select(ProspectList).where(ProspectList.name == list_name)).scalars().first()
        if plist is None:
            raise NotFound(f"no list {list_name!r}")
        if session.execute(select(Campaign.id).where(Campaign.name == name)).first():
            raise Conflict(f"campaign {name!r} already exists")
        row = Campaign(name=name, list_id=plist.id, sender_email=sender, status=CampaignStatus.ACTIVE,
                       created_by=ws.actor, created_at=utcnow())
        session.add(row)
        session.flush()
        for pos, (tname, days) in enumerate(steps):
            session.add(CampaignStep(campaign_id=row.id, position=pos, template=tname, delay_days=days))
        audit.record(session, actor=ws.actor, action="campaign.create", subject=f"campaign:{row.id}",
                     detail={"name": name, "list": list_name, "steps": [t for t, _ in steps]})
        session.flush()
        return _view(session, row)


def _view(session: Session, row: Campaign) -> CampaignView:
    plist = session.get(ProspectList, row.list_id)
    counts = dict(session.execute(
        select(Message.state, func.count()).where(Message.campaign_id == row.id).group_by(Message.state)
    ).all())
    return CampaignView(row.id, row.name, plist.name if plist else "", row.sender_email, row.status,
                        row.pause_reason, steps_of(session, row.id), counts, lia_missing(plist) if plist else [])


def get(ws: Workspace, name: str) -> CampaignView:
    with db.session_scope(ws.engine, write=False) as session:
        return _view(session, load(session, name))


def all_campaigns(ws: Workspace) -> list[CampaignView]:
    with db.session_scope(ws.engine, write=False) as session:
        return [_view(session, r) for r in session.execute(select(Campaign).order_by(Campaign.name)).scalars()]


def pause(session: Session, *, campaign_id: int, reason: str, actor: str, detail: dict | None = None) -> None:
    """Pause a campaign with the reason a person reads before resuming it; audited (the reason in the
    entry's note, codes in `detail`). Runs inside the caller's transaction: the one way any
    campaign is paused."""
    row = session.get(Campaign, campaign_id)
    if row is None:
        raise NotFound(f"no campaign with id {campaign_id}")
    row.status, row.pause_reason = CampaignStatus.PAUSED, reason[:500]
    audit.record(session, actor=actor, action="campaign.pause", subject=f"campaign:{campaign_id}",
                 detail=detail or {}, note=reason)


def resume(session: Session, *, campaign_id: int, actor: str, reason: str = "") -> None:
    """Make a paused campaign active again; audited. Runs inside the caller's transaction."""
    row = session.get(Campaign, campaign_id)
    if row is None:
        raise NotFound(f"no campaign with id {campaign_id}")
    row.status, row.pause_reason = CampaignStatus.ACTIVE, ""
    audit.record(session, actor=actor, action="campaign.resume", subject=f"campaign:{campaign_id}",
                 note=reason)


def set_status(ws: Workspace, name: str, status: str, reason: str = "") -> CampaignView:
    """Pause (with a reason) or resume a campaign by name, in a transaction of its own."""
    try:
        status = CampaignStatus(status)
    except ValueError:
        raise BadInput(f"campaign status {status!r}: use one of {', '.join(CampaignStatus)}") from None
    with db.session_scope(ws.engine) as session:
        row = load(session, name)
        if status == CampaignStatus.PAUSED:
            pause(session, campaign_id=row.id, reason=reason, actor=ws.actor)
        else:
            resume(session, campaign_id=row.id, actor=ws.actor, reason=reason)
        session.flush()
        return _view(session, row)


def campaign_context(ws: Workspace, name: str) -> dict:
    """Extra template variables a campaign provides."""
    get(ws, name)
    return {"campaign": name}


def _domain_expr(dialect: str) -> str:
    if dialect == "postgresql":
        return "split_part(c.email, '@', 2)"
    return "substr(c.email, instr(c.email, '@') + 1)"


def plan(session: Session, campaign: Campaign, now: datetime) -> int:
    """Queue every step that is due: step 0 for list members never written to by this campaign,
    step k once step k-1 went out `delay_days` ago and the contact has not replied, opted out,
    bounced, asked something or been suppressed. Set-based: one statement per step."""
    dialect = session.get_bind().dialect.name
    to_db = db.datetime_binder(session.get_bind())
    steps = steps_of(session, campaign.id)
    mark = "%s" if dialect == "postgresql" else "?"
    total = 0
    statuses = ", ".join(f"'{s}'" for s in ACTIVE_CONTACT)
    queued, sent, open_ = (f"'{s}'" for s in (MessageState.QUEUED, MessageState.SENT, RequestStatus.OPEN))
    for step in steps:
        if step.position == 0:
            join = f"JOIN list_members lm ON lm.contact_id = c.id AND lm.list_id = {mark}"
            params: list = [campaign.list_id]
        else:
            join = (
                "JOIN messages prev ON prev.contact_id = c.id AND prev.campaign_id = "
                f"{mark} AND prev.position = {mark} AND prev.state = {sent} AND prev.sent_at <= {mark}"
            )
            params = [campaign.id, step.position - 1, to_db(now - timedelta(days=step.delay_days))]
        sql = (
            "INSERT INTO messages (campaign_id, position, contact_id, fingerprint, to_email, sender_email, domain,"
            " subject, state, reason, attempts, queued_at, not_before, claimed_by, smtp_response) "
            f"SELECT {mark}, {mark}, c.id, c.fingerprint, c.email, {mark}, {_domain_expr(dialect)}, '', {queued},"
            f" '', 0, {mark}, {mark}, '', '' FROM contacts c {join} "
            f"WHERE c.status IN ({statuses}) AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.campaign_id = {mark}"
            f" AND m.contact_id = c.id AND m.position = {mark}) "
            f"AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.contact_id = c.id AND r.status = {open_}) "
            # Teammates' senders plan the same campaign at the same moment: first one wins.
            "ON CONFLICT DO NOTHING"
        )
        head = [campaign.id, step.position, campaign.sender_email, to_db(now), to_db(now)]
        result = session.connection().exec_driver_sql(sql, tuple(head + params + [campaign.id, step.position]))
        total += max(result.rowcount or 0, 0)
    return total


def due_count(session: Session, campaign_id: int, now: datetime) -> int:
    return session.execute(
        select(func.count()).select_from(Message).where(
            Message.campaign_id == campaign_id, Message.state == MessageState.QUEUED, Message.not_before <= now
        )
    ).scalar_one()


def schedule(ws: Workspace, name: str, *, now: datetime | None = None, limit: int = 200) -> list[dict]:
    """What is queued for a campaign and when, with the reason for each deferral."""
    now = now or utcnow()
    with db.session_scope(ws.engine, write=False) as session:
        row = load(session, name)
        stmt = (
            select(Message.to_email, Message.position, Message.state, Message.not_before, Message.reason)
            .where(Message.campaign_id == row.id, Message.state.in_((MessageState.QUEUED, MessageState.UNKNOWN)))
            .order_by(Message.not_before, Message.id)
            .limit(limit)
        )
        return [
            {"email": e, "step": p, "state": s, "not_before": as_utc(nb).isoformat(), "reason": r,
             "due": as_utc(nb) <= now}
            for e, p, s, nb, r in session.execute(stmt).all()
        ]
