"""Sealing the audit log: a new log is sealed under the audit key from its first entry; a log
written by an earlier release (unkeyed SHA-256, with addresses in some entries' text) is rewritten
once, in one transaction, and the rewrite is itself on record.

The rewritten log opens with an `audit.reseal` entry that chains to the OLD log's head hash and
records how many entries it had, whether its chain verified, and how many values were scrubbed.
Anyone who kept an anchor of the old log (its head hash) can therefore tie the new log to it. Every
old entry follows, with its time, actor and action, and with any subject or detail value that the
schema would refuse (free text, addresses) replaced by the code "scrubbed"."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlmodel import Session

from coldmail.audit import log, schema
from coldmail.store import db
from coldmail.store.models import AuditEntry, Meta

SCRUBBED = "scrubbed"


def _scrub_value(key: str, value, counter: list[int]):
    try:
        schema._check_value(key, value, key)
        return value
    except schema.AuditSchemaError:
        if isinstance(value, dict):
            return {k: _scrub_value(k, v, counter) for k, v in value.items()
                    if isinstance(k, str) and schema.CODE.fullmatch(k)}
        if isinstance(value, list | tuple):
            return [_scrub_value(key, v, counter) for v in value]
        counter[0] += 1
        return SCRUBBED


def scrub(subject: str, detail_text: str) -> tuple[str, str, int]:
    """The entry's subject and detail with whatever the schema refuses replaced; and how many."""
    counter = [0]
    if not schema.SUBJECT.fullmatch(subject):
        kind = subject.split(":", 1)[0]
        subject = f"{kind}:*" if kind == "list" else ""
        counter[0] += 1
    try:
        detail = json.loads(detail_text or "{}")
    except ValueError:
        detail, counter[0] = {}, counter[0] + 1
    if not isinstance(detail, dict):
        detail, counter[0] = {}, counter[0] + 1
    clean = {k: _scrub_value(k, v, counter) for k, v in detail.items() if isinstance(k, str) and schema.CODE.fullmatch(k)}
    counter[0] += len(detail) - len(clean)
    return subject, json.dumps(clean, ensure_ascii=False, sort_keys=True, default=str), counter[0]


def _set_meta(session: Session, key: str, value: str) -> None:
    row = session.get(Meta, key)
    if row is None:
        session.add(Meta(key=key, value=value))
    else:
        row.value = value


def _triggers(session: Session, *, on: bool) -> None:
    """The database's append-only triggers, off only for the rewrite (inside its transaction)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ALTER TABLE audit_log {'ENABLE' if on else 'DISABLE'} TRIGGER audit_log_append_only")
        return
    if on:
        for event in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                                 "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    else:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")


def reseal(session: Session, *, key: bytes, actor: str) -> dict:
    """Rewrite an unsealed log under `key` (see the module's docstring); returns what was done."""
    old = log.verify(session, key=key)  # unsealed: checked as plain SHA-256
    old_problems = [p for p in old.problems if "not sealed" not in p]
    rows = [(e.id, e.at, e.actor, e.action, e.subject, e.detail)
            for e in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]
    session.expunge_all()
    head_id, _, head_hash = (old.head or f"0:{log.GENESIS}").partition(":")
    _triggers(session, on=False)
    session.connection().exec_driver_sql("DELETE FROM audit_log")
    scrubbed = 0
    cleaned = []
    for _id, at, who, action, subject, detail in rows:
        subject, detail, n = scrub(subject or "", detail or "")
        scrubbed += n
        cleaned.append((at, who, action, subject, detail))
    first = {"old_entries": len(rows), "old_head_id": int(head_id), "old_head_hash": head_hash,
             "old_chain_ok": not old_problems, "scrubbed": scrubbed}
    entries = [(log.utcnow().replace(microsecond=0), actor[:100], "audit.reseal", "audit",
                json.dumps(first, sort_keys=True))] + cleaned
    prev = head_hash
    for i, (at, who, action, subject, detail) in enumerate(entries, 1):
        h = log.digest(key, prev, at, who, action, subject, detail)
        session.add(AuditEntry(id=i, at=at, actor=who, action=action, subject=subject, detail=detail,
                               prev_hash=prev, hash=h))
        prev = h
    session.flush()
    if session.connection().dialect.name == "postgresql":
        session.connection().exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), (SELECT max(id) FROM audit_log))")
    _triggers(session, on=True)
    _set_meta(session, log.HEAD_KEY, f"{len(entries)}:{prev}")
    _set_meta(session, log.SEAL_KEY, log.SEAL)
    return first


def ensure_sealed(engine, *, key: bytes, actor: str) -> dict | None:
    """At open: mark a new log as sealed; re-seal, once, a log of an earlier release."""
    with db.session_scope(engine) as session:
        marker = session.get(Meta, log.SEAL_KEY)
        if marker is not None and marker.value == log.SEAL:
            return None
        if session.connection().exec_driver_sql("SELECT count(*) FROM audit_log").scalar_one() == 0:
            _set_meta(session, log.SEAL_KEY, log.SEAL)
            return None
        done = reseal(session, key=key, actor=actor)
    if db.is_sqlite(engine):
        db.checkpoint(engine)  # the old entries' text leaves the WAL too
    return done
