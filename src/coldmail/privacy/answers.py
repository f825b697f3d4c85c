"""Answers to data-subject requests, rendered from the records in the person's language (source,
access, erasure, objection, rectification), and sent through the shared SMTP transport."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coldmail.contacts.views import load_contact
from coldmail.errors import Conflict, NotFound, SmtpProblem
from coldmail.mail import i18n, templating
from coldmail.privacy.export import export, history
from coldmail.privacy.notice import notice_context
from coldmail.privacy.where import where
from coldmail.store import db
from coldmail.store.models import DataRequest, Reply
from coldmail.store.workspace import Workspace

ANSWER_LANGS = i18n.LANGUAGES  # answers/<kind>.txt.j2 in the words of mail/locales/<lang>.toml


@dataclass
class Answer:
    request_id: int
    kind: str
    email: str
    language: str
    text: str
    path: Path | None = None


def written_in(session, req: DataRequest, country: str) -> str | None:
    """The language a request was written in, if it came in a reply: the language whose words the reader
    found it in (a French contact who asks in English is answered in English). Portuguese and Brazilian
    Portuguese share one reading; the contact's country tells them apart. None if it came another way."""
    from coldmail.replies.classify.intent import GUESSED

    reply = session.get(Reply, req.reply_id) if req.reply_id is not None else None
    code = i18n.normalize(reply.language) if reply is not None else None
    if code is None or any(guess in reply.why for guess in GUESSED):
        return None  # read in every language, or in Latin letters: the language is the reader's guess
    own = i18n.language_for(country)
    return own if own.split("-")[0] == code else code


def render_answer(ws: Workspace, request_id: int, *, language: str | None = None) -> Answer:
    """The answer to a request, in the language it was written in (else the contact's country's), filled
    from the records. `language` chooses another."""
    with db.session_scope(ws.engine, write=False) as session:
        req = session.get(DataRequest, request_id)
        if req is None:
            raise NotFound(f"no request #{request_id}")
        if not req.email:
            raise Conflict(f"request #{request_id} belongs to an erased person; there is no address to answer")
        email, kind = req.email, req.kind
        contact = load_contact(session, ws.fingerprint_key, email)
        language = language or written_in(session, req, contact.country if contact else "")
    if kind == "source":
        data = where(ws, email, language=language)
        return Answer(request_id, kind, email, data["language"], data["text"])
    lang = i18n.language_for(contact.country if contact else "", language, available=ANSWER_LANGS)
    info = where(ws, email, language="en")
    ctx = export(ws, email) if kind == "access" else {}
    with db.session_scope(ws.engine, write=False) as session:
        messages, received = history(session, ws.fingerprint_key, email, contact.id if contact else None)
    context = {
        **info, "c": ws.config.controller, "r": ws.config.retention, "kind": kind, "request_id": request_id,
        "messages": messages, "replies": received, "export": ctx, "notice": notice_context(ws),
        "collected_date": info["collected_at"][:10] if info["collected_at"] else "",
    }
    name = f"answers/{kind}.{lang}.txt.j2"
    text = templating.render(name, context, workspace_templates=ws.home / "templates", who=email)
    return Answer(request_id, kind, email, lang, text)


def send_answer(ws: Workspace, ans: Answer, smtp_url: str | None) -> None:
    from email.message import EmailMessage
    from email.utils import make_msgid

    from coldmail.mail.smtp import send_one, target_for

    target = target_for(ws.config, smtp_url)
    subject, _, body = ans.text.partition("\n")
    msg = EmailMessage()
    msg["From"] = ws.config.controller.sender_email
    msg["To"] = ans.email
    msg["Subject"] = subject.removeprefix("Subject:").strip() or "Your data-protection request"
    msg["Message-ID"] = make_msgid(domain=ws.config.controller.sender_email.rsplit("@", 1)[1])
    msg.set_content(body.lstrip("\n"))
    result = send_one(target, ws.config.controller.sender_email, ans.email, msg.as_bytes())
    if result.outcome != "sent":
        raise SmtpProblem(f"the answer was not sent: {result.code} {result.text}".strip())
