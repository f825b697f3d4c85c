"""The SMTP transport that campaigns and answers to data subjects share: one reusable connection
that knows at which step of a transaction a failure happened, and what an answer means for the
message (sent, retry, rejected, unknown) or for the run (`SendAborted`)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import aiosmtplib

from coldmail.errors import BadInput, SmtpProblem
from coldmail.store.config import Config


class SendAborted(SmtpProblem):
    """The run stopped for a reason the rep must fix (authentication, campaign paused...)."""


class AuthRefused(SendAborted):
    """The server refused our login: that mailbox pauses until a person fixes it; the others go on."""


@dataclass
class SmtpResult:
    # sent, retry, reject_recipient, reject_message, unknown, and reconnect: the server did not answer
    # or said 421 before the message was accepted (an outage of the mailbox, not a fault of the message)
    outcome: str
    code: int = 0
    text: str = ""


@dataclass
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    username: str = ""
    password: str = ""
    require_tls: bool = False
    timeout: float = 60


def parse_smtp_url(url: str, *, username: str = "", password_env: str = "COLDMAIL_SMTP_PASSWORD",
                   require_tls: bool = False, timeout: float = 60) -> SmtpTarget:
    parsed = urlparse(url)
    if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
        raise BadInput(f"--smtp {url!r} should look like smtp://HOST:PORT or smtps://HOST:465")
    implicit = parsed.scheme == "smtps"
    return SmtpTarget(
        host=parsed.hostname,
        port=parsed.port or (465 if implicit else 587),
        implicit_tls=implicit,
        username=unquote(parsed.username or "") or username,
        password=os.environ.get(password_env, ""),
        require_tls=require_tls,
        timeout=timeout,
    )


class Connection:
    """One reusable SMTP connection; knows which step of a transaction a failure happened in."""

    def __init__(self, target: SmtpTarget):
        self.target = target
        self.smtp: aiosmtplib.SMTP | None = None

    async def _connect(self) -> None:
        t = self.target
        smtp = aiosmtplib.SMTP(hostname=t.host, port=t.port, use_tls=t.implicit_tls, start_tls=None,
                               timeout=t.timeout, validate_certs=True)
        await smtp.connect()
        if t.require_tls and not (t.implicit_tls or smtp.is_connected and smtp.get_transport_info("sslcontext")):
            await smtp.quit()
            raise SendAborted(f"{t.host}:{t.port} offers no TLS and require_tls is set")
        if t.username:
            try:
                await smtp.login(t.username, t.password)
            except aiosmtplib.SMTPAuthenticationError as exc:
                raise AuthRefused(f"SMTP authentication failed for {t.username!r} at {t.host}: {exc.code} {exc.message}") from None
        self.smtp = smtp

    async def close(self) -> None:
        if self.smtp is not None:
            try:
                await self.smtp.quit()
            except Exception:  # noqa: BLE001 - closing a dead connection
                self.smtp.close()
            self.smtp = None

    async def send(self, sender: str, rcpt: str, raw: bytes) -> SmtpResult:
        try:
            if self.smtp is None or not self.smtp.is_connected:
                await self._connect()
        except SendAborted:
            raise
        except (aiosmtplib.SMTPException, OSError) as exc:
            self.smtp = None
            return SmtpResult("reconnect", 0, f"could not connect: {exc}")
        smtp = self.smtp
        step = "mail"
        try:
            await smtp.mail(sender)
            step = "rcpt"
            await smtp.rcpt(rcpt)
        except aiosmtplib.SMTPResponseException as exc:
            await self._reset()
            return classify_answer(exc.code, exc.message, step=step)
        except (aiosmtplib.SMTPException, OSError) as exc:
            self.smtp = None  # nothing was accepted yet: safe to try again
            return SmtpResult("reconnect", 0, str(exc))
        try:
            response = await smtp.data(raw)
        except aiosmtplib.SMTPResponseException as exc:
            await self._reset()
            return classify_answer(exc.code, exc.message, step="data")
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            self.smtp = None
            return SmtpResult("unknown", 0, f"connection lost during DATA: {exc}")
        return SmtpResult("sent", response.code, response.message)

    async def _reset(self) -> None:
        try:
            await self.smtp.rset()
        except Exception:  # noqa: BLE001 - the next send reconnects
            self.smtp = None


# Enhanced status codes (RFC 3463) that blame the recipient's address or mailbox.
_RECIPIENT_CODES = re.compile(r"\b5\.(?:1\.[0-9]+|2\.1)\b")
_RECIPIENT_TEXT = re.compile(r"user unknown|unknown user|no such user|mailbox (?:unavailable|not found|does not exist)|"
                             r"does not exist|recipient address rejected|invalid recipient|unknown recipient|"
                             r"address rejected|no mailbox|account (?:is )?disabled|not our customer", re.I)
# Answers that blame us: the sender, its authentication or relaying, its domain's policy or reputation.
_SENDER_TEXT = re.compile(r"sender|relay|authenticat|not permitted|spf|dkim|dmarc|policy|blocked|block ?list|"
                          r"blacklist|spamhaus|client host|reputation|rate limit|from address|not allowed", re.I)


_ADDRESS = re.compile(r"[^\s<>@:;,]+@[^\s<>;,]+")


def redact(text: str) -> str:
    """A server's answer without the addresses it may echo, for reasons that outlive the person."""
    return _ADDRESS.sub("<address>", text)


def classify_answer(code: int, message: str, *, step: str) -> SmtpResult:
    """What a refusal means, from its code, its text and the step it came at ("mail", "rcpt",
    "data"). Only the recipient's faults are `reject_recipient` (which suppresses the address);
    a refusal of the sender, its authentication, its relaying or its policy stops the run
    (`SendAborted`: the campaign pauses with the reason, and no one is suppressed for our fault)."""
    if code == 421:
        return SmtpResult("reconnect", code, message)
    if 400 <= code < 500:
        return SmtpResult("retry", code, message)
    if code in (530, 534, 535, 538):
        raise AuthRefused(f"the SMTP server refused authentication: {code} {redact(message)}".strip())
    if step == "mail":
        if code == 552:  # the declared size is too big: this message's fault
            return SmtpResult("reject_message", code, message)
        raise SendAborted(f"the SMTP server refused the sender: {code} {redact(message)}".strip())
    if step == "rcpt":
        blames_recipient = bool(_RECIPIENT_CODES.search(message) or _RECIPIENT_TEXT.search(message))
        blames_sender = bool(re.search(r"\b5\.7\.[0-9]+\b", message) or _SENDER_TEXT.search(message))
        if blames_sender and not (blames_recipient and not re.search(r"\b5\.7\.", message)):
            raise SendAborted(f"the SMTP server refused to take mail from us: {code} {redact(message)}".strip())
        return SmtpResult("reject_recipient", code, message)
    return SmtpResult("reject_message", code, message)


def target_for(config: Config, url: str | None = None) -> SmtpTarget:
    """The server to send through: `url` (a command's --smtp) or the configured [smtp] url, with
    the configured login, TLS policy and time-out."""
    url = url or config.smtp.url
    if not url:
        raise BadInput("no SMTP server: give --smtp smtp://HOST:PORT, or set url in the [smtp] section of coldmail.toml")
    cfg = config.smtp
    return parse_smtp_url(url, username=cfg.username, password_env=cfg.password_env, require_tls=cfg.require_tls,
                          timeout=cfg.timeout_seconds)


def send_one(target: SmtpTarget, sender: str, rcpt: str, raw: bytes) -> SmtpResult:
    """Send one message on a connection of its own (answers to data subjects)."""
    import asyncio

    async def go() -> SmtpResult:
        conn = Connection(target)
        try:
            return await conn.send(sender, rcpt, raw)
        finally:
            await conn.close()

    return asyncio.run(go())
