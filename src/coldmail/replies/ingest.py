"""Ingesting replies (.eml, directories, mbox, Maildir), matching them to contacts, and acting:
opt-outs and complaints to suppression, bounces, auto-replies, data requests, human replies.
Anything read with low confidence waits in a review queue instead of acting silently."""

from __future__ import annotations

import hashlib
import mailbox
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from email import message_from_bytes
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from coldmail import audit
from coldmail.addresses import InvalidAddress, domain_of, normalize_email
from coldmail.errors import BadInput, Conflict, NotFound
from coldmail.privacy.requests import open_request
from coldmail.replies.classify.reader import REVIEW_THRESHOLD, Classification, classify
from coldmail.replies.classify.reader import header as classify_header
from coldmail.store import db
from coldmail.store.models import Contact, Message, Reply, Suppression, as_utc, utcnow
from coldmail.store.workspace import Workspace
from coldmail.suppression.register import fingerprint, suppress

MAX_BYTES = 60 * 1024 * 1024  # larger files are reported, not read


@dataclass
class ImportedReply:
    path: str
    email: str | None
    kind: str
    request: str | None
    action: str
    status: str = "applied"
    error: str = ""

    def to_json(self) -> dict:
        kind = "opt_out" if self.kind == "complaint" else self.kind
        out = {"path": self.path, "email": self.email, "kind": kind, "request": self.request, "action": self.action}
        if self.kind == "complaint":
            out["complaint"] = True
        if self.status != "applied":
            out["status"] = self.status
        if self.error:
            out["error"] = self.error
        return out

    def line(self) -> str:
        """One tab-separated line for a person, the same in the CLI and the TUI."""
        if self.status == "error":
            return f"{self.path}\tnot read\t-\t{self.error}"
        if self.status == "duplicate":
            return f"{self.path}\talready imported (nothing changed)"
        kind = self.kind + (f"/{self.request}" if self.request else "")
        flag = " [REVIEW]" if self.status == "review" else ""
        return f"{self.path}\t{kind}\t{self.email or '-'}\t{self.action}{flag}"


# ---------------------------------------------------------------------------- sources


def iter_sources(paths: list[Path]) -> Iterator[tuple[str, bytes | None, str]]:
    """(label, raw bytes or None, error) for every message under the given paths."""
    for path in paths:
        path = Path(path)
        if not path.exists():
            yield str(path), None, "no such file or directory"
        elif path.is_dir() and all((path / d).is_dir() for d in ("cur", "new", "tmp")):
            box = mailbox.Maildir(path, factory=None, create=False)
            for key in sorted(box.iterkeys()):
                try:
                    yield f"{path}#{key}", box.get_bytes(key), ""
                except Exception as exc:  # noqa: BLE001 - one bad file must not stop the rest
                    yield f"{path}#{key}", None, f"unreadable: {exc}"
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                yield from _file(child)
        else:
            yield from _file(path)


def _file(path: Path) -> Iterator[tuple[str, bytes | None, str]]:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            yield str(path), None, f"too large ({size // (1024 * 1024)} MB; the limit is {MAX_BYTES // (1024 * 1024)} MB)"
            return
        with path.open("rb") as fh:
            head = fh.read(5)
        if head == b"From ":
            box = mailbox.mbox(path, factory=None, create=False)
            for i, key in enumerate(box.iterkeys()):
                try:
                    yield f"{path}#{i + 1}", box.get_bytes(key), ""
                except Exception as exc:  # noqa: BLE001
                    yield f"{path}#{i + 1}", None, f"unreadable: {exc}"
            return
        data = path.read_bytes()
        if data.strip():
            yield str(path), data, ""
        else:
            yield str(path), None, "empty file (0 bytes of mail)"
    except OSError as exc:
        yield str(path), None, f"unreadable: {exc.strerror or exc}"


# ---------------------------------------------------------------------------- matching


def _key(msg, raw: bytes) -> str:
    mid = str(msg.get("Message-ID", "") or "").strip()
    if mid and len(mid) <= 120:
        return mid
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _ids_in(msg, raw: bytes) -> list[str]:
    """Message-IDs this message refers to: In-Reply-To and References, and for bounces the IDs
    found in the returned original."""
    import re

    ids: list[str] = []
    for header in ("In-Reply-To", "References"):
        for value in msg.get_all(header, []) or []:
            ids.extend(re.findall(r"<[^<>\s]+>", str(value)))
    # A bounce returns our original (or its headers): its Message-ID names the message we sent.
    ids.extend(m.decode("ascii", "replace") for m in re.findall(rb"(?im)^message-id:\s*(<[^<>\s]+>)", raw[:2_000_000]))
    own = str(msg.get("Message-ID", "")).strip()
    return [i for i in dict.fromkeys(ids) if i != own]


def _match(session: Session, msg, raw: bytes, result: Classification) -> tuple[int | None, int | None, str | None]:
    """(contact id, our message row id, address) for this message."""
    ids = _ids_in(msg, raw)
    if ids:
        row = session.execute(
            select(Message.id, Message.contact_id, Message.to_email).where(Message.message_id.in_(ids)).limit(1)
        ).first()
        if row is not None:
            return row.contact_id, row.id, row.to_email
    candidates: list[str] = []
    if result.kind.startswith("bounce"):
        candidates = result.failed_recipients
    else:
        for header in ("Reply-To", "From", "Sender"):
            candidates += [a for _, a in getaddresses([str(v) for v in msg.get_all(header, []) or []]) if a]
    for addr in candidates:
        try:
            email = normalize_email(addr)
        except InvalidAddress:
            continue
        cid = session.execute(select(Contact.id).where(Contact.email == email)).scalar()
        if cid is not None or result.kind.startswith("bounce"):
            return cid, None, email
    first = candidates[0] if candidates else None
    try:
        return None, None, normalize_email(first) if first else None
    except InvalidAddress:
        return None, None, None


# ---------------------------------------------------------------------------- effects


def _set_status(session: Session, contact_id: int | None, status: str) -> None:
    if contact_id is not None:
        session.execute(update(Contact).where(Contact.id == contact_id).values(status=status, updated_at=utcnow()))


def _cancel_queued(session: Session, contact_id: int | None, why: str) -> None:
    if contact_id is not None:
        session.execute(
            update(Message).where(Message.contact_id == contact_id, Message.state == "queued")
            .values(state="skipped", reason=why)
        )


def apply(session: Session, ws: Workspace, reply: Reply, result: Classification, email: str | None) -> str:
    """Carry out what the classification calls for; returns the action taken, for the record."""
    key, actor = ws.fingerprint_key, ws.actor
    evidence = f"reply {reply.id} ({reply.received_at:%Y-%m-%d}): {reply.excerpt[:500]}"
    cid = reply.contact_id
    kind = result.kind
    if kind in ("opt_out", "complaint") or (kind == "data_request" and result.also_opt_out):
        if email is None:
            return "no address to suppress"
        target = "@" + domain_of(email) if result.company_wide else email
        reason = "complaint" if kind == "complaint" else ("erasure request" if result.request == "erasure" else "opt-out")
        suppress(session, key=key, actor=actor, target=target, reason=reason, evidence=evidence, reply_id=reply.id)
        if result.company_wide:  # the domain entry covers it; the person's own entry shows in their record
            suppress(session, key=key, actor=actor, target=email, reason=reason, evidence=evidence, reply_id=reply.id)
        _cancel_queued(session, cid, f"{reason} ({reply.id})")
        action = f"suppressed {target}"
        if kind != "data_request":
            _set_status(session, cid, "opted_out")
            return action
    else:
        action = ""
    if kind == "data_request":
        verified = email is not None and cid is not None
        req = open_request(session, key=key, actor=actor, email=email, kind=result.request, received_at=reply.received_at,
                           note=f"from reply {reply.id}: {reply.excerpt[:300]}", verified=verified, reply_id=reply.id)
        _set_status(session, cid, "request")
        _cancel_queued(session, cid, f"data request #{req.id}")
        return (action + "; " if action else "") + f"opened {result.request} request #{req.id}, due {req.due_at:%Y-%m-%d}"
    if kind == "bounce_hard":
        if email is None:
            return "bounce without a recognisable recipient: review"
        suppress(session, key=key, actor=actor, target=email, reason="bounce", evidence=evidence, reply_id=reply.id)
        _set_status(session, cid, "bounced")
        _cancel_queued(session, cid, "hard bounce")
        return f"suppressed {email} (hard bounce)"
    if kind == "bounce_soft":
        if email is None:
            return "soft bounce without a recognisable recipient"
        fp = fingerprint(key, email)
        soft = session.execute(
            select(func.count()).select_from(Reply).where(Reply.fingerprint == fp, Reply.kind == "bounce_soft",
                                                          Reply.status == "applied")
        ).scalar_one()
        if soft >= 3:
            suppress(session, key=key, actor=actor, target=email, reason="bounce (3 soft bounces)",
                     evidence=evidence, reply_id=reply.id)
            _set_status(session, cid, "bounced")
            return f"suppressed {email} after {soft} soft bounces"
        return f"soft bounce {soft} of 3 counted"
    if kind == "auto_reply":
        if reply.until and cid is not None:
            session.execute(
                update(Message).where(Message.contact_id == cid, Message.state == "queued", Message.not_before < reply.until)
                .values(not_before=reply.until, reason=f"out of office until {reply.until:%Y-%m-%d}")
            )
            return f"next step postponed to {reply.until:%Y-%m-%d}"
        return "no action (automatic reply)"
    # human
    _set_status(session, cid, "replied")
    _cancel_queued(session, cid, "the contact replied")
    return "follow-ups stopped (replied)"


# ---------------------------------------------------------------------------- import


def _received(msg) -> datetime:
    try:
        value = parsedate_to_datetime(str(msg.get("Date")))
        return as_utc(value) if value else utcnow()
    except (TypeError, ValueError, IndexError):
        return utcnow()


def ingest_one(ws: Workspace, label: str, raw: bytes) -> ImportedReply:
    try:
        msg = message_from_bytes(raw)  # the classic policy: headers stay text until asked for
        result = classify(msg, today=utcnow().date())
    except Exception as exc:  # noqa: BLE001 - malformed mail is reported, never raised
        return ImportedReply(label, None, "human", None, "not read", status="error", error=f"unreadable message: {exc}")
    with db.session_scope(ws.engine) as session:
        key = _key(msg, raw)
        if session.execute(select(Reply.id).where(Reply.message_key == key)).first():
            return ImportedReply(label, None, result.kind, result.request, "already imported", status="duplicate")
        cid, msg_row, email = _match(session, msg, raw, result)
        status = "applied" if result.confidence >= REVIEW_THRESHOLD else "review"
        if result.kind.startswith("bounce") and email is None:
            status = "review"
        until = datetime.combine(result.return_date, time(8, 0), UTC) if result.return_date else None
        reply = Reply(
            message_key=key, received_at=_received(msg), from_email=parseaddr(str(msg.get("From", "")))[1][:254] or None,
            contact_id=cid, message_row_id=msg_row, fingerprint=fingerprint(ws.fingerprint_key, email) if email else "",
            kind=result.kind, request_kind=result.request or "", confidence=result.confidence,
            company_wide=result.company_wide, until=until, subject=classify_header(msg, "Subject")[:500],
            excerpt=(result.new_text or "")[:2000], status=status, source=label[:500],
        )
        session.add(reply)
        session.flush()
        if status == "applied":
            reply.action = apply(session, ws, reply, result, email)[:300]
        else:
            reply.action = f"waiting for review ({result.why}; confidence {result.confidence:.2f})"
        audit.record(session, actor=ws.actor, action=f"reply.{result.kind}", subject=f"fp:{reply.fingerprint}",
                     detail={"reply": reply.id, "status": status, "action": reply.action,
                             "confidence": result.confidence})
        return ImportedReply(label, email, result.kind, result.request, reply.action, status=status)


def import_paths(ws: Workspace, paths: list[Path], on_progress: Callable[[int, int], None] | None = None) -> list[ImportedReply]:
    out = []
    sources = list(iter_sources([Path(p) for p in paths]))
    for i, (label, raw, error) in enumerate(sources, 1):
        if raw is None:
            out.append(ImportedReply(label, None, "human", None, "not read", status="error", error=error))
        else:
            out.append(ingest_one(ws, label, raw))
        if on_progress:
            on_progress(i, len(sources))
    _guard_campaigns(ws)
    return out


def _guard_campaigns(ws: Workspace) -> None:
    """Bounces and complaints just read may push a campaign past its limits: pause it if so."""
    from coldmail.deliverability.checks import check_guards
    from coldmail.store.models import Campaign

    with db.session_scope(ws.engine, write=False) as session:
        active = list(session.execute(select(Campaign.id).where(Campaign.status == "active")).scalars())
    for cid in active:
        check_guards(ws, cid)


# ---------------------------------------------------------------------------- IMAP


def import_imap(ws: Workspace, account: str, on_progress: Callable[[int, int], None] | None = None) -> list[ImportedReply]:
    """Read only the new messages of an IMAP mailbox ([imap.NAME] in coldmail.toml). The last UID read is
    remembered per UIDVALIDITY; if the server resets UIDVALIDITY, the mailbox is read again from the
    start and already-imported messages are recognised by their Message-ID."""
    import imaplib
    import os
    import ssl

    from coldmail.store.models import Meta

    cfg = ws.config.imap.get(account)
    if cfg is None:
        known = ", ".join(sorted(ws.config.imap)) or "none configured"
        raise NotFound(f"no IMAP account {account!r} in coldmail.toml (accounts: {known})")
    password = os.environ.get(cfg.password_env)
    if password is None:
        raise BadInput(f"set ${cfg.password_env} to the password of {cfg.user} at {cfg.host}")
    try:
        if cfg.security == "ssl":
            client = imaplib.IMAP4_SSL(cfg.host, cfg.port, ssl_context=ssl.create_default_context(), timeout=60)
        else:
            client = imaplib.IMAP4(cfg.host, cfg.port, timeout=60)
            if cfg.security == "starttls":
                client.starttls(ssl.create_default_context())
        client.login(cfg.user, password)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise BadInput(f"IMAP {cfg.host}:{cfg.port}: {exc}") from None
    out: list[ImportedReply] = []
    key = f"imap:{account}:{cfg.mailbox}"[:64]
    try:
        status, _ = client.select(cfg.mailbox, readonly=True)
        if status != "OK":
            raise BadInput(f"IMAP: cannot open mailbox {cfg.mailbox!r}")
        validity = (client.response("UIDVALIDITY")[1] or [b"0"])[0].decode()
        with db.session_scope(ws.engine, write=False) as session:
            row = session.get(Meta, key)
            seen_validity, last_uid = (row.value.split(":") if row else (validity, "0"))
        last = int(last_uid) if seen_validity == validity else 0
        _, data = client.uid("search", None, f"UID {last + 1}:*")
        uids = [int(u) for u in (data[0] or b"").split() if int(u) > last]
        for i, uid in enumerate(uids, 1):
            _, fetched = client.uid("fetch", str(uid), "(BODY.PEEK[])")
            raw = next((part[1] for part in fetched if isinstance(part, tuple)), None)
            label = f"imap://{cfg.user}@{cfg.host}/{cfg.mailbox};UID={uid}"
            if raw is None:
                out.append(ImportedReply(label, None, "human", None, "not read", status="error", error="empty fetch"))
            else:
                out.append(ingest_one(ws, label, raw))
            with db.session_scope(ws.engine) as session:
                row = session.get(Meta, key)
                value = f"{validity}:{uid}"
                if row is None:
                    session.add(Meta(key=key, value=value))
                else:
                    row.value = value
            if on_progress:
                on_progress(i, len(uids))
    finally:
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - the connection may already be gone
            pass
    _guard_campaigns(ws)
    return out


# ---------------------------------------------------------------------------- review


@dataclass(frozen=True)
class ReplyView:
    id: int
    received_at: datetime
    email: str | None
    kind: str
    request: str
    confidence: float
    status: str
    action: str
    subject: str
    excerpt: str

    def to_json(self) -> dict:
        return {"id": self.id, "received_at": self.received_at.isoformat(), "email": self.email, "kind": self.kind,
                "request": self.request or None, "confidence": round(self.confidence, 2), "status": self.status,
                "action": self.action, "subject": self.subject, "excerpt": self.excerpt[:300]}


def _view(session: Session, r: Reply) -> ReplyView:
    email = None
    if r.contact_id:
        email = session.execute(select(Contact.email).where(Contact.id == r.contact_id)).scalar()
    return ReplyView(r.id, as_utc(r.received_at), email or r.from_email, r.kind, r.request_kind, r.confidence,
                     r.status, r.action, r.subject, r.excerpt)


def list_replies(ws: Workspace, *, status: str | None = None, limit: int = 200) -> list[ReplyView]:
    with db.session_scope(ws.engine, write=False) as session:
        stmt = select(Reply).order_by(Reply.received_at.desc(), Reply.id.desc()).limit(limit)
        if status:
            stmt = stmt.where(Reply.status == status)
        return [_view(session, r) for r in session.execute(stmt).scalars()]


def resolve(ws: Workspace, reply_id: int, *, as_kind: str | None = None, request: str | None = None,
            dismiss: bool = False, note: str = "") -> ReplyView:
    """Confirm a review item (optionally as another kind), or dismiss it; audited."""
    kinds = ("opt_out", "complaint", "bounce_hard", "bounce_soft", "auto_reply", "data_request", "human")
    with db.session_scope(ws.engine) as session:
        reply = session.get(Reply, reply_id)
        if reply is None:
            raise NotFound(f"no reply #{reply_id}")
        if reply.status != "review":
            raise Conflict(f"reply #{reply_id} is {reply.status}, not waiting for review")
        if dismiss:
            reply.status, reply.action = "dismissed", f"dismissed by {ws.actor}: {note}"[:300]
        else:
            kind = as_kind or reply.kind
            if kind not in kinds:
                raise BadInput(f"--as must be one of {', '.join(kinds)}")
            req = request or reply.request_kind or ("source" if kind == "data_request" else None)
            result = Classification(kind, 1.0, request=req, company_wide=reply.company_wide,
                                    also_opt_out=req == "erasure", new_text=reply.excerpt)
            email = None
            if reply.contact_id:
                email = session.execute(select(Contact.email).where(Contact.id == reply.contact_id)).scalar()
            email = email or reply.from_email
            reply.kind, reply.request_kind, reply.status = kind, req or "", "applied"
            reply.action = apply(session, ws, reply, result, email)[:300]
        audit.record(session, actor=ws.actor, action="reply.review", subject=f"fp:{reply.fingerprint}",
                     detail={"reply": reply.id, "status": reply.status, "kind": reply.kind, "note": note})
        session.flush()
        return _view(session, reply)


def undo_suppression(ws: Workspace, target: str, *, reason: str) -> int:
    """Remove a wrong suppression (with the reason on record); returns how many entries went."""
    from coldmail.suppression.register import parse_target

    if not reason.strip():
        raise BadInput("a reason is required to undo a suppression")
    kind, value = parse_target(target)
    fp = fingerprint(ws.fingerprint_key, value if kind == "email" else "@" + value)
    with db.session_scope(ws.engine) as session:
        row = session.execute(select(Suppression).where(Suppression.fingerprint == fp)).scalars().first()
        if row is None:
            raise NotFound(f"{target} is not suppressed")
        if row.reason in ("erasure", "erasure request"):
            raise Conflict(f"{target} was erased at the person's request; that suppression cannot be undone")
        session.execute(delete(Suppression).where(Suppression.id == row.id))
        if kind == "email":
            session.execute(update(Contact).where(Contact.email == value, Contact.status.in_(("opted_out", "bounced", "suppressed")))
                            .values(status="replied"))
        if row.reply_id:
            session.execute(update(Reply).where(Reply.id == row.reply_id).values(status="undone"))
        audit.record(session, actor=ws.actor, action="suppression.undo", subject=f"fp:{fp}",
                     detail={"reason": reason, "was": row.reason, "since": str(row.created_at)})
    return 1
