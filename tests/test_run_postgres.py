"""Several `coldmail run` processes on one PostgreSQL database and one SMTP server (issue 18): every
message goes out exactly once, each mailbox's cap holds across the processes, a contact suppressed
mid-run gets nothing afterwards, replies read by every process at once are applied once, and a
contact's and a company's caps hold across two campaigns sending from different mailboxes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import func, select

from coldmail.outreach import campaigns, mailboxes
from coldmail.store.config import Sending, save_config
from coldmail.store.db import session_scope
from coldmail.store.models import Message, Reply, Suppression, as_utc, utcnow
from coldmail.store.workspace import open_workspace
from coldmail.suppression import register as suppression
from conftest import free_port, make_ws
from smtp_server import SmtpServer
from test_sending import open_all_hours, seed

pytestmark = pytest.mark.postgres

CAPPED = {"ann": 12, "bob": 12}  # per hour; "cat" takes the rest


def _env(home, url) -> dict:
    return {**os.environ, "COLDMAIL_HOME": str(home), "COLDMAIL_USER": "tester", "COLDMAIL_DATABASE_URL": url}


def _left(ws) -> int:
    """Messages not yet settled (queued or in flight)."""
    with session_scope(ws.engine, write=False) as s:
        return s.execute(select(func.count()).select_from(Message)
                         .where(Message.state.in_(("queued", "sending")))).scalar_one()


def _states(ws) -> Counter:
    with session_scope(ws.engine, write=False) as s:
        return Counter(dict(s.execute(select(Message.state, func.count()).group_by(Message.state)).all()))


def _opt_out(frm: str, n: int) -> str:
    return (f"From: {frm}\nTo: cat@acme-tools.example\nSubject: unsubscribe\nMessage-ID: <stop-{n}@mail.example>\n"
            "Date: Mon, 23 Nov 2026 09:00:00 +0000\n\n")


def test_three_runs_on_one_postgresql_share_the_work_safely(postgres, tmp_path):
    url = postgres.new_database()
    home = tmp_path / "team"
    ws = make_ws(home, url)
    open_all_hours(ws)
    with SmtpServer(free_port(), delay=0.01) as server:
        for name in ("ann", "bob", "cat"):
            mailboxes.add(ws, name=name, smtp=server.url, from_email=f"{name}@acme-tools.example",
                          per_hour=CAPPED.get(name, 0))
        emails = seed(ws, tmp_path, 150, domains=50)
        # Two campaigns on one list: each contact is due two messages, so one suppressed after its
        # first still has one to lose.
        for name in ("c1", "c2"):
            campaigns.create(ws, name=name, list_name="l", template="first_touch")
            with session_scope(ws.engine) as s:  # queued now, so "nothing left" means done
                campaigns.plan(s, campaigns.load(s, name), utcnow())
        # Every process reads the same folder of replies at the same moments.
        inbox = tmp_path / "replies"
        inbox.mkdir()
        repliers = emails[-3:]
        for i, addr in enumerate(repliers):
            (inbox / f"{i}.eml").write_text(_opt_out(addr, i))
        for i in range(60):  # mail from strangers: read, recorded (for review), and widening the race
            (inbox / f"x{i}.eml").write_text(f"From: s{i}@elsewhere.example\nTo: cat@acme-tools.example\n"
                                            f"Subject: hello\nMessage-ID: <x-{i}@elsewhere.example>\n\nHi there.\n")
        cmd = [sys.executable, "-m", "coldmail", "run", "--replies", str(inbox), "--json"]
        procs = [subprocess.Popen(cmd, env=_env(home, url), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(3)]
        try:
            deadline = time.monotonic() + 90
            while len(server.recorder.received) < 60 and time.monotonic() < deadline:
                time.sleep(0.02)
            # Contacts written to once so far, the other message still to come: suppressed now,
            # from another connection (as `coldmail suppression add` would be).
            once = Counter(r.rcpt for r in server.recorder.received)
            victims = [a for a, n in once.items() if n == 1 and a not in repliers][:10]
            other = open_workspace(home, url)
            committed: dict[str, float] = {}
            for addr in victims:
                suppression.add(other, target=addr, reason="opt-out", evidence="asked by phone")
                committed[addr] = time.time()
            other.close()
            while _left(ws) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _left(ws) == 0, ("the runs did not finish the queue in time", _states(ws))
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            outs = [p.communicate(timeout=60) for p in procs]
        received = list(server.recorder.received)
    assert len(victims) == 10, ([o[1][-1500:] for o in outs], _states(ws), len(received))
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0 and "Traceback" not in err, err[-3000:]
    summaries = [json.loads(out) for out, _ in outs]
    assert sum(1 for s in summaries if s["sent"]) >= 2, summaries  # the work really was shared

    with session_scope(ws.engine, write=False) as s:
        rows = s.execute(select(Message.to_email, Message.state, Message.mailbox, Message.claimed_at,
                                Message.campaign_id)).all()
        since = {r.value: as_utc(r.created_at) for r in s.execute(select(Suppression)).scalars()}
        replies = s.execute(select(func.count()).select_from(Reply)).scalar_one()
    states = Counter(r.state for r in rows)
    assert set(states) <= {"sent", "skipped"} and len(rows) == 300, states
    sent = [r for r in rows if r.state == "sent"]
    # Exactly once: what the server got is what the database says went out, no address twice per campaign.
    per_rcpt = Counter(r.rcpt for r in received)
    assert len(received) == len(sent) == sum(s["sent"] for s in summaries)
    assert per_rcpt == Counter(r.to_email for r in sent)
    assert max(per_rcpt.values()) <= 2
    assert len({(r.to_email, r.campaign_id) for r in sent}) == len(sent)
    # Caps per mailbox hold across the three processes (and were reached: the test means something).
    by_box = Counter(r.mailbox for r in sent)
    assert {b: by_box[b] for b in CAPPED} == CAPPED, by_box
    # Everyone not suppressed got both messages; the repliers' opt-outs were applied once each.
    assert replies == 63
    assert set(repliers) <= set(since)
    for addr in set(emails) - set(victims) - set(repliers):
        assert per_rcpt[addr] == 2, addr
    # Suppressed mid-run: nothing claimed after the suppression committed, nothing delivered a
    # moment later (a message already past its last check may finish), and the rest skipped.
    for addr in victims:
        claims = [as_utc(r.claimed_at) for r in sent if r.to_email == addr]
        assert all(c < datetime.fromtimestamp(committed[addr], tz=since[addr].tzinfo) for c in claims), addr
        assert all(r.at < committed[addr] + 1.0 for r in received if r.rcpt == addr), addr
    assert sum(1 for a in victims if per_rcpt[a] == 1) >= 8
    ws.close()


def test_senders_finding_a_server_down_at_once_neither_fails(postgres, tmp_path):
    """Each sender that finds the server down marks the mailbox down; three at the same moment on a
    mailbox with no state yet must not fail on each other's insert, nor stack their back-offs."""
    import threading
    from datetime import timedelta

    url = postgres.new_database()
    home = tmp_path / "down"
    make_ws(home, url).close()
    now = utcnow()
    for round_ in range(5):
        name = f"box{round_}"
        handles = [open_workspace(home, url) for _ in range(3)]
        gate = threading.Barrier(3)
        results: list = []

        def mark(ws, name=name, gate=gate, results=results):
            gate.wait()
            try:
                results.append(mailboxes.mark_down(ws, name, "connection refused", now))
            except Exception as exc:  # noqa: BLE001 - what the test looks for
                results.append(exc)

        threads = [threading.Thread(target=mark, args=(h,)) for h in handles]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for h in handles:
            h.close()
        assert all(not isinstance(r, Exception) for r in results), results
        assert set(results) == {now + timedelta(seconds=30)}, results  # one outage, the first back-off


SLOW_CLAIM = """
CREATE FUNCTION slow_claim() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state = 'sending' AND OLD.state = 'queued' THEN PERFORM pg_sleep(0.1); END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER slow_claim BEFORE UPDATE ON messages FOR EACH ROW EXECUTE FUNCTION slow_claim();
"""


def test_contact_and_company_caps_hold_across_campaigns_and_runs(postgres, tmp_path):
    """One contact in two active campaigns that send from different mailboxes, and two `run`
    processes: the mailbox locks do not meet, yet the contact's cap (one message a week) and the
    company's (two new contacts a day) are counts over both campaigns, and must hold as one. The
    database is made slow to claim (100 ms between the counts and the commit, as over a slow network),
    which widens the moment in which two claims could both count room for one more: without the lock
    over both caps, four runs out of four sent a contact two messages or a company three."""
    url = postgres.new_database()
    home = tmp_path / "two"
    ws = make_ws(home, url)
    ws.config.sending = Sending(per_minute=0, per_hour=0, per_day=0, jitter_seconds=0.2, per_contact_max=1,
                                new_per_domain_per_day=2, window_days=list(range(7)), window_start="00:00",
                                window_end="23:59", skip_holidays=False, country_rules=False, poll_seconds=3600)
    save_config(ws.home, ws.config)
    n, domains = 90, 30
    with SmtpServer(free_port(), delay=0.01) as server:
        for name in ("ann", "bob"):
            mailboxes.add(ws, name=name, smtp=server.url, from_email=f"{name}@acme-tools.example")
        seed(ws, tmp_path, n, domains=domains)
        for name, box in (("c1", "ann"), ("c2", "bob")):
            campaigns.create(ws, name=name, list_name="l", template="first_touch", mailboxes=[box])
            with session_scope(ws.engine) as s:
                campaigns.plan(s, campaigns.load(s, name), utcnow())
        with ws.engine.begin() as conn:
            conn.exec_driver_sql(SLOW_CLAIM)
        cmd = [sys.executable, "-m", "coldmail", "run", "--json"]
        procs = [subprocess.Popen(cmd, env=_env(home, url), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
        try:
            deadline = time.monotonic() + 120
            while _due(ws) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert _due(ws) == 0, ("the runs did not settle the queue in time", _states(ws))
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            outs = [p.communicate(timeout=60) for p in procs]
        received = list(server.recorder.received)
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0 and "Traceback" not in err, err[-3000:]
    with session_scope(ws.engine, write=False) as s:
        rows = s.execute(select(Message.to_email, Message.domain, Message.campaign_id, Message.state)
                         .where(Message.state.in_(("sent", "sending", "unknown")))).all()
    per_contact = Counter(r.to_email for r in rows)
    per_domain = Counter(r.domain for r in rows)
    assert Counter(r.rcpt for r in received) == per_contact
    # Each contact once at most (in either campaign), each company twice: 2 x 30 in all.
    assert max(per_contact.values()) == 1, [a for a, k in per_contact.items() if k > 1]
    assert set(per_domain.values()) == {2}, per_domain
    assert len(rows) == 2 * domains
    assert {r.state for r in rows} == {"sent"}
    # Both campaigns (both mailboxes) wrote, and both processes: the caps were met across them.
    assert len({r.campaign_id for r in rows}) == 2
    assert sum(1 for out, _ in outs if json.loads(out)["sent"]) == 2, [o for o, _ in outs]
    ws.close()


def _due(ws) -> int:
    """Messages due now and not yet settled, or in flight."""
    now = utcnow()
    with session_scope(ws.engine, write=False) as s:
        return s.execute(select(func.count()).select_from(Message).where(
            ((Message.state == "queued") & (Message.not_before <= now)) | (Message.state == "sending"))).scalar_one()
