"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what it receives and can misbehave."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    rcpt: str
    raw: bytes
    at: float

    @property
    def message(self):
        return message_from_bytes(self.raw, policy=policy.default)


@dataclass
class Faults:
    """Per-recipient answers: {"bad@x": "550 5.1.1 no such user"}; `drop_data` closes the
    connection after receiving DATA for these recipients (the message may or may not count)."""

    rcpt: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)
    mail: str = ""  # an answer to every MAIL FROM (e.g. "553 5.7.1 sender not allowed")
    drop_data: set[str] = field(default_factory=set)
    temp_fail_once: set[str] = field(default_factory=set)


class Recorder:
    def __init__(self, faults: Faults | None = None, delay: float = 0.0):
        self.received: list[Received] = []
        self.faults = faults or Faults()
        self.lock = threading.Lock()
        self.delay = delay

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.faults.mail:
            return self.faults.mail
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        addr = address.lower()
        if addr in self.faults.temp_fail_once:
            self.faults.temp_fail_once.discard(addr)
            return "451 4.3.0 try again later"
        if addr in self.faults.rcpt:
            return self.faults.rcpt[addr]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        rcpt = envelope.rcpt_tos[0].lower()
        if rcpt in self.faults.data:
            return self.faults.data[rcpt]
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(Received(rcpt, envelope.content, time.time()))
        if rcpt in self.faults.drop_data:
            server.transport.close()
            return "250 OK"
        return "250 OK"

    def to(self, addr: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.rcpt == addr.lower()]


class SmtpServer:
    def __init__(self, port: int, faults: Faults | None = None, auth: tuple[str, str] | None = None,
                 delay: float = 0.0):
        self.recorder = Recorder(faults, delay)
        kwargs = {}
        if auth:
            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == auth
                return AuthResult(success=ok, handled=False)

            kwargs = dict(authenticator=authenticator, auth_require_tls=False)
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=port, **kwargs)
        self.port = port

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
