"""Mailboxes: the sending accounts (coldmail.toml's [mailboxes.NAME], or [smtp] as the implicit mailbox
"default"), their caps, and what the senders learnt about them (down with back-off, or paused).
One place for "may this mailbox send now?": the claim and `mailbox list` both ask `room`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from coldmail import audit
from coldmail.addresses import normalize_email
from coldmail.errors import BadInput, Conflict, NotFound
from coldmail.mail.smtp import SmtpTarget, parse_smtp_url
from coldmail.store import db
from coldmail.store.config import Config, Mailbox, save_config
from coldmail.store.models import MailboxState, Message, as_utc, utcnow
from coldmail.store.states import LIVE_STATES, MailboxStatus
from coldmail.store.workspace import Workspace

DEFAULT = "default"
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=15)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


@dataclass(frozen=True)
class MailboxSpec:
    """One sending account as the senders see it (no password: that is read when connecting)."""

    name: str
    smtp: str
    from_email: str
    from_name: str
    imap: str
    password_env: str
    per_minute: int
    per_hour: int
    per_day: int

    def target(self, config: Config) -> SmtpTarget:
        if not self.smtp:
            raise BadInput("no SMTP server: give --smtp smtp://HOST:PORT, add a mailbox (`coldmail mailbox add`), "
                           "or set url in the [smtp] section of coldmail.toml")
        cfg = config.smtp
        return parse_smtp_url(self.smtp, username=cfg.username if self.name == DEFAULT else "",
                              password_env=self.password_env, require_tls=cfg.require_tls,
                              timeout=cfg.timeout_seconds)

    def controller(self, config: Config) -> Config:
        """The config as this mailbox writes: its sender in From, the notice and the signature."""
        ctrl = config.controller.model_copy(update={"sender_email": self.from_email,
                                                     "sender_name": self.from_name or config.controller.sender_name})
        return config.model_copy(update={"controller": ctrl})


def password_env_for(name: str) -> str:
    return "COLDMAIL_PASSWORD_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def configured(config: Config, smtp_url: str | None = None) -> list[MailboxSpec]:
    """Every mailbox; `smtp_url` (a command's --smtp) makes that server the only, default, mailbox."""
    rules = config.sending
    if smtp_url or not config.mailboxes:
        ctrl = config.controller
        return [MailboxSpec(DEFAULT, smtp_url or config.smtp.url, ctrl.sender_email, ctrl.sender_name, "",
                            config.smtp.password_env, rules.per_minute, rules.per_hour, rules.per_day)]
    return [MailboxSpec(name, m.smtp, m.from_email, m.from_name, m.imap, m.password_env or password_env_for(name),
                        m.per_minute or rules.per_minute, m.per_hour or rules.per_hour, m.per_day or rules.per_day)
            for name, m in sorted(config.mailboxes.items())]


def states(session: Session) -> dict[str, MailboxState]:
    return {r.name: r for r in session.execute(select(MailboxState)).scalars()}


def usable(state: MailboxState | None, now: datetime) -> tuple[bool, datetime | None, str]:
    """May this mailbox be tried now? (down: after its back-off; paused: not until resumed)."""
    if state is None or state.status == MailboxStatus.OK:
        return True, None, ""
    if state.status == MailboxStatus.PAUSED:
        return False, None, f"mailbox {state.name} paused: {state.reason}"
    until = as_utc(state.down_until)
    if until is not None and until > now:
        return False, until, f"mailbox {state.name} down: {state.reason}"
    return True, None, ""


def _count(conn, *conds) -> int:
    return conn.execute(select(func.count()).select_from(Message).where(*conds)).scalar_one()


def room(conn, spec: MailboxSpec, now: datetime, jitter: float, spread: float = 1.0) -> tuple[bool, datetime | None, str]:
    """The mailbox's caps and spacing, counted in the database (index on mailbox, claimed_at) so
    they hold across processes and cost nothing per queued message. `spread` scales the jitter."""
    live, mine = Message.state.in_(LIVE_STATES), Message.mailbox == spec.name
    for limit, span, label in ((spec.per_minute, timedelta(minutes=1), "minute"),
                               (spec.per_hour, timedelta(hours=1), "hour"),
                               (spec.per_day, timedelta(days=1), "day")):
        if limit and _count(conn, mine, live, Message.claimed_at > now - span) >= limit:
            oldest = conn.execute(select(func.min(Message.claimed_at)).where(
                mine, live, Message.claimed_at > now - span)).scalar()
            later = as_utc(oldest) + span if oldest is not None else now + span / limit
            return False, max(later, now + timedelta(seconds=1)), f"mailbox cap: {limit} per {label}"
    if jitter:
        last = conn.execute(select(func.max(Message.claimed_at)).where(mine, live)).scalar()
        gap = timedelta(seconds=jitter * spread)
        if last is not None and as_utc(last) + gap > now:
            return False, as_utc(last) + gap, "spacing between messages"
    return True, None, ""


def _set(session: Session, name: str, **values) -> MailboxState:
    """Change a mailbox's state row, creating it if need be. Several senders may find one server down
    at the same moment: the row is created with ON CONFLICT DO NOTHING, then read FOR UPDATE, so
    neither fails on the other's insert and their back-offs do not overwrite each other."""
    return _apply(_locked(session, name), values)


def _locked(session: Session, name: str) -> MailboxState:
    insert = {"postgresql": pg_insert, "sqlite": sqlite_insert}[session.get_bind().dialect.name]
    session.execute(insert(MailboxState).values(name=name, status=MailboxStatus.OK, reason="", failures=0,
                                                updated_at=utcnow()).on_conflict_do_nothing(index_elements=["name"]))
    return session.execute(select(MailboxState).where(MailboxState.name == name).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()


def _apply(row: MailboxState, values: dict) -> MailboxState:
    for k, v in values.items():
        setattr(row, k, v)
    row.updated_at = utcnow()
    return row


def mark_down(ws: Workspace, name: str, reason: str, now: datetime) -> datetime:
    """The server did not answer: try again after a back-off that doubles up to 15 minutes."""
    with db.session_scope(ws.engine) as session:
        row = _locked(session, name)
        known = as_utc(row.down_until)
        if row.status == MailboxStatus.DOWN and known is not None and known > now:
            return known  # another sender found it down a moment ago: the same outage, the same back-off
        failures = row.failures + 1
        until = now + min(BACKOFF_FIRST * 2 ** (failures - 1), BACKOFF_MAX)
        if row.status != MailboxStatus.PAUSED:
            _apply(row, {"status": MailboxStatus.DOWN, "reason": reason[:500], "down_until": until,
                         "failures": failures})
        return until


def mark_ok(ws: Workspace, name: str) -> None:
    with db.session_scope(ws.engine) as session:
        row = session.get(MailboxState, name)
        if row is not None and row.status == MailboxStatus.DOWN:
            _set(session, name, status=MailboxStatus.OK, reason="", down_until=None, failures=0)


def pause(ws: Workspace, name: str, reason: str) -> None:
    """Authentication refused: this mailbox stops until a person resumes it; the others go on."""
    with db.session_scope(ws.engine) as session:
        _set(session, name, status=MailboxStatus.PAUSED, reason=reason[:500], down_until=None)
        audit.record(session, actor=ws.actor, action="mailbox.pause", detail={"mailbox": name}, note=reason)


def resume(ws: Workspace, name: str) -> None:
    if name not in {m.name for m in configured(ws.config)}:
        raise NotFound(f"no mailbox {name!r}")
    with db.session_scope(ws.engine) as session:
        _set(session, name, status=MailboxStatus.OK, reason="", down_until=None, failures=0)
        audit.record(session, actor=ws.actor, action="mailbox.resume", detail={"mailbox": name})


def add(ws: Workspace, *, name: str, smtp: str, from_email: str, from_name: str = "", imap: str = "",
        per_day: int = 0, per_hour: int = 0, per_minute: int = 0) -> MailboxSpec:
    if not _NAME.fullmatch(name) or name == DEFAULT:
        raise BadInput(f"mailbox name {name!r}: use letters, digits, - and _ (and not {DEFAULT!r})")
    parsed = urlparse(smtp)
    if parsed.password:
        raise BadInput(f"--smtp: no password in the URL; set {password_env_for(name)} in the environment instead")
    parse_smtp_url(smtp)  # refuses what is not smtp:// or smtps://
    if imap:
        if urlparse(imap).password:
            raise BadInput(f"--imap: no password in the URL; set {password_env_for(name)} in the environment instead")
        from coldmail.replies.imap import parse_imap_url

        parse_imap_url(imap, password_env=password_env_for(name))  # refuses what is not imap:// or imaps://
    if name in ws.config.mailboxes:
        raise Conflict(f"mailbox {name!r} already exists (`coldmail mailbox remove {name}` first)")
    ws.config.mailboxes[name] = Mailbox(smtp=smtp, from_email=normalize_email(from_email), from_name=from_name,
                                        imap=imap, per_day=per_day, per_hour=per_hour, per_minute=per_minute)
    save_config(ws.home, ws.config)
    with db.session_scope(ws.engine) as session:
        audit.record(session, actor=ws.actor, action="mailbox.add", detail={"mailbox": name})
    return next(m for m in configured(ws.config) if m.name == name)


def remove(ws: Workspace, name: str) -> None:
    if name not in ws.config.mailboxes:
        raise NotFound(f"no mailbox {name!r} (mailboxes: {', '.join(ws.config.mailboxes) or 'none'})")
    del ws.config.mailboxes[name]
    save_config(ws.home, ws.config)
    with db.session_scope(ws.engine) as session:
        audit.record(session, actor=ws.actor, action="mailbox.remove", detail={"mailbox": name})


def listing(ws: Workspace, now: datetime | None = None) -> list[dict]:
    """`mailbox list --json`: name, from_email, smtp (no password), status, sent_today."""
    now = now or utcnow()
    out = []
    with db.session_scope(ws.engine, write=False) as session:
        known = states(session)
        conn = session.connection()
        for m in configured(ws.config):
            st = known.get(m.name)
            status = st.status if st is not None else MailboxStatus.OK
            parsed = urlparse(m.smtp)
            netloc = parsed.netloc.split("@")[-1]
            user = parsed.username
            shown = parsed._replace(netloc=f"{user}@{netloc}" if user else netloc)  # never a password
            day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
            sent = _count(conn, Message.mailbox == m.name, Message.state.in_(LIVE_STATES),
                          Message.claimed_at >= day_start)
            out.append({"name": m.name, "from_email": m.from_email, "smtp": shown.geturl() if m.smtp else "",
                        "status": str(status), "sent_today": sent,
                        "reason": st.reason if st is not None and st.reason else None})
    return out
