"""Bounces (RFC 3464 delivery status notifications and the vendors' own formats, with the failed
recipients and hard or soft) and complaints (ARF abuse reports, RFC 5965). Bounces often carry
Auto-Submitted, so they are read before auto-replies."""

from __future__ import annotations

import re
from email.utils import getaddresses

from coldmail.replies.classify.result import Classification
from coldmail.replies.classify.text import Mail, header, is_word_char, trie_pattern
from coldmail.store.states import ReplyKind

_EMAIL = re.compile(r"[A-Za-z0-9._%+'=-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")

_BOUNCE_FROM = re.compile(r"mailer-daemon|postmaster|mail delivery|mailadmin|mail administrator|"
                          r"system administrator|deliverystatus|returned mail|mdaemon|smtp32|"
                          r"microsoft outlook|bounce", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery status|delivery (has )?fail|failure notice|returned mail|"
    r"mail delivery failed|delivery failure|failure delivery|non.?delivery|nondeliverable|could not be delivered|"
    r"mail system error|delivery notification|message status|returned to sender|warning: could not send|"
    r"delivery report|not delivered|unzustellbar|non remis|no se puede entregar|mail failure|bounce|"
    r"error sending|delayed mail|delivery delayed|unable to deliver|mail error|failed mail|delivery warning|"
    r"not yet been delivered|could not be delivered|deliver(y|ing) problem", re.I)
# Phrases of bounce bodies, matched in the lower-cased text: literal ones through a prefix tree,
# the few with gaps through a small pattern of their own.
_BOUNCE_BODY_PHRASES = re.compile(trie_pattern([
    "could not be delivered", "couldn't be delivered", "permanent fatal errors", "user unknown",
    "unknown user", "no such user", "mailbox unavailable", "mailbox not found", "does not exist",
    "this is the qmail-send program", "wasn't able to deliver", "was not able to deliver", "unable to deliver",
    "delivery failed", "undeliverable", "did not reach the following recipient",
    "delivery to the following recipient", "recipient address rejected", "message could not be delivered",
    "not be delivered to", "returned to you", "failed to deliver", "delivery has failed", "invalid recipient",
    "address rejected", "host unknown", "no mailbox", "unrouteable", "unroutable", "over quota",
    "mailbox full", "quota exceeded", "will retry", "still undelivered", "message delivery has been delayed",
    "could not deliver", "permanent error", "temporary error", "retry timeout exceeded", "undeliverable mail",
    "delivery status notification", "bad destination", "not a valid", "rejected your message",
    "message removed", "cannot be delivered", "can't be delivered", "not yet been delivered",
    "has been postponed", "full mailbox", "space not enough", "did not exactly match",
    "mail delivery software",
]))
_BOUNCE_BODY_GAPS = re.compile(r"account.{0,20}disabled|delivery.{0,40}delayed|recipient.{0,20}unknown")
_BOUNCE_ADDRESS_LINE = re.compile(r"^<[^>\s]+@[^>\s]+>:\s*$", re.M)  # qmail: "<user@host>:" alone on a line
# (Each pattern above starts with a literal character, so the regex engine skips ahead to the
# positions where a match can start; an alternative starting with `^` or `\b` would make it try
# every position.)


def _bounce_body(lowered: str) -> bool:
    return bool(_BOUNCE_BODY_PHRASES.search(lowered) or _BOUNCE_BODY_GAPS.search(lowered)
                or (lowered.startswith("<") or "\n<" in lowered) and _BOUNCE_ADDRESS_LINE.search(lowered))


# Matched in the lower-cased text, like the bounce phrases above.
_SOFT = re.compile(trie_pattern([
    "mailbox full", "full mailbox", "over quota", "quota exceeded", "temporar", "delayed", "will retry",
    "will be retried", "still undelivered", "not yet been delivered", "postponed", "try again later", "deferred",
    "space not enough", "continue to attempt",
]))
_HARD = re.compile(trie_pattern(["user unknown", "no such user", "does not exist", "permanent"]))


def _code_classes(text: str, classes: str) -> set[str]:
    r"""The classes of the enhanced status codes in the text, as `findall` with
    `\b([245])\.\d{1,3}\.\d{1,3}\b` finds them (non-overlapping: "JetMail 2.5.3.0" holds 2.5.3, not
    5.3.0), for `classes` among "245". Searched for without the leading `\b`, which would make the
    engine try every position; the boundary is checked here."""
    pattern = _CODES[classes]
    found: set[str] = set()
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        start = m.start()
        if start == 0 or not is_word_char(text[start - 1]):
            found.add(text[start])
            pos = m.end()
        else:
            pos = start + 1
    return found


_CODES = {k: re.compile(f"[{k}]" + r"\.\d{1,3}\.\d{1,3}\b") for k in ("245", "4")}


def _walk_parts(msg):
    try:
        yield from msg.walk()
    except Exception:  # noqa: BLE001 - broken MIME trees
        return


_DELIVERED = ("delivered", "relayed", "expanded", "deliverable")


def _dsn(mail: Mail) -> list[tuple[str, str, str]] | None:
    """RFC 3464: (recipient, action, status) for each recipient block of message/delivery-status."""
    if mail.ctype != "multipart/report":
        return None
    found: list[tuple[str, str, str]] = []
    for part in _walk_parts(mail.msg):
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        texts = ["\n".join(f"{k}: {v}" for k, v in b.items()) for b in blocks] if isinstance(blocks, list) else [
            str(blocks)]
        for block in texts:
            # Blank lines separate the per-recipient groups when the part is one text.
            for group in re.split(r"\n\s*\n", block):
                rcpt, action, status = "", "", ""
                for line in group.splitlines():
                    key, _, value = line.partition(":")
                    key, value = key.strip().lower(), value.strip()
                    if key in ("final-recipient", "original-recipient") and value and not rcpt:
                        addr = value.split(";", 1)[-1].strip().strip("<>")
                        rcpt = addr.lower() if "@" in addr else ""
                    elif key == "status" and value:
                        status = value.split()[0]
                    elif key == "action" and value:
                        action = value.lower()
                if rcpt and all(r != rcpt for r, _, _ in found):
                    found.append((rcpt, action, status))
    return found


def _failed_from_text(mail: Mail, text: str) -> list[str]:
    msg = mail.msg
    found: list[str] = []
    for name in ("X-Failed-Recipients", "X-Original-To-Failed", "X-MDRcpt-To"):
        for _, addr in getaddresses(mail.get_all(name)):
            if addr and addr.lower() not in found:
                found.append(addr.lower())
    if found:
        return found
    candidates = _EMAIL.findall(text)
    # The message's own addresses are not the failed ones (every address in those headers; the
    # regex is much cheaper than parsing the headers and errs on the side of leaving one out).
    own = {a.lower() for h in ("From", "To", "Return-Path", "Sender") for a in _EMAIL.findall(str(mail.get(h) or ""))}
    for addr in candidates:
        a = addr.lower().rstrip(".")
        if a in own or re.match(r"(mailer-daemon|postmaster|abuse|noreply|no-reply)@", a):
            continue
        if a not in found:
            found.append(a)
    if not found:  # the returned original names whom it was for
        for part in _walk_parts(msg):
            if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
                inner = part.get_payload(0) if part.is_multipart() else None
                headers = inner if inner is not None else part
                for _, addr in getaddresses([str(v) for v in headers.get_all("To", [])]):
                    if addr and addr.lower() not in found and addr.lower() not in own:
                        found.append(addr.lower())
    return found[:5]


def bounce(mail: Mail, text: str) -> Classification | None:
    """A bounce: a delivery status notification, or a vendor's own format read from its sender, subject
    and body; None for anything else."""
    dsn = _dsn(mail)
    if dsn:
        # Per recipient: only failures suppress; a delay is soft; success is no bounce at all.
        delivered = [(r, a, s) for r, a, s in dsn if a in _DELIVERED or s.startswith("2")]
        failed = [(r, a, s) for r, a, s in dsn if (r, a, s) not in delivered
                  and not (a == "delayed" or s.startswith("4"))]
        delayed = [(r, a, s) for r, a, s in dsn if (r, a, s) not in failed and (a == "delayed" or s.startswith("4"))]
        if failed or delayed:
            group = failed or delayed
            status = group[0][2] or group[0][1] or "failed"
            return Classification(ReplyKind.BOUNCE_HARD if failed else ReplyKind.BOUNCE_SOFT, 0.99,
                                  failed_recipients=[r for r, _, _ in group],
                                  why=f"delivery status notification ({status})")
        action = delivered[0][1] or "delivered"
        return Classification(ReplyKind.AUTO_REPLY, 0.99, report=action,
                              why=f"delivery report: {action} ({delivered[0][2] or '2.0.0'}); no bounce")
    sender = header(mail.msg, "From") if "from" in mail.names else ""
    looks = bool(_BOUNCE_FROM.search(sender)) + bool(_BOUNCE_SUBJECT.search(mail.subject)) + (dsn is not None)
    failed_header = mail.get("X-Failed-Recipients")
    if not looks and not failed_header:
        return None  # the body alone cannot make it a bounce; most replies stop here, unread
    whole = text[:20000]
    lowered = whole.lower()
    looks += _bounce_body(lowered)
    if looks < 2 and not (looks and failed_header):
        return None
    failed = _failed_from_text(mail, text)
    soft = ("5" not in _code_classes(whole, "245") and not _HARD.search(lowered)
            and bool(_SOFT.search(lowered) or _code_classes(lowered, "4")))
    return Classification(ReplyKind.BOUNCE_SOFT if soft else ReplyKind.BOUNCE_HARD, 0.9 if failed else 0.6,
                          failed_recipients=failed, why="bounce (vendor format)")


_COMPLAINT_SUBJECT = re.compile(r"complaint|abuse report|spam report|feedback report|fbl|junk mail report", re.I)
_COMPLAINT_FROM = re.compile(r"abuse|fbl|feedback|complaint|scomp|staff@hotmail|arf|junk", re.I)


def _original_recipients(mail: Mail) -> list[str]:
    """Whom the reported message was sent to: the report's Original-Rcpt-To, else the To of the
    returned original (message/rfc822 or text/rfc822-headers). Never the report's own addresses."""
    found: list[str] = []
    own = {a.lower() for h in ("From", "Sender", "Return-Path", "To") for a in _EMAIL.findall(str(mail.get(h) or ""))}

    def add(values) -> None:
        for _, addr in getaddresses([str(v) for v in values]):
            addr = addr.lower().strip()
            if "@" in addr and addr not in found and addr not in own:
                found.append(addr)

    for part in _walk_parts(mail.msg):
        ctype = part.get_content_type()
        if ctype == "message/feedback-report":
            payload = part.get_payload()
            blocks = payload if isinstance(payload, list) else [part]
            for block in blocks:
                text = block.as_string() if hasattr(block, "as_string") else str(block)
                add(m.group(1) for m in re.finditer(r"(?im)^original-rcpt-to:\s*(.+)$", text))
    if found:
        return found
    for part in _walk_parts(mail.msg):
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            inner = part.get_payload(0) if part.is_multipart() else None
            headers = inner if inner is not None else part
            if inner is None and isinstance(part.get_payload(), str):  # text/rfc822-headers as text
                add(m.group(1) for m in re.finditer(r"(?im)^to:\s*(.+)$", part.get_payload()))
            else:
                add(headers.get_all("To", []) + headers.get_all("X-Original-To", []))
    return found


def _ses(text: str) -> Classification | None:
    """An Amazon SES notification (JSON, as SNS mails it): a complaint or a bounce, with recipients."""
    if '"notificationType"' not in text:
        return None
    import json

    start = text.find("{")
    try:
        data = json.loads(text[start:text.rfind("}") + 1])
    except ValueError:
        return None
    kind = data.get("notificationType")
    if kind == "Complaint":
        rcpts = [r.get("emailAddress", "").lower() for r in data.get("complaint", {}).get("complainedRecipients", [])]
        return Classification(ReplyKind.COMPLAINT, 0.99, failed_recipients=[r for r in rcpts if "@" in r],
                              why="complaint (Amazon SES notification)")
    if kind == "Bounce":
        info = data.get("bounce", {})
        rcpts = [r.get("emailAddress", "").lower() for r in info.get("bouncedRecipients", [])]
        hard = info.get("bounceType") == "Permanent"
        return Classification(ReplyKind.BOUNCE_HARD if hard else ReplyKind.BOUNCE_SOFT, 0.99,
                              failed_recipients=[r for r in rcpts if "@" in r], why="bounce (Amazon SES notification)")
    return None


def complaint(mail: Mail, text: str = "") -> Classification | None:
    """An abuse report: ARF (RFC 5965, as Yahoo, AOL, Comcast and others send it), Microsoft's JMRP
    (the original attached under a "complaint about message" subject), or an Amazon SES notification.
    `failed_recipients` holds the complained-about recipient(s) when the report names them."""
    msg, arf = mail.msg, "message/feedback-report"
    report = (mail.ctype == arf
              or mail.ctype == "multipart/report" and "feedback-report" in str(msg.get("Content-Type", "")).lower()
              or msg.is_multipart() and any(p.get_content_type() == arf for p in _walk_parts(msg)))
    if report:
        return Classification(ReplyKind.COMPLAINT, 0.99, failed_recipients=_original_recipients(mail),
                              why="abuse report (ARF)")
    sender = header(msg, "From") if "from" in mail.names else ""
    if (msg.is_multipart() and _COMPLAINT_SUBJECT.search(mail.subject) and _COMPLAINT_FROM.search(sender)
            and any(p.get_content_type() == "message/rfc822" for p in _walk_parts(msg))):
        return Classification(ReplyKind.COMPLAINT, 0.95, failed_recipients=_original_recipients(mail),
                              why="abuse report (feedback loop with the original attached)")
    return _ses(text) if text and '"notificationType"' in text[:4000] else None
