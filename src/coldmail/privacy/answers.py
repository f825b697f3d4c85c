"""Data-subject requests answered from the records: access (Art. 15), source, erasure and objection
confirmations, deadline extensions, the Art. 15(3) export, retention runs and the Art. 30 record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, exists, func, or_, select

from coldmail import audit
from coldmail.mail import i18n, templating
from coldmail.privacy.notice import notice_context
from coldmail.privacy.requests import NotFound, add_months, erase_in_session, load_contact, where
from coldmail.store import db
from coldmail.store.models import Contact, DataRequest, Message, Reply, as_utc, utcnow
from coldmail.store.workspace import Workspace
from coldmail.suppression.register import find as find_suppression
from coldmail.suppression.register import fingerprint, suppress

ANSWER_LANGS = ("en", "de")


def _history(session, key: bytes, email: str, contact_id: int | None) -> tuple[list[dict], list[dict]]:
    fp = fingerprint(key, email)
    conds = [Message.fingerprint == fp] + ([Message.contact_id == contact_id] if contact_id else [])
    messages = [
        {"sent_at": as_utc(m.sent_at).isoformat() if m.sent_at else None, "subject": m.subject or None,
         "state": m.state, "message_id": m.message_id}
        for m in session.execute(select(Message).where(or_(*conds)).order_by(Message.id)).scalars()
    ]
    rconds = [Reply.fingerprint == fp] + ([Reply.contact_id == contact_id] if contact_id else [])
    received = [
        {"received_at": as_utc(r.received_at).isoformat(), "kind": r.kind, "subject": r.subject, "text": r.excerpt}
        for r in session.execute(select(Reply).where(or_(*rconds)).order_by(Reply.received_at)).scalars()
    ]
    return messages, received


def export(ws: Workspace, email: str) -> dict:
    """The Art. 15(3) copy: every field, the provenance, messages, replies and suppression state."""
    from coldmail.addresses import normalize_email

    email = normalize_email(email)
    with db.session_scope(ws.engine, write=False) as session:
        contact = load_contact(session, ws.fingerprint_key, email)
        sup = find_suppression(session, ws.fingerprint_key, email)
        messages, received = _history(session, ws.fingerprint_key, email, contact.id if contact else None)
    data = {
        "exported_at": utcnow().isoformat(),
        "controller": ws.config.controller.model_dump(),
        "email": email,
        "held": contact is not None,
        "contact": contact.to_json() if contact else None,
        "messages": messages,
        "replies": received,
        "suppression": {"suppressed": sup is not None, "reason": sup.reason if sup else None,
                        "since": as_utc(sup.created_at).isoformat() if sup else None},
    }
    if contact:
        data["contact"]["messages"], data["contact"]["requests"] = messages, contact.requests
    with db.session_scope(ws.engine) as session:
        audit.record(session, actor=ws.actor, action="export", subject=f"fp:{fingerprint(ws.fingerprint_key, email)}",
                     detail={"held": contact is not None})
    return data


@dataclass
class Answer:
    request_id: int
    kind: str
    email: str
    language: str
    text: str
    path: Path | None = None


def render_answer(ws: Workspace, request_id: int, *, language: str | None = None) -> Answer:
    """The answer to a request, in the contact's language, filled from the records."""
    with db.session_scope(ws.engine, write=False) as session:
        req = session.get(DataRequest, request_id)
        if req is None:
            raise NotFound(f"no request #{request_id}")
        if not req.email:
            raise ValueError(f"request #{request_id} belongs to an erased person; there is no address to answer")
        email, kind = req.email, req.kind
        contact = load_contact(session, ws.fingerprint_key, email)
    if kind == "source":
        data = where(ws, email, language=language)
        return Answer(request_id, kind, email, data["language"], data["text"])
    lang = i18n.language_for(contact.country if contact else "", language, available=ANSWER_LANGS)
    info = where(ws, email, language="en")
    ctx = export(ws, email) if kind == "access" else {}
    with db.session_scope(ws.engine, write=False) as session:
        messages, received = _history(session, ws.fingerprint_key, email, contact.id if contact else None)
    context = {
        **info, "c": ws.config.controller, "r": ws.config.retention, "kind": kind, "request_id": request_id,
        "messages": messages, "replies": received, "export": ctx, "notice": notice_context(ws),
        "collected_date": info["collected_at"][:10] if info["collected_at"] else "",
    }
    name = f"answers/{kind}.{lang}.txt.j2"
    text = templating.render(name, context, workspace_templates=ws.home / "templates", who=email)
    return Answer(request_id, kind, email, lang, text)


def answer(ws: Workspace, request_id: int, *, send: bool = False, out_dir: Path | None = None,
           smtp_url: str | None = None) -> Answer:
    """Render the answer, then send it or write it out, mark the request answered and audit it."""
    result = render_answer(ws, request_id)
    if send:
        _send_answer(ws, result, smtp_url)
    else:
        out = Path(out_dir or ws.home / "answers")
        out.mkdir(parents=True, exist_ok=True)
        result.path = out / f"request-{request_id}-{result.kind}.txt"
        result.path.write_text(result.text, encoding="utf-8")
    with db.session_scope(ws.engine) as session:
        req = session.get(DataRequest, request_id)
        req.status, req.answer, req.answered_at, req.handled_by = "answered", result.text, utcnow(), ws.actor
        if req.kind == "erasure":
            erase_in_session(session, key=ws.fingerprint_key, actor=ws.actor, email=req.email, reason="erasure")
        elif req.kind == "objection":
            suppress(session, key=ws.fingerprint_key, actor=ws.actor, target=req.email, reason="objection",
                     evidence=f"request #{request_id}")
        audit.record(session, actor=ws.actor, action="request.answer", subject=f"fp:{req.fingerprint}",
                     detail={"request": request_id, "kind": req.kind, "sent": send, "language": result.language})
    return result


def _send_answer(ws: Workspace, ans: Answer, smtp_url: str | None) -> None:
    import asyncio
    from email.message import EmailMessage
    from email.utils import make_msgid

    from coldmail.outreach.sending import Connection, parse_smtp_url

    url = smtp_url or ws.config.smtp.url
    if not url:
        raise ValueError("no SMTP server: give --smtp or set [smtp] url in coldmail.toml, or answer without --send")
    subject, _, body = ans.text.partition("\n")
    msg = EmailMessage()
    msg["From"] = ws.config.controller.sender_email
    msg["To"] = ans.email
    msg["Subject"] = subject.removeprefix("Subject:").strip() or "Your data-protection request"
    msg["Message-ID"] = make_msgid(domain=ws.config.controller.sender_email.rsplit("@", 1)[1])
    msg.set_content(body.lstrip("\n"))
    cfg = ws.config.smtp
    conn = Connection(parse_smtp_url(url, username=cfg.username, password_env=cfg.password_env,
                                     require_tls=cfg.require_tls, timeout=cfg.timeout_seconds))

    async def go():
        try:
            return await conn.send(ws.config.controller.sender_email, ans.email, msg.as_bytes())
        finally:
            await conn.close()

    result = asyncio.run(go())
    if result.outcome != "sent":
        raise RuntimeError(f"the answer was not sent: {result.code} {result.text}")


def extend(ws: Workspace, request_id: int, *, months: int, reason: str) -> dict:
    """Art. 12(3): up to two more months, with the reason told to the person within the first month."""
    if not 1 <= months <= 2:
        raise ValueError("an extension is one or two months (Art. 12(3))")
    if not reason.strip():
        raise ValueError("an extension needs a reason, which must be told to the person")
    with db.session_scope(ws.engine) as session:
        req = session.get(DataRequest, request_id)
        if req is None:
            raise NotFound(f"no request #{request_id}")
        if utcnow() > as_utc(req.due_at):
            raise ValueError(f"request #{request_id} is past its first month; it can no longer be extended")
        req.extended_due_at = add_months(as_utc(req.received_at), 1 + months)
        req.extension_reason = reason.strip()[:1000]
        audit.record(session, actor=ws.actor, action="request.extend", subject=f"fp:{req.fingerprint}",
                     detail={"request": request_id, "months": months, "reason": reason})
        return {"id": req.id, "due_at": as_utc(req.extended_due_at).isoformat(), "reason": req.extension_reason}


# ---------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class RetentionItem:
    email: str
    rule: str
    since: datetime


def _due_for_erasure(session, ws: Workspace, now: datetime) -> list[RetentionItem]:
    r = ws.config.retention
    last_sent = (select(Message.contact_id, func.max(Message.sent_at).label("last"))
                 .where(Message.state == "sent").group_by(Message.contact_id).subquery())
    last_reply = (select(Reply.contact_id, func.max(Reply.received_at).label("last"))
                  .group_by(Reply.contact_id).subquery())
    open_request = exists().where(and_(DataRequest.contact_id == Contact.id, DataRequest.status == "open"))
    rows = session.execute(
        select(Contact.email, Contact.created_at, last_sent.c.last, last_reply.c.last)
        .outerjoin(last_sent, last_sent.c.contact_id == Contact.id)
        .outerjoin(last_reply, last_reply.c.contact_id == Contact.id)
        .where(~open_request)
    ).all()
    out = []
    for email, created, sent, replied in rows:
        created, sent, replied = as_utc(created), as_utc(sent), as_utc(replied)
        if replied is not None:
            last = max(d for d in (sent, replied) if d)
            if add_months(last, r.replied_months) <= now:
                out.append(RetentionItem(email, f"{r.replied_months} months after the last exchange", last))
        elif sent is not None:
            if add_months(sent, r.no_reply_months) <= now:
                out.append(RetentionItem(email, f"no reply {r.no_reply_months} months after the last message", sent))
        elif add_months(created, r.never_contacted_months) <= now:
            out.append(RetentionItem(email, f"never contacted {r.never_contacted_months} months after import", created))
    return out


def retention_run(ws: Workspace, *, dry_run: bool = False, now: datetime | None = None) -> list[RetentionItem]:
    """List (dry run) or erase what is past its time; suppression fingerprints are kept."""
    now = now or utcnow()
    with db.session_scope(ws.engine, write=not dry_run) as session:
        items = _due_for_erasure(session, ws, now)
        if not dry_run:
            for item in items:
                erase_in_session(session, key=ws.fingerprint_key, actor=ws.actor, email=item.email,
                                 reason="retention period ended")
            audit.record(session, actor=ws.actor, action="retention.run", subject="retention",
                         detail={"erased": len(items), "at": now.isoformat()})
    if not dry_run:
        db.checkpoint(ws.engine)
    return items


# ---------------------------------------------------------------------------- Art. 30


def records(ws: Workspace) -> str:
    ctx = notice_context(ws)
    ctx["generated_at"] = utcnow().date().isoformat()
    return templating.render("records/record.en.md.j2", ctx, workspace_templates=ws.home / "templates")


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
