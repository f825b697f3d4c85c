"""Which contact, and which message of ours, an incoming message is about: its key (for
duplicates), the Message-IDs it refers to (In-Reply-To, References, a bounce's returned original),
and failing those its addresses."""

from __future__ import annotations

import hashlib
import re
from email.utils import getaddresses

from sqlalchemy import select
from sqlmodel import Session

from coldmail.addresses import InvalidAddress, normalize_email
from coldmail.replies.classify import Classification
from coldmail.replies.classify.result import BOUNCES
from coldmail.store.models import Contact, Message
from coldmail.store.states import ReplyKind
from coldmail.suppression import tokens

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_RETURNED_ID = re.compile(rb"(?im)^message-id:\s*(<[^<>\s]+>)")


def message_key(msg, raw: bytes) -> str:
    """The Message-ID, or a hash of the bytes when there is none (or it is too long to keep)."""
    mid = str(msg.get("Message-ID", "") or "").strip()
    if mid and len(mid) <= 120:
        return mid
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def referenced_ids(msg, raw: bytes) -> list[str]:
    """Message-IDs this message refers to: In-Reply-To and References, and for bounces the IDs
    found in the returned original."""
    ids: list[str] = []
    for header in ("In-Reply-To", "References"):
        for value in msg.get_all(header, []) or []:
            ids.extend(_MESSAGE_ID.findall(str(value)))
    # A bounce returns our original (or its headers): its Message-ID names the message we sent.
    ids.extend(m.decode("ascii", "replace") for m in _RETURNED_ID.findall(raw[:2_000_000]))
    own = str(msg.get("Message-ID", "")).strip()
    return [i for i in dict.fromkeys(ids) if i != own]


def match(session: Session, *, key: bytes, msg, raw: bytes,
          result: Classification) -> tuple[int | None, int | None, str | None]:
    """(contact id, our message row id, address) for this message: by the unsubscribe token it
    carries, by the messages it refers to, else by the failed recipients of a bounce or a complaint
    (never the reporter) or the sender of anything else."""
    if result.token:  # our List-Unsubscribe mailto: the token, not the sender, names the contact
        cid = tokens.read(key, result.token)
        email = session.execute(select(Contact.email).where(Contact.id == cid)).scalar() if cid is not None else None
        return (cid, None, email) if email else (None, None, None)
    ids = referenced_ids(msg, raw)
    if ids:
        row = session.execute(
            select(Message.id, Message.contact_id, Message.to_email).where(Message.message_id.in_(ids)).limit(1)
        ).first()
        if row is not None:
            return row.contact_id, row.id, row.to_email
    bounce = result.kind in BOUNCES
    candidates: list[str] = []
    if result.kind == ReplyKind.COMPLAINT:
        # The complained-about recipient, only if we hold them: never the report's sender.
        for addr in result.failed_recipients:
            try:
                email = normalize_email(addr)
            except InvalidAddress:
                continue
            cid = session.execute(select(Contact.id).where(Contact.email == email)).scalar()
            if cid is not None:
                return cid, None, email
        return None, None, None
    if bounce:
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
        if cid is not None or bounce:
            return cid, None, email
    first = candidates[0] if candidates else None
    try:
        return None, None, normalize_email(first) if first else None
    except InvalidAddress:
        return None, None, None
