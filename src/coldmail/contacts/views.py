"""A contact as the CLI, the TUI, rendering and answers see it: plain values read in one place,
never a live ORM row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from coldmail.addresses import normalize_email
from coldmail.suppression.oracle import lookup as lookup_suppression

if TYPE_CHECKING:  # SQLAlchemy is loaded by `load_contact`'s callers, not by `read_contact`'s
    from sqlmodel import Session

    from coldmail.store.models import DataRequest
    from coldmail.store.workspace import Workspace

# Runs SQL with `:name` parameters and returns the rows: a SQLAlchemy session's (`session_execute`)
# or a bare sqlite3 connection's (the CLI's fast path, `cli/_light.py`).
Execute = Callable[[str, dict], list]

HELD_FIELDS = ("email", "first_name", "last_name", "company", "role", "country", "website")


@dataclass(frozen=True)
class ContactView:
    """A contact as the CLI and the TUI see it: plain values, never a live ORM row."""

    id: int
    email: str
    first_name: str
    last_name: str
    company: str
    role: str
    country: str
    website: str
    list: str
    lists: list[str]
    source: str
    source_url: str
    source_public: bool | None
    collected_at: datetime
    collected_by: str
    justification: str
    status: str
    suppressed: bool
    suppression_reason: str | None
    messages: list[dict] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    list_purposes: list[str] = field(default_factory=list)
    replies: list[dict] = field(default_factory=list)
    profile_url: str = ""  # the person's own page (LinkedIn...): data held, not a source

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def held(self) -> dict[str, str]:
        """The personal data actually stored for this person, field by field, named as the locales'
        `fields` name them (the profile page as "profile")."""
        held = {k: getattr(self, k) for k in HELD_FIELDS if getattr(self, k)}
        if self.profile_url:
            held["profile"] = self.profile_url
        return held

    def to_json(self) -> dict:
        return {
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company": self.company,
            "role": self.role,
            "country": self.country,
            "website": self.website,
            "profile_url": self.profile_url,
            "list": self.list,
            "lists": self.lists,
            "source": self.source,
            "source_url": self.source_url,
            "source_public": self.source_public,
            "justification": self.justification,
            "collected_at": self.collected_at.isoformat(),
            "collected_by": self.collected_by,
            "status": self.status,
            "suppressed": self.suppressed,
            "suppression_reason": self.suppression_reason,
            "messages": self.messages,
            "replies": self.replies,
            "requests": self.requests,
        }


def _utc(value) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands back naive values, or text without SQLAlchemy)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value) -> str | None:
    when = _utc(value)
    return when.isoformat() if when else None


def request_json(r: DataRequest) -> dict:
    return {
        "id": r.id,
        "email": r.email,
        "kind": r.kind,
        "status": r.status,
        "received_at": _iso(r.received_at),
        "due_at": _iso(r.extended_due_at or r.due_at),
    }


def session_execute(session: Session) -> Execute:
    from sqlalchemy import text

    return lambda sql, params: session.execute(text(sql), params).all()


_CONTACT = ("id", "email", "first_name", "last_name", "company", "role", "country", "website", "list_id",
            "source", "source_url", "source_public", "collected_at", "collected_by", "justification", "status",
            "profile_url")


def read_contact(execute: Execute, key: bytes, email: str) -> ContactView | None:
    """The contact with this address, in plain SQL (one home for both the ORM session and the CLI's
    sqlite3 fast path), or None."""
    email = normalize_email(email)
    found = execute(f"SELECT {', '.join(_CONTACT)} FROM contacts WHERE email = :email", {"email": email})
    if not found:
        return None
    row = dict(zip(_CONTACT, found[0], strict=True))
    cid = {"cid": row["id"]}
    lists = execute(
        "SELECT l.id, l.name, l.purpose FROM lists l JOIN list_members m ON m.list_id = l.id "
        "WHERE m.contact_id = :cid ORDER BY m.added_at, l.id", cid)
    primary = execute("SELECT name FROM lists WHERE id = :lid", {"lid": row["list_id"]})
    sup = lookup_suppression(execute, key, email)
    reqs = execute(
        "SELECT id, email, kind, status, received_at, coalesce(extended_due_at, due_at) FROM requests "
        "WHERE contact_id = :cid ORDER BY received_at", cid)
    messages = [
        {"campaign": name, "step": pos + 1, "state": state, "sent_at": _iso(sent), "subject": subject or None}
        for name, pos, state, sent, subject in execute(
            "SELECT c.name, m.position, m.state, m.sent_at, m.subject FROM messages m "
            "JOIN campaigns c ON c.id = m.campaign_id WHERE m.contact_id = :cid ORDER BY m.id", cid)
    ]
    replies = [
        {"received_at": _iso(at), "kind": kind, "action": action}
        for at, kind, action in execute(
            "SELECT received_at, kind, action FROM replies WHERE contact_id = :cid ORDER BY received_at", cid)
    ]
    public = row["source_public"]
    return ContactView(
        id=row["id"],
        email=row["email"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        company=row["company"],
        role=row["role"],
        country=row["country"],
        website=row["website"],
        profile_url=row["profile_url"],
        list=primary[0][0] if primary else "",
        lists=[name for _id, name, _p in lists],
        list_purposes=[p for _id, _n, p in lists if p],
        source=row["source"],
        source_url=row["source_url"],
        source_public=None if public is None else bool(public),
        collected_at=_utc(row["collected_at"]),
        collected_by=row["collected_by"],
        justification=row["justification"],
        status=row["status"],
        suppressed=sup is not None,
        suppression_reason=sup[0] if sup else None,
        messages=messages,
        replies=replies,
        requests=[{"id": i, "email": e, "kind": k, "status": st, "received_at": _iso(at), "due_at": _iso(due)}
                  for i, e, k, st, at, due in reqs],
    )


def load_contact(session: Session, key: bytes, email: str) -> ContactView | None:
    """`read_contact` inside the caller's session."""
    return read_contact(session_execute(session), key, email)


def show_contact(ws: Workspace, email: str) -> ContactView | None:
    from coldmail.store import db

    with db.session_scope(ws.engine, write=False) as session:
        return load_contact(session, ws.fingerprint_key, email)
