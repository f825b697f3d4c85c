"""The suppression list: addresses and domains never to be written to again.

Entries are matched by a keyed fingerprint (HMAC-SHA256 of the normalised address or `@domain`),
which is all that remains after erasure, so an erased person is still never imported or emailed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from coldmail import audit
from coldmail.addresses import (
    InvalidAddress,
    normalize_domain,
    normalize_email,
)
from coldmail.store.db import session_scope
from coldmail.store.models import Contact, Suppression, as_utc, utcnow
from coldmail.store.states import SuppressionKind
from coldmail.store.workspace import Workspace
from coldmail.suppression.fingerprints import fingerprint
from coldmail.suppression.oracle import find


@dataclass(frozen=True)
class SuppressionView:
    email: str | None
    domain: str | None
    fingerprint: str
    reason: str
    evidence: str
    since: datetime
    created_by: str

    def to_json(self) -> dict:
        return {
            "email": self.email,
            "domain": self.domain,
            "fingerprint": self.fingerprint,
            "reason": self.reason,
            "since": self.since.isoformat(),
        }


def _view(row: Suppression) -> SuppressionView:
    return SuppressionView(
        email=row.value if row.kind == "email" else None,
        domain=row.value if row.kind == "domain" else None,
        fingerprint=row.fingerprint,
        reason=row.reason,
        evidence=row.evidence,
        since=as_utc(row.created_at),
        created_by=row.created_by,
    )


def parse_target(target: str) -> tuple[str, str]:
    """`EMAIL` or `@DOMAIN` -> (kind, normalised value)."""
    target = target.strip()
    if target.startswith("@"):
        return "domain", normalize_domain(target)
    return "email", normalize_email(target)


def suppress(
    session: Session,
    *,
    key: bytes,
    actor: str,
    target: str,
    reason: str,
    evidence: str = "",
    reply_id: int | None = None,
) -> tuple[Suppression, bool]:
    """Add a suppression inside the caller's transaction. Returns (entry, created).

    A domain-wide entry outlives the person whose message caused it, so it keeps a reference to
    that message ("reply N"), never its text (someone else's words, name or phone number)."""
    kind, value = parse_target(target)
    if kind == SuppressionKind.DOMAIN and reply_id is not None:
        evidence = f"reply {reply_id}"
    fp = fingerprint(key, value if kind == "email" else "@" + value)
    existing = session.execute(select(Suppression).where(Suppression.fingerprint == fp)).scalars().first()
    if existing is not None:
        return existing, False
    row = Suppression(
        kind=kind,
        value=value,
        fingerprint=fp,
        reason=reason.strip()[:200] or "unspecified",
        evidence=evidence,
        reply_id=reply_id,
        created_by=actor,
        created_at=utcnow(),
    )
    session.add(row)
    if kind == "email":
        session.execute(
            update(Contact).where(Contact.email == value).values(status="suppressed", updated_at=utcnow())
        )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="suppression.add",
        subject=f"fp:{fp}",
        detail={"kind": kind, "reply_id": reply_id},
        note=row.reason,
    )
    return row, True


def add(ws: Workspace, *, target: str, reason: str, evidence: str = "") -> tuple[SuppressionView, bool]:
    if not reason.strip():
        raise InvalidAddress("a reason is required")
    with session_scope(ws.engine) as session:
        row, created = suppress(
            session, key=ws.fingerprint_key, actor=ws.actor, target=target, reason=reason, evidence=evidence
        )
        return _view(row), created


def check(ws: Workspace, email: str) -> SuppressionView | None:
    with session_scope(ws.engine, write=False) as session:
        row = find(session, ws.fingerprint_key, normalize_email(email))
        return _view(row) if row else None


def list_all(ws: Workspace, *, search: str = "", limit: int | None = None) -> list[SuppressionView]:
    with session_scope(ws.engine, write=False) as session:
        stmt = select(Suppression).order_by(Suppression.created_at.desc(), Suppression.id.desc())
        if search:
            stmt = stmt.where(Suppression.value.contains(search.strip().lower()))
        if limit:
            stmt = stmt.limit(limit)
        return [_view(r) for r in session.execute(stmt).scalars()]


def undo(ws: Workspace, target: str, *, reason: str) -> int:
    """Remove a wrong suppression (with the reason on record); returns how many entries went. An
    erasure's suppression stays: the person asked to be forgotten, and this is all that remains."""
    from sqlalchemy import delete

    from coldmail.errors import BadInput, Conflict, NotFound
    from coldmail.store.models import Reply
    from coldmail.store.states import ContactStatus, ReplyStatus, SuppressionKind

    if not reason.strip():
        raise BadInput("a reason is required to undo a suppression")
    kind, value = parse_target(target)
    fp = fingerprint(ws.fingerprint_key, value if kind == SuppressionKind.EMAIL else "@" + value)
    with session_scope(ws.engine) as session:
        row = session.execute(select(Suppression).where(Suppression.fingerprint == fp)).scalars().first()
        if row is None:
            raise NotFound(f"{target} is not suppressed")
        if row.reason in ("erasure", "erasure request"):
            raise Conflict(f"{target} was erased at the person's request; that suppression cannot be undone")
        session.execute(delete(Suppression).where(Suppression.id == row.id))
        if kind == SuppressionKind.EMAIL:
            lifted = (ContactStatus.OPTED_OUT, ContactStatus.BOUNCED, ContactStatus.SUPPRESSED)
            session.execute(update(Contact).where(Contact.email == value, Contact.status.in_(lifted))
                            .values(status=ContactStatus.REPLIED))
        if row.reply_id:
            session.execute(update(Reply).where(Reply.id == row.reply_id).values(status=ReplyStatus.UNDONE))
        audit.record(session, actor=ws.actor, action="suppression.undo", subject=f"fp:{fp}",
                     detail={"since": str(row.created_at)}, note=f"{reason} (was: {row.reason})")
    return 1
