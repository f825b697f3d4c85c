"""The SMTP transport that campaigns and answers to data subjects share: one reusable connection
that knows at which step of a transaction a failure happened, and what an answer means for the
message (sent, retry, rejected, unknown) or for the run (`SendAborted`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import aiosmtplib

from coldmail.errors import BadInput, SmtpProblem
from coldmail.store.config import Config


class SendAborted(SmtpProblem):
    """The run stopped for a reason the rep must fix (authentication, campaign paused...)."""


@dataclass
class SmtpResult:
    outcome: str  # sent, retry, reject_recipient, reject_message, unknown, reconnect
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
                raise SendAborted(f"SMTP authentication failed for {t.username!r} at {t.host}: {exc.code} {exc.message}") from None
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
        try:
            await smtp.mail(sender)
            await smtp.rcpt(rcpt)
        except aiosmtplib.SMTPResponseException as exc:
            await self._reset()
            return _classify(exc.code, exc.message, at_rcpt=True)
        except (aiosmtplib.SMTPException, OSError) as exc:
            self.smtp = None  # nothing was accepted yet: safe to try again
            return SmtpResult("reconnect", 0, str(exc))
        try:
            response = await smtp.data(raw)
        except aiosmtplib.SMTPResponseException as exc:
            await self._reset()
            return _classify(exc.code, exc.message, at_rcpt=False)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            self.smtp = None
            return SmtpResult("unknown", 0, f"connection lost during DATA: {exc}")
        return SmtpResult("sent", response.code, response.message)

    async def _reset(self) -> None:
        try:
            await self.smtp.rset()
        except Exception:  # noqa: BLE001 - the next send reconnects
            self.smtp = None


def _classify(code: int, message: str, *, at_rcpt: bool) -> SmtpResult:
    if code == 421:
        return SmtpResult("reconnect", code, message)
    if 400 <= code < 500:
        return SmtpResult("retry", code, message)
    if code in (530, 535, 534):
        raise SendAborted(f"SMTP server refused authentication: {code} {message}")
    return SmtpResult("reject_recipient" if at_rcpt else "reject_message", code, message)


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
