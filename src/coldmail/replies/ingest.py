"""Importing replies: each message is read (`classify`), matched to a contact, recorded once and
acted on (`effects.apply`); anything read with low confidence waits in the review queue instead of
acting silently. `ImportedReply` words the result the same way for the CLI and the TUI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from email import message_from_bytes
from email.utils import parseaddr, parsedate_to_datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select

from coldmail import audit
from coldmail.mail.i18n import language_for
from coldmail.replies.classify import REVIEW_THRESHOLD, Classification, classify, subject_may_matter
from coldmail.replies.classify.language import candidates
from coldmail.replies.classify.result import BOUNCES
from coldmail.replies.classify.text import header
from coldmail.replies.effects import PERSON, apply, hold
from coldmail.replies.matching import match, message_key
from coldmail.replies.sources import iter_sources
from coldmail.store import db
from coldmail.store.models import Campaign, Contact, Message, Reply, as_utc, utcnow
from coldmail.store.states import CampaignStatus, ReplyKind, ReplyStatus
from coldmail.store.workspace import Workspace
from coldmail.suppression.register import fingerprint


class NotStored(StrEnum):
    """An `ImportedReply.status` for a message that made no reply row (the others are ReplyStatus)."""

    ERROR = "error"  # not read
    DUPLICATE = "duplicate"  # already imported


@dataclass
class ImportedReply:
    path: str
    email: str | None
    kind: str  # a ReplyKind
    request: str | None
    action: str
    status: str = ReplyStatus.APPLIED  # or REVIEW, or a NotStored
    error: str = ""
    why: str = ""  # what the reader found: the intent parts matched, or why it is unsure
    language: str = ""  # the language the reply was read in
    confidence: float | None = None

    @classmethod
    def not_read(cls, path: str, error: str) -> ImportedReply:
        return cls(path, None, ReplyKind.HUMAN, None, "not read", status=NotStored.ERROR, error=error)

    def to_json(self) -> dict:
        kind = ReplyKind.OPT_OUT if self.kind == ReplyKind.COMPLAINT else self.kind
        out = {"path": self.path, "email": self.email, "kind": kind, "request": self.request, "action": self.action}
        if self.kind == ReplyKind.COMPLAINT:
            out["complaint"] = True
        if self.status != ReplyStatus.APPLIED:
            out["status"] = self.status
        if self.error:
            out["error"] = self.error
        if self.why:
            out["why"] = self.why
        if self.language:
            out["language"] = self.language
        if self.confidence is not None:
            out["confidence"] = round(self.confidence, 2)
        return out

    def line(self) -> str:
        """One tab-separated line for a person, the same in the CLI and the TUI."""
        if self.status == NotStored.ERROR:
            return f"{self.path}\tnot read\t-\t{self.error}"
        if self.status == NotStored.DUPLICATE:
            return f"{self.path}\talready imported (nothing changed)"
        kind = self.kind + (f"/{self.request}" if self.request else "")
        flag = " [REVIEW]" if self.status == ReplyStatus.REVIEW else ""
        return f"{self.path}\t{kind}\t{self.email or '-'}\t{self.action}{flag}"


def audit_subject(reply: Reply) -> str:
    """Whom an audit entry about this reply names: the fingerprint, else (no address) the reply."""
    return f"fp:{reply.fingerprint}" if reply.fingerprint else f"reply:{reply.id}"


def _received(msg) -> datetime:
    try:
        value = parsedate_to_datetime(str(msg.get("Date")))
        return as_utc(value) if value else utcnow()
    except (TypeError, ValueError, IndexError):
        return utcnow()


def _read_again(session, cid: int, msg, result: Classification, today) -> Classification:
    """Read a person's message again knowing who wrote it: with their country's language among the
    candidates (a prior only: the detected languages are still read, and the reading that finds the
    strongest intent wins), and, if their words say nothing, with the subjects we sent them, so that
    a subject they changed ("Re: not interested") is read as theirs."""
    country = session.execute(select(Contact.country).where(Contact.id == cid)).scalar() or ""
    prior = language_for(country) if country else None
    if not prior or prior == "en" or prior == result.language or prior in candidates(result.new_text or ""):
        prior = None  # already read in that language
    ours = None
    if subject_may_matter(result):
        ours = list(session.execute(select(Message.subject).where(Message.contact_id == cid).distinct()).scalars())
    if prior is None and not ours:
        return result
    return classify(msg, today=today, ours=ours or None, prior=prior)


def ingest_one(ws: Workspace, label: str, raw: bytes) -> ImportedReply:
    """Read, match, record and act on one message (its own transaction); never raises for bad mail."""
    try:
        msg = message_from_bytes(raw)  # the classic policy: headers stay text until asked for
        result = classify(msg, today=utcnow().date())
    except Exception as exc:  # noqa: BLE001 - malformed mail is reported, never raised
        return ImportedReply.not_read(label, f"unreadable message: {exc}")
    with db.session_scope(ws.engine) as session:
        key = message_key(msg, raw)
        if session.execute(select(Reply.id).where(Reply.message_key == key)).first():
            return ImportedReply(label, None, result.kind, result.request, "already imported",
                                 status=NotStored.DUPLICATE)
        cid, msg_row, email = match(session, key=ws.fingerprint_key, msg=msg, raw=raw, result=result)
        if cid is not None and result.kind in PERSON and not result.token:
            result = _read_again(session, cid, msg, result, utcnow().date())
        status = ReplyStatus.APPLIED if result.confidence >= REVIEW_THRESHOLD else ReplyStatus.REVIEW
        if email is None and (result.kind in BOUNCES or result.kind == ReplyKind.COMPLAINT or result.token):
            # Whom it is about is not known (a forged token, a complaint about someone we never wrote
            # to, a bounce without a recipient): a person decides; no one is suppressed meanwhile.
            status = ReplyStatus.REVIEW
        until = datetime.combine(result.return_date, time(8, 0), UTC) if result.return_date else None
        reply = Reply(
            message_key=key, received_at=_received(msg),
            from_email=parseaddr(str(msg.get("From", "")))[1][:254] or None,
            contact_id=cid, message_row_id=msg_row, fingerprint=fingerprint(ws.fingerprint_key, email) if email else "",
            kind=result.kind, request_kind=result.request or "", confidence=result.confidence,
            company_wide=result.company_wide, until=until, subject=header(msg, "Subject")[:500],
            excerpt=(result.new_text or "")[:2000], status=status, source=label[:500],
            language=(result.language or "")[:16], why=(result.why or "")[:300],
        )
        session.add(reply)
        session.flush()
        if status == ReplyStatus.APPLIED:
            reply.action = apply(session, ws=ws, reply=reply, result=result, email=email)[:300]
        else:
            reply.action = f"waiting for review ({result.why}; confidence {result.confidence:.2f})"[:260]
            reply.action += hold(session, reply=reply, result=result)
        audit.record(session, actor=ws.actor, action=f"reply.{result.kind}", subject=audit_subject(reply),
                     detail={"reply": reply.id, "status": status, "confidence": result.confidence},
                     note=reply.action)
        return ImportedReply(label, email, result.kind, result.request, reply.action, status=status,
                             why=result.why, language=result.language, confidence=result.confidence)


def import_paths(ws: Workspace, paths: list[Path],
                 on_progress: Callable[[int, int], None] | None = None) -> list[ImportedReply]:
    """Import every message under the given files, directories, mbox files and Maildirs."""
    out = []
    sources = list(iter_sources([Path(p) for p in paths]))
    for i, (label, raw, error) in enumerate(sources, 1):
        if raw is None:
            out.append(ImportedReply.not_read(label, error))
        else:
            out.append(ingest_one(ws, label, raw))
        if on_progress:
            on_progress(i, len(sources))
    guard_campaigns(ws)
    return out


def guard_campaigns(ws: Workspace) -> None:
    """Bounces and complaints just read may push a campaign past its limits: pause it if so."""
    from coldmail.outreach.guards import check_guards

    with db.session_scope(ws.engine, write=False) as session:
        active = list(session.execute(select(Campaign.id).where(Campaign.status == CampaignStatus.ACTIVE)).scalars())
    for cid in active:
        check_guards(ws, cid)
