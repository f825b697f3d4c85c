"""Erasure (Art. 17): a person's data deleted everywhere the workspace keeps it, leaving only a
suppression fingerprint so that they are never imported or written to again."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, or_, select, update
from sqlmodel import Session

from coldmail import audit
from coldmail.addresses import normalize_email
from coldmail.store import db
from coldmail.store.models import AuditNote, Campaign, Contact, DataRequest, ListMember, Message, Reply, Suppression
from coldmail.store.workspace import Workspace
from coldmail.suppression.fingerprints import fingerprint
from coldmail.suppression.register import suppress


@dataclass
class EraseResult:
    email: str
    fingerprint: str
    erased: bool
    requests_anonymised: int
    checkpoint_complete: bool
    files_removed: int = 0

    def to_json(self) -> dict:
        return {
            "email": self.email,
            "erased": self.erased,
            "fingerprint": self.fingerprint,
            "suppressed": True,
            "requests_anonymised": self.requests_anonymised,
            "files_removed": self.files_removed,
        }


# Free-text columns where a person's address or name can appear in someone else's row (a colleague's
# reply that names them, a server's answer that echoes the address, a reason or a note).
_TEXT_COLUMNS = (
    (Reply, ("excerpt", "subject", "action", "source", "why")),
    (Suppression, ("evidence", "reason")),
    (DataRequest, ("note", "answer", "verification_note", "extension_reason")),
    (Message, ("reason", "smtp_response", "subject")),
    (AuditNote, ("note",)),
    (Campaign, ("pause_reason",)),
)
ERASED = "[erased]"


def markers_of(session: Session, email: str) -> list[str]:
    """What identifies the person in free text: their address, and their full name when we hold one."""
    found = [email]
    row = session.execute(select(Contact.first_name, Contact.last_name).where(Contact.email == email)).first()
    if row is not None:
        full = " ".join(p for p in (row.first_name, row.last_name) if p).strip()
        if len(full) >= 5 and " " in full:
            found.append(full)
    return found


def _scrub_texts(session: Session, markers: list[str]) -> int:
    """Replace the markers, in any case, in every free-text column; returns how many cells changed."""
    pattern = re.compile("|".join(re.escape(m) for m in markers), re.IGNORECASE)
    changed = 0
    for model, columns in _TEXT_COLUMNS:
        for column in columns:
            col = getattr(model, column)
            # LIKE finds candidates (case-insensitively for ASCII); Python decides, in any case.
            cond = [func.lower(col).contains(m.lower()) for m in markers] + [col.contains(m) for m in markers]
            for row_id, value in session.execute(select(model.id, col).where(or_(*cond))).all():
                new = pattern.sub(ERASED, value or "")
                if new != value:
                    session.execute(update(model).where(model.id == row_id).values({column: new}))
                    changed += 1
    return changed


def erase_in_session(session: Session, *, key: bytes, actor: str, email: str,
                     reason: str = "erasure") -> tuple[bool, int, list[str]]:
    """Delete a person's data, leaving only a suppression fingerprint (and anonymised request records);
    their address and name are also scrubbed from other rows' free text."""
    markers = markers_of(session, email)
    fp = fingerprint(key, email)
    suppress(session, key=key, actor=actor, target=email, reason=reason, evidence="")
    contact_id = session.execute(select(Contact.id).where(Contact.email == email)).scalar()
    n_req = session.execute(
        update(DataRequest)
        .where((DataRequest.fingerprint == fp) | (DataRequest.email == email))
        .values(email=None, note="", answer="", verification_note="")
    ).rowcount
    session.execute(
        update(Suppression)
        .where(Suppression.kind == "email", Suppression.value == email)
        .values(value=None, evidence="")
    )
    # Messages stay as anonymous counts for campaign statistics; replies and notes go entirely.
    session.execute(delete(Reply).where((Reply.fingerprint == fp) | (Reply.contact_id == contact_id)))
    session.execute(delete(AuditNote).where(AuditNote.fingerprint == fp))
    session.execute(
        update(Message).where((Message.fingerprint == fp) | (Message.contact_id == contact_id))
        .values(to_email=None, contact_id=None, subject="", smtp_response="")
    )
    if contact_id is not None:
        session.execute(delete(ListMember).where(ListMember.contact_id == contact_id))
        session.execute(delete(Contact).where(Contact.id == contact_id))
    scrubbed = _scrub_texts(session, markers)
    audit.record(
        session,
        actor=actor,
        action="erase",
        subject=f"fp:{fp}",
        detail={"contact_held": contact_id is not None, "requests_anonymised": n_req, "texts_scrubbed": scrubbed},
    )
    return contact_id is not None, n_req, markers


# Files of the workspace that are not the person's to scrub: the database (erased by SQL above), the
# keys, the configuration and the rep's own templates.
_KEEP = ("coldmail.db", "coldmail.keys", "coldmail.toml")
_MAX_FILE = 64 * 1024 * 1024


def scrub_files(home: Path, markers: list[str]) -> int:
    """Remove every file coldmail wrote under the workspace (answers, exports, dry-run messages) that
    names the person; in logs, only the lines that do. Returns how many files changed."""
    needles = [m.lower().encode("utf-8") for m in markers]
    changed = 0
    for path in sorted(home.rglob("*")):
        rel = path.relative_to(home)
        if not path.is_file() or path.name.startswith(_KEEP) or rel.parts[0] == "templates":
            continue
        try:
            if path.stat().st_size > _MAX_FILE:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        lowered = data.lower()
        if not any(n in lowered for n in needles) and not any(n in path.name.lower().encode() for n in needles):
            continue
        if path.suffix == ".log":
            kept = [line for line in data.splitlines(keepends=True) if not any(n in line.lower() for n in needles)]
            path.write_bytes(b"".join(kept))
        else:
            path.unlink()
        changed += 1
    return changed


def finish(ws: Workspace, markers: list[list[str]]) -> tuple[bool, int]:
    """After erasures commit: the bytes leave SQLite's WAL (PostgreSQL: VACUUM), and the workspace's
    files that name the people go. Returns (checkpoint complete, files changed)."""
    complete = db.checkpoint(ws.engine)
    db.vacuum_after_erasure(ws.engine)
    files = sum(scrub_files(ws.home, m) for m in markers)
    return complete, files


def erase(ws: Workspace, email: str) -> EraseResult:
    email = normalize_email(email)
    with db.session_scope(ws.engine) as session:
        erased, n_req, markers = erase_in_session(session, key=ws.fingerprint_key, actor=ws.actor, email=email)
    complete, files = finish(ws, [markers])
    return EraseResult(
        email=email,
        fingerprint=fingerprint(ws.fingerprint_key, email),
        erased=erased,
        requests_anonymised=n_req,
        checkpoint_complete=complete,
        files_removed=files,
    )
