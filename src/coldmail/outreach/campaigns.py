"""Campaigns: a list, a first-touch template and follow-ups; pausing and resuming (one place for
every pause: the rep's, the send loop's and the guards'); planning who is due for which step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session

from coldmail import audit
from coldmail.addresses import normalize_email
from coldmail.errors import BadInput, Conflict, NotFound, TemplateProblem
from coldmail.mail.rendering import compose_for, template_names
from coldmail.outreach.variables import asked_by, context_of, parse_var, require_variables, variables_of
from coldmail.prospects.lists import lia_missing
from coldmail.prospects.locations import REGION_WORD, zone_unsure
from coldmail.store import db
from coldmail.store.models import (
    Campaign,
    CampaignMailbox,
    CampaignStep,
    CampaignVar,
    Contact,
    ListMember,
    Message,
    ProspectList,
    as_utc,
    utcnow,
)
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
    variables: dict[str, str] = field(default_factory=dict)  # `--var NAME=VALUE`, for its templates
    unused_variables: list[str] = field(default_factory=list)  # given, but none of its templates uses them

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
            "vars": self.variables,
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


def mailboxes_of(session: Session, campaign_id: int) -> list[str]:
    """The mailboxes a campaign sends from; empty: all of them."""
    return list(session.execute(select(CampaignMailbox.mailbox).where(CampaignMailbox.campaign_id == campaign_id)
                                .order_by(CampaignMailbox.mailbox)).scalars())


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
    mailboxes: list[str] | None = None,
    variables: dict[str, str] | None = None,
) -> CampaignView:
    """Create a campaign with its `variables` (`--var NAME=VALUE`, checked by `parse_var`); refused
    when a step's template uses a campaign variable with no default that is not given, or does not
    render for a sample contact of the list (a template `templates check` rejects must not wait to
    fail at send time)."""
    from coldmail.outreach.mailboxes import configured
    name = name.strip()
    if not name or len(name) > 100:
        raise BadInput("a campaign name of 1 to 100 characters is required")
    variables = dict(parse_var(f"{key}={value}") for key, value in (variables or {}).items())
    available = template_names(ws.home / "templates")
    steps = [(template, 0)] + [parse_follow_up(f) for f in (follow_ups or [])]
    for tname, _ in steps:
        if tname not in available:
            raise NotFound(f"no template {tname!r} (available: {', '.join(available) or 'none'})")
    for tname, _ in steps:
        require_variables(tname, variables, ws.home / "templates")
    used = set(asked_by([tname for tname, _ in steps], ws.home / "templates"))
    known = [m.name for m in configured(ws.config)]
    for box in mailboxes or []:
        if box not in known:
            raise NotFound(f"no mailbox {box!r} (mailboxes: {', '.join(known)})")
    sender = normalize_email(sender_email or ws.config.controller.sender_email or "")
    with db.session_scope(ws.engine, write=False) as session:
        plist = session.execute(select(ProspectList).where(ProspectList.name == list_name)).scalars().first()
        if plist is None:
            raise NotFound(f"no list {list_name!r}")
        sample = session.execute(
            select(Contact.email).join(ListMember, ListMember.contact_id == Contact.id)
            .where(ListMember.list_id == plist.id).order_by(ListMember.added_at, Contact.id).limit(1)
        ).scalar()
    if sample is not None:
        for tname, _ in steps:
            try:
                compose_for(ws, template=tname, email=sample, extra={**variables, "campaign": name})
            except TemplateProblem as exc:
                raise TemplateProblem(f"template {tname!r} does not render for a contact of list {list_name!r}: "
                                      f"{exc}") from None
    with db.session_scope(ws.engine) as session:
        plist = session.execute(select(ProspectList).where(ProspectList.name == list_name)).scalars().first()
        if session.execute(select(Campaign.id).where(Campaign.name == name)).first():
            raise Conflict(f"campaign {name!r} already exists")
        row = Campaign(name=name, list_id=plist.id, sender_email=sender, status=CampaignStatus.ACTIVE,
                       created_by=ws.actor, created_at=utcnow())
        session.add(row)
        session.flush()
        for pos, (tname, days) in enumerate(steps):
            session.add(CampaignStep(campaign_id=row.id, position=pos, template=tname, delay_days=days))
        for box in dict.fromkeys(mailboxes or []):
            session.add(CampaignMailbox(campaign_id=row.id, mailbox=box))
        for key, value in variables.items():
            session.add(CampaignVar(campaign_id=row.id, name=key, value=value))
        audit.record(session, actor=ws.actor, action="campaign.create", subject=f"campaign:{row.id}",
                     detail={"name": name, "list": list_name, "steps": [t for t, _ in steps],
                             "vars": sorted(variables)})
        session.flush()
        view = _view(session, row)
        view.unused_variables = sorted(set(variables) - used)
        return view


def _view(session: Session, row: Campaign) -> CampaignView:
    plist = session.get(ProspectList, row.list_id)
    counts = dict(session.execute(
        select(Message.state, func.count()).where(Message.campaign_id == row.id).group_by(Message.state)
    ).all())
    return CampaignView(row.id, row.name, plist.name if plist else "", row.sender_email, row.status,
                        row.pause_reason, steps_of(session, row.id), counts, lia_missing(plist) if plist else [],
                        variables_of(session, row.id))


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
    row.full_plan_at = None  # whatever changed while it was paused, the next plan sees it all
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
    """Extra template variables a campaign provides (`render --campaign`): its `--var`s and its name."""
    with db.session_scope(ws.engine, write=False) as session:
        return context_of(session, load(session, name))


def _domain_expr(dialect: str) -> str:
    if dialect == "postgresql":
        return "split_part(c.email, '@', 2)"
    return "substr(c.email, instr(c.email, '@') + 1)"


# A full plan at most this often (real time); between them, only what changed since the last plan.
FULL_PLAN_EVERY = timedelta(hours=1)
# How far back an incremental plan looks past its watermark: list members are stamped with the time
# their import began (a long import commits later), and senders' clocks differ a little.
PLAN_MARGIN = timedelta(minutes=15)


def replan(session: Session, campaign_id: int) -> None:
    """Make the campaign's next plan a full one (after a change an incremental plan cannot see:
    a resume, a message settled by a person)."""
    session.execute(update(Campaign).where(Campaign.id == campaign_id).values(full_plan_at=None))


def plan(session: Session, campaign: Campaign, now: datetime, *, full: bool = False) -> int:
    """Queue every step that is due: step 0 for list members never written to by this campaign,
    step k once step k-1 went out `delay_days` ago and the contact has not replied, opted out,
    bounced, asked something or been suppressed. Set-based: one statement per step.

    Incremental, so its cost follows what changed, not the size of the list or the queue: step 0
    looks only at members added since the last plan, step k only at step k-1 messages sent since the
    last plan's cut-off (both by index, with PLAN_MARGIN of overlap; the unique step key makes a
    repeat a no-op). A full plan runs when asked, when none ran in the last FULL_PLAN_EVERY, when
    the campaign changed (`replan`), or when the planning clock went back (`--now` in the past)."""
    dialect = session.get_bind().dialect.name
    to_db = db.datetime_binder(session.get_bind())
    real = utcnow()
    last_plan, seen, last_full = (as_utc(campaign.planned_at), as_utc(campaign.members_seen_at),
                                  as_utc(campaign.full_plan_at))
    full = (full or last_plan is None or seen is None or last_full is None or now < last_plan
            or real - last_full >= FULL_PLAN_EVERY or real < last_full)
    steps = steps_of(session, campaign.id)
    mark = "%s" if dialect == "postgresql" else "?"
    total = 0
    statuses = ", ".join(f"'{s}'" for s in ACTIVE_CONTACT)
    queued, sent, open_ = (f"'{s}'" for s in (MessageState.QUEUED, MessageState.SENT, RequestStatus.OPEN))
    for step in steps:
        if step.position == 0:
            join = f"JOIN list_members lm ON lm.contact_id = c.id AND lm.list_id = {mark}"
            params: list = [campaign.list_id]
            if not full:
                join += f" AND lm.added_at >= {mark}"
                params.append(to_db(seen - PLAN_MARGIN))
        else:
            join = (
                "JOIN messages prev ON prev.contact_id = c.id AND prev.campaign_id = "
                f"{mark} AND prev.position = {mark} AND prev.state = {sent} AND prev.sent_at <= {mark}"
            )
            params = [campaign.id, step.position - 1, to_db(now - timedelta(days=step.delay_days))]
            if not full:
                join += f" AND prev.sent_at > {mark}"
                params.append(to_db(last_plan - timedelta(days=step.delay_days) - PLAN_MARGIN))
        # A follow-up goes from the mailbox that wrote first, in the same thread.
        box = "''" if step.position == 0 else "prev.mailbox"
        sender = mark if step.position == 0 else "prev.sender_email"
        sql = (
            "INSERT INTO messages (campaign_id, position, contact_id, fingerprint, to_email, sender_email, domain,"
            " subject, state, reason, attempts, queued_at, not_before, claimed_by, smtp_response, mailbox,"
            " window_key) "
            f"SELECT {mark}, {mark}, c.id, c.fingerprint, c.email, {sender}, {_domain_expr(dialect)}, '', {queued},"
            f" '', 0, {mark}, {mark}, '', '', {box}, c.country || '|' || c.timezone FROM contacts c {join} "
            f"WHERE c.status IN ({statuses}) AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.campaign_id = {mark}"
            f" AND m.contact_id = c.id AND m.position = {mark}) "
            f"AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.contact_id = c.id AND r.status = {open_}) "
            # Teammates' senders plan the same campaign at the same moment: first one wins.
            "ON CONFLICT DO NOTHING"
        )
        head = [campaign.id, step.position, *([campaign.sender_email] if step.position == 0 else []),
                to_db(now), to_db(now)]
        result = session.connection().exec_driver_sql(sql, tuple(head + params + [campaign.id, step.position]))
        total += max(result.rowcount or 0, 0)
    # The watermarks move in the plan's own transaction: a dry run's rollback takes them back too.
    marks = {"planned_at": now, "members_seen_at": real}
    if full:
        marks["full_plan_at"] = real
    session.execute(update(Campaign).where(Campaign.id == campaign.id).values(**marks))
    return total


def due_count(session: Session, campaign_id: int, now: datetime, at_most: int | None = None) -> int:
    """Messages due now, counted up to `at_most` (so the cost does not grow with the queue)."""
    due = select(Message.id).where(
        Message.campaign_id == campaign_id, Message.state == MessageState.QUEUED, Message.not_before <= now)
    if at_most is not None:
        due = due.limit(at_most)
    return session.execute(select(func.count()).select_from(due.subquery())).scalar_one()


def next_due(session: Session, campaign_id: int, now: datetime) -> tuple[datetime | None, str]:
    """The first queued message's due time and why it waits (one index probe)."""
    first = session.execute(
        select(Message.not_before, Message.reason)
        .where(Message.campaign_id == campaign_id, Message.state == MessageState.QUEUED)
        .order_by(Message.not_before, Message.id).limit(1)).first()
    if first is None:
        return None, ""
    when = as_utc(first[0])
    return when, (first[1] or "") if when > now else "due now"


def queue_status(ws: Workspace, name: str, now: datetime, *, count: bool = True) -> tuple[int, datetime | None, str]:
    """Messages still queued, and the first one's due time and reason. The count reads the
    campaign's part of an index (about 70 ms at 1,000,000 queued): `count=False` skips it (-1)."""
    with db.session_scope(ws.engine, write=False) as session:
        cid = load(session, name).id
        queued = session.execute(select(func.count()).select_from(Message).where(
            Message.campaign_id == cid, Message.state == MessageState.QUEUED)).scalar_one() if count else -1
        when, why = next_due(session, cid, now)
    return queued, when, why


NO_TIMEZONE = "no time zone (no country or location): its window is in UTC"


def guessed_zone(country: str, zone: str) -> str:
    """Why a contact's window is its country's main zone: the file named no state or province."""
    return f"no {REGION_WORD[country.upper()]} in {country.upper()}: its window is {zone}'s, the country's main zone"


def schedule(ws: Workspace, name: str, *, now: datetime | None = None, limit: int = 200) -> list[dict]:
    """What is queued for a campaign and when, with the reason for each deferral; a contact with no
    time zone (neither a country nor a zone from its location) is named as such (`timezone` None),
    and so is one whose zone is its country's main one for want of a state or province."""
    from coldmail.outreach.windows import zone_for

    now = now or utcnow()
    with db.session_scope(ws.engine, write=False) as session:
        row = load(session, name)
        stmt = (
            select(Message.to_email, Message.position, Message.state, Message.not_before, Message.reason,
                   Contact.country, Contact.timezone)
            .outerjoin(Contact, Contact.id == Message.contact_id)
            .where(Message.campaign_id == row.id, Message.state.in_((MessageState.QUEUED, MessageState.UNKNOWN)))
            .order_by(Message.not_before, Message.id)
            .limit(limit)
        )
        out = []
        for e, p, s, nb, r, country, tz in session.execute(stmt).all():
            zone = zone_for(country or "", tz or "")
            why = (NO_TIMEZONE if zone is None
                   else guessed_zone(country, zone.key) if zone_unsure(country or "", tz or "") else "")
            if why:
                r = f"{r}; {why}" if r else why
            out.append({"email": e, "step": p, "state": s, "not_before": as_utc(nb).isoformat(), "reason": r,
                        "due": as_utc(nb) <= now, "timezone": zone.key if zone else None})
        return out
