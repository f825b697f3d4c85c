"""The append-only, hash-chained audit log. Entries name people by fingerprint, never by address,
so that erasure leaves nothing in the log to erase."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, text
from sqlmodel import Session

from coldmail.store.models import AuditEntry, Meta, as_utc, utcnow

GENESIS = "0" * 64
HEAD_KEY = "audit_head"
_PG_LOCK = 0x636F6C64  # "cold"


def _digest(prev_hash: str, at: datetime, actor: str, action: str, subject: str, detail: str) -> str:
    payload = json.dumps(
        [prev_hash, as_utc(at).isoformat(), actor, action, subject, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    """Append one entry, chained to the one before it. Runs inside the caller's transaction,
    so the entry commits or rolls back together with what it describes."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
    head = session.get(Meta, HEAD_KEY)
    prev_hash = head.value.split(":", 1)[1] if head else GENESIS
    at = utcnow().replace(microsecond=0)
    detail_text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
    entry = AuditEntry(
        at=at,
        actor=actor[:100],
        action=action,
        subject=subject[:200],
        detail=detail_text,
        prev_hash=prev_hash,
        hash=_digest(prev_hash, at, actor[:100], action, subject[:200], detail_text),
    )
    session.add(entry)
    session.flush()
    value = f"{entry.id}:{entry.hash}"
    if head is None:
        session.add(Meta(key=HEAD_KEY, value=value))
    else:
        head.value = value
    session.flush()
    return entry


@dataclass
class VerifyResult:
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session) -> VerifyResult:
    """Walk the chain and report every entry that was edited, removed or inserted."""
    result = VerifyResult()
    prev_hash = GENESIS
    last: AuditEntry | None = None
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000))
    for entry in rows.scalars():
        result.entries += 1
        if entry.prev_hash != prev_hash:
            result.problems.append(
                f"entry {entry.id}: the entry before it was removed or altered "
                f"(expected previous hash {prev_hash[:12]}…, found {entry.prev_hash[:12]}…)"
            )
        expected = _digest(
            entry.prev_hash, entry.at, entry.actor, entry.action, entry.subject, entry.detail
        )
        if expected != entry.hash:
            result.problems.append(f"entry {entry.id}: its contents were edited after it was written")
        prev_hash = entry.hash
        last = entry
    head = session.get(Meta, HEAD_KEY)
    if head is not None:
        head_id, head_hash = head.value.split(":", 1)
        if last is None or str(last.id) != head_id or last.hash != head_hash:
            result.problems.append(
                f"the newest entries were removed: the log should end at entry {head_id}, "
                f"but ends at {last.id if last else 'nothing'}"
            )
    elif last is not None:
        result.problems.append("the record of the newest entry is missing")
    return result


def entries_for(session: Session, *, subject: str, limit: int = 200) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.subject == subject)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())
