"""`coldmail run` as a service that restarts: a claim its predecessor left in flight under the same id
(a container restarted is pid 1 again, under the same host name) is flagged, not stranded; a
database error in one pass is retried, and a database that stays away ends the run (exit 3)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from coldmail.outreach import campaigns, runner
from coldmail.outreach.runner import Runner
from coldmail.outreach.sending import worker_id
from coldmail.store.db import session_scope
from coldmail.store.models import Message, utcnow
from conftest import free_port
from smtp_server import SmtpServer
from test_sending import open_all_hours, seed, states


def _queue(ws, tmp_path, n: int) -> list[str]:
    open_all_hours(ws)
    emails = seed(ws, tmp_path, n)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    with session_scope(ws.engine) as s:
        campaigns.plan(s, campaigns.load(s, "c1"), utcnow())
    return emails


def test_a_restarted_sender_flags_the_claims_its_predecessor_left_under_its_own_id(ws, tmp_path):
    emails = _queue(ws, tmp_path, 3)
    with session_scope(ws.engine) as s:
        s.execute(update(Message).where(Message.to_email == emails[0]).values(
            state="sending", claimed_by=worker_id(), claimed_at=utcnow(), attempts=1))
    lines: list[str] = []
    with SmtpServer(free_port()) as server:
        r = Runner(ws, smtp_url=server.url, log=lines.append, poll_seconds=0.2, fresh=True)
        summary = asyncio.run(r.run(for_seconds=1.5))
        got = sorted(x.rcpt for x in server.recorder.received)
    assert got == sorted(emails[1:]) and summary.sent == 2
    with session_scope(ws.engine, write=False) as s:
        state = s.execute(select(Message.state).where(Message.to_email == emails[0])).scalar_one()
    assert state == "unknown", lines  # for a person to check: never resent, never left `sending`
    assert any("previous sender left in flight" in line for line in lines)


def test_a_database_error_in_one_pass_is_retried(ws, tmp_path, monkeypatch):
    _queue(ws, tmp_path, 4)
    real = Runner.one_pass
    calls = {"n": 0}

    async def flaky(self):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        return await real(self)

    monkeypatch.setattr(Runner, "one_pass", flaky)
    monkeypatch.setattr(runner, "DB_RETRIES", 3)
    lines: list[str] = []
    with SmtpServer(free_port()) as server:
        r = Runner(ws, smtp_url=server.url, log=lines.append, poll_seconds=0.2)
        summary = asyncio.run(r.run(for_seconds=3))
    assert summary.sent == 4 and len(server.recorder.received) == 4
    assert sum("database error, retrying" in line for line in lines) == 2
    assert states(ws) == {"sent": 4}


def test_a_database_that_stays_away_ends_the_run(ws, tmp_path, monkeypatch):
    _queue(ws, tmp_path, 1)

    async def down(self):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(Runner, "one_pass", down)
    monkeypatch.setattr(runner, "DB_RETRIES", 2)
    r = Runner(ws, smtp_url="smtp://127.0.0.1:9", log=lambda line: None, poll_seconds=0.1)
    with pytest.raises(OperationalError):
        asyncio.run(r.run(for_seconds=30))


def test_idle_passes_write_no_audit_entry(ws, tmp_path):
    """`run` passes every few seconds: a pass that sent, failed, skipped or blocked nothing leaves the
    sealed log alone (a day of waiting would otherwise be thousands of entries, each taking its lock)."""
    from datetime import timedelta

    from sqlalchemy import func

    from coldmail.outreach.sending import Clock
    from coldmail.store.models import AuditEntry

    _queue(ws, tmp_path, 2)
    start = utcnow() + timedelta(seconds=1)

    def sends() -> int:
        with session_scope(ws.engine, write=False) as s:
            return s.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "send")).scalar_one()

    clock = Clock(start)
    with SmtpServer(free_port()) as server:
        r = Runner(ws, smtp_url=server.url, clock=clock, log=lambda line: None)
        asyncio.run(r.one_pass())
        assert r.summary.sent == 2 and sends() == 1
        for i in range(5):
            clock.fixed = start + timedelta(minutes=i + 1)
            asyncio.run(r.one_pass())
    assert sends() == 1
