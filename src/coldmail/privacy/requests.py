"""Data-subject requests: open one (by hand or from a reply), list them by deadline, extend one
(Art. 12(3)), and answer one. `answer` is the ONE answer path for the CLI and the TUI: an erasure
request cannot be marked answered without the erasure, nor an objection without the suppression."""

from __future__ import annotations

import calendar
from datetime import datetime
from pathlib import Path

from sqlalchemy import case, select
from sqlmodel import Session

from coldmail import audit
from coldmail.addresses import normalize_email
from coldmail.contacts.views import request_json
from coldmail.errors import BadInput, Conflict, NotFound
from coldmail.privacy.answers import Answer, render_answer, send_answer
from coldmail.privacy.erasure import erase_in_session, finish
from coldmail.store import db
from coldmail.store.models import Contact, DataRequest, as_utc, utcnow
from coldmail.store.states import RequestKind, RequestStatus
from coldmail.store.workspace import Workspace
from coldmail.suppression.fingerprints import fingerprint
from coldmail.suppression.register import suppress

REQUEST_KINDS = tuple(RequestKind)

def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months, clamped to the month's end: 31 January + 1 month = 28/29 February."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def open_request(
    session: Session,
    *,
    key: bytes,
    actor: str,
    email: str,
    kind: str,
    received_at: datetime | None = None,
    note: str = "",
    verified: bool = False,
    reply_id: int | None = None,
) -> DataRequest:
    if kind not in REQUEST_KINDS:
        raise BadInput(f"kind must be one of {', '.join(REQUEST_KINDS)}; got {kind!r}")
    email = normalize_email(email)
    received = as_utc(received_at) or utcnow()
    contact_id = session.execute(select(Contact.id).where(Contact.email == email)).scalar()
    fp = fingerprint(key, email)
    req = DataRequest(
        contact_id=contact_id,
        email=email,
        fingerprint=fp,
        kind=kind,
        status=RequestStatus.OPEN,
        received_at=received,
        due_at=add_months(received, 1),
        verified=verified,
        verification_note="request came from the contact's own address" if verified else "",
        note=note[:2000],
        reply_id=reply_id,
    )
    session.add(req)
    session.flush()
    audit.record(
        session, actor=actor, action="request.open", subject=f"fp:{fp}",
        detail={"request": req.id, "kind": kind, "reply_id": reply_id},
    )
    return req


def open_request_cmd(ws: Workspace, *, email: str, kind: str, received_at: datetime | None = None, note: str = "") -> dict:
    with db.session_scope(ws.engine) as session:
        return request_json(
            open_request(session, key=ws.fingerprint_key, actor=ws.actor, email=email, kind=kind,
                         received_at=received_at, note=note)
        )


def list_requests(ws: Workspace, *, only_open: bool = False, now: datetime | None = None) -> list[dict]:
    """Overdue open requests first, then the other open ones by due date, then the rest."""
    now = now or utcnow()
    due = DataRequest.due_at
    with db.session_scope(ws.engine, write=False) as session:
        stmt = select(DataRequest)
        if only_open:
            stmt = stmt.where(DataRequest.status == RequestStatus.OPEN)
        stmt = stmt.order_by(
            case((DataRequest.status == RequestStatus.OPEN, 0), else_=1),
            case(((DataRequest.status == RequestStatus.OPEN) & (due < now), 0), else_=1),
            due,
            DataRequest.id,
        )
        out = []
        for r in session.execute(stmt).scalars():
            item = request_json(r)
            item["overdue"] = r.status == RequestStatus.OPEN and as_utc(r.extended_due_at or r.due_at) < now
            out.append(item)
        return out


def answer(ws: Workspace, request_id: int, *, send: bool = False, out: Path | None = None,
           smtp_url: str | None = None) -> Answer:
    """Answer a request from the records and do what it asks, in one step: the answer is rendered,
    sent when `send` (else kept in the database, and written to `out` when the user asks for a file),
    an erasure erases and an objection suppresses, and the request is marked answered and audited,
    all in one transaction. The CLI's `requests answer` and the TUI's Requests screen both call this."""
    with db.session_scope(ws.engine, write=False) as session:
        req = session.get(DataRequest, request_id)
        if req is None:
            raise NotFound(f"no request #{request_id}")
        kind, email, status = req.kind, req.email, req.status
    if status != RequestStatus.OPEN:
        raise Conflict(f"request #{request_id} is already {status}")
    if email:
        result = render_answer(ws, request_id)
    elif kind == RequestKind.ERASURE:
        # Already erased (by `erase` or retention): nothing is left to write to or about.
        result = Answer(request_id, kind, "", "", "")
    else:
        raise Conflict(f"request #{request_id} belongs to an erased person; there is no address to answer")
    if send and email:
        send_answer(ws, result, smtp_url)
    if out is not None and result.text:
        out = Path(out)
        if out.is_dir():
            out = out / f"request-{request_id}-{kind}.txt"
        out.write_text(result.text, encoding="utf-8")
        result.path = out
    with db.session_scope(ws.engine) as session:
        req = session.get(DataRequest, request_id)
        req.status, req.answer, req.answered_at, req.handled_by = RequestStatus.ANSWERED, result.text, utcnow(), ws.actor
        if kind == RequestKind.ERASURE and email:
            # Also blanks the answer just stored: it names the person, and they asked to be forgotten.
            markers = erase_in_session(session, key=ws.fingerprint_key, actor=ws.actor, email=email,
                                       reason="erasure")[2]
        elif kind == RequestKind.OBJECTION and email:
            suppress(session, key=ws.fingerprint_key, actor=ws.actor, target=email, reason="objection",
                     evidence=f"request #{request_id}")
        audit.record(session, actor=ws.actor, action="request.answer", subject=f"fp:{req.fingerprint}",
                     detail={"request": request_id, "kind": kind, "sent": bool(send and email),
                             "language": result.language})
    if kind == RequestKind.ERASURE and email:
        finish(ws, [markers])
    return result


def extend(ws: Workspace, request_id: int, *, months: int, reason: str) -> dict:
    """Art. 12(3): up to two more months, with the reason told to the person within the first month."""
    if not 1 <= months <= 2:
        raise BadInput("an extension is one or two months (Art. 12(3))")
    if not reason.strip():
        raise BadInput("an extension needs a reason, which must be told to the person")
    with db.session_scope(ws.engine) as session:
        req = session.get(DataRequest, request_id)
        if req is None:
            raise NotFound(f"no request #{request_id}")
        if utcnow() > as_utc(req.due_at):
            raise Conflict(f"request #{request_id} is past its first month; it can no longer be extended")
        req.extended_due_at = add_months(as_utc(req.received_at), 1 + months)
        req.extension_reason = reason.strip()[:1000]
        audit.record(session, actor=ws.actor, action="request.extend", subject=f"fp:{req.fingerprint}",
                     detail={"request": request_id, "months": months}, note=reason)
        return {"id": req.id, "due_at": as_utc(req.extended_due_at).isoformat(), "reason": req.extension_reason}
