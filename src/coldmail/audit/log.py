"""The append-only audit log, sealed by a keyed hash chain. Entries name people by fingerprint,
never by address (`schema` enforces it), so that erasure leaves nothing in the log to erase.

Each entry's hash is HMAC-SHA256, under the workspace's audit key (kept outside the database,
`store.keys`), of the previous hash and the entry. Whoever can write the database but lacks the key
can neither edit an entry nor recompute the chain after removing or changing one; anchors kept
outside the database (`anchors`) also catch a rewrite by someone who has the key."""

from __future__ import annotations

import hashlib
import hmac
import json
import weakref
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, text
from sqlmodel import Session

from coldmail.audit import schema
from coldmail.store.models import AuditEntry, AuditNote, Meta, as_utc, utcnow

GENESIS = "0" * 64
HEAD_KEY = "audit_head"
SEAL_KEY = "audit_seal"
SEAL = "hmac-sha256-v1"
_PG_LOCK = 0x636F6C64  # "cold"

# The audit key of each open workspace's database, by connection pool (shared by every engine and
# connection made from it), so that the many callers of `record` need only their session.
_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def use_key(engine, key: bytes) -> None:
    """Seal the entries written through this engine with `key` (called when a workspace opens)."""
    _KEYS[engine.pool] = key


def key_of(session: Session) -> bytes:
    key = _KEYS.get(session.connection().engine.pool)
    if key is None:
        raise RuntimeError("no audit key for this database: open it with store.workspace.open_workspace")
    return key


def digest(key: bytes | None, prev_hash: str, at: datetime, actor: str, action: str, subject: str,
           detail: str) -> str:
    """The entry's hash: keyed (HMAC) for a sealed log, plain SHA-256 for a log of an earlier release."""
    payload = json.dumps(
        [prev_hash, as_utc(at).isoformat(), actor, action, subject, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    if key is None:
        return hashlib.sha256(payload).hexdigest()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str = "",
    detail: dict | None = None,
    note: str = "",
) -> AuditEntry:
    """Append one entry, chained to the one before it, inside the caller's transaction (so it
    commits or rolls back with what it describes). `detail` holds codes and ids only (checked);
    `note` is free text for people (a reason, a comment), kept beside the entry where erasure
    reaches it, and not sealed."""
    detail = detail or {}
    schema.check(subject, detail)
    key = key_of(session)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
    head = session.get(Meta, HEAD_KEY)
    prev_hash = head.value.split(":", 1)[1] if head else GENESIS
    at = utcnow().replace(microsecond=0)
    detail_text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
    entry = AuditEntry(
        at=at,
        actor=actor[:100],
        action=action,
        subject=subject,
        detail=detail_text,
        prev_hash=prev_hash,
        hash=digest(key, prev_hash, at, actor[:100], action, subject, detail_text),
    )
    session.add(entry)
    session.flush()
    value = f"{entry.id}:{entry.hash}"
    if head is None:
        session.add(Meta(key=HEAD_KEY, value=value))
    else:
        head.value = value
    if note.strip():
        fp = subject[3:] if subject.startswith("fp:") else ""
        session.add(AuditNote(entry_id=entry.id, fingerprint=fp, note=note.strip()[:2000]))
    session.flush()
    return entry


@dataclass
class VerifyResult:
    entries: int = 0
    problems: list[str] = field(default_factory=list)
    head: str = ""  # "id:hash" of the last entry

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, *, key: bytes | None = None) -> VerifyResult:
    """Walk the chain and report every entry that was edited, removed or inserted."""
    key = key if key is not None else key_of(session)
    sealed = (session.get(Meta, SEAL_KEY) or Meta(key="", value="")).value == SEAL
    result = VerifyResult()
    prev_hash = None
    last: AuditEntry | None = None
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000))
    for entry in rows.scalars():
        result.entries += 1
        if prev_hash is None:
            # The first entry of a re-sealed log chains to the old log's head (see `reseal`).
            prev_hash = entry.prev_hash if (sealed and entry.action == "audit.reseal") else GENESIS
        if entry.prev_hash != prev_hash:
            result.problems.append(
                f"entry {entry.id}: the entry before it was removed or altered "
                f"(expected previous hash {prev_hash[:12]}…, found {entry.prev_hash[:12]}…)"
            )
        expected = digest(key if sealed else None, entry.prev_hash, entry.at, entry.actor, entry.action,
                          entry.subject, entry.detail)
        if expected != entry.hash:
            result.problems.append(f"entry {entry.id}: its contents were edited after it was written, "
                                   "or it was written without the workspace's audit key")
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
    if last is not None:
        result.head = f"{last.id}:{last.hash}"
    if not sealed and last is not None:
        result.problems.append("the log is not sealed with the workspace's audit key (written by an earlier release)")
    return result


def entries_for(session: Session, *, subject: str, limit: int = 200) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.subject == subject)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())
