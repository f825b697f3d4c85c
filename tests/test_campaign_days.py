"""A three-day campaign in simulated time (issue 18): `coldmail run`'s loop on a clock the test moves,
three mailboxes on real aiosmtpd servers, each reading its own inbox on a real dovecot; London
business hours and the default caps but 12 a day per mailbox; three steps a day apart. On day 2
one mailbox's server is down for the morning (no attempt spent, nothing failed), and replies come
in after lunch: an opt-out, an out-of-office and a hard bounce. Exact sends per day."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from coldmail.outreach import campaigns, mailboxes
from coldmail.outreach.runner import Runner
from coldmail.outreach.sending import Clock
from coldmail.store.config import Sending, save_config
from coldmail.store.db import session_scope
from coldmail.store.models import Message, as_utc
from coldmail.suppression import register as suppression
from conftest import free_port
from smtp_server import SmtpServer
from test_replies import reply_to
from test_sending import seed

if not shutil.which("dovecot"):
    if os.environ.get("CI"):
        pytest.fail("dovecot is not installed; .ci/run installs dovecot-imapd", pytrace=False)
    pytest.skip("dovecot not installed: apt-get install dovecot-imapd", allow_module_level=True)

from imap_server import Dovecot  # noqa: E402 - after the skip

LONDON = ZoneInfo("Europe/London")
BOXES = ("ann", "bob", "cat")
PER_DAY, CONTACTS, POLL = 12, 37, 900  # one contact more than the mailboxes may write a day


def _monday() -> date:
    """A Monday at least a week ahead of the real date: the out-of-office's return date must lie in
    the future for the reply reader, which reads dates against the real today."""
    d = date.today() + timedelta(days=7)
    return d + timedelta(days=(7 - d.weekday()) % 7)


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), LONDON).astimezone(UTC)


def _bounce(to_box: str, rcpt: str, msgid: str) -> bytes:
    return (f"From: MAILER-DAEMON@mx.example\nTo: {to_box}@acme-tools.example\nSubject: Undelivered Mail\n"
            f"Message-ID: <dsn-{rcpt}>\nMIME-Version: 1.0\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
            "--b\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
            "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
            f"Final-Recipient: rfc822; {rcpt}\nAction: failed\nStatus: 5.1.1\n\n"
            f"--b\nContent-Type: text/rfc822-headers\n\nMessage-ID: {msgid}\n--b--\n").encode()


def _out_of_office(original, until: date) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = str(original["To"]), str(original["From"])
    msg["Subject"], msg["Auto-Submitted"] = "Automatic reply: " + str(original["Subject"]), "auto-replied"
    msg["Message-ID"], msg["In-Reply-To"] = f"<ooo-{abs(hash(str(original['To'])))}@client.example>", original["Message-ID"]
    msg.set_content(f"I'm out of the office until {until:%Y-%m-%d}. I will reply when I return.")
    return bytes(msg)


def _sent(ws) -> list:
    with session_scope(ws.engine, write=False) as s:
        return s.execute(select(Message.to_email, Message.position, Message.mailbox, Message.sent_at,
                                Message.attempts, Message.message_id)
                         .where(Message.state == "sent").order_by(Message.sent_at)).all()


def _repliers(ws) -> list[tuple[str, str]]:
    """Who replies on day 2: first whoever's follow-up is due next (an opt-out must stop it at once),
    then contacts already written to twice, each of another mailbox where one is left."""
    with session_scope(ws.engine, write=False) as s:
        due = s.execute(select(Message.to_email, Message.mailbox).where(
            Message.state == "queued", Message.position > 0).order_by(Message.not_before, Message.id)
            .limit(1)).all()
        twice = s.execute(select(Message.to_email, Message.mailbox).where(
            Message.state == "sent", Message.position == 1).order_by(Message.id)).all()
    out = list(due)
    for row in sorted(twice, key=lambda r: r.mailbox in {m for _, m in out}):
        if len(out) < 3 and row.to_email not in {a for a, _ in out}:
            out.append(row)
    return [(a, m) for a, m in out]


class Smtp:
    """One aiosmtpd per mailbox; one can go down and come back on its port, keeping what it got."""

    def __init__(self):
        self.servers = {b: SmtpServer(free_port()) for b in BOXES}

    def down(self, box: str) -> None:
        self.servers[box].controller.stop()

    def up(self, box: str) -> None:
        old = self.servers[box]
        old.controller = Controller(old.recorder, hostname="127.0.0.1", port=old.port)
        old.controller.start()

    def received(self) -> list:
        return [r for s in self.servers.values() for r in s.recorder.received]


def test_three_days_of_a_campaign_in_simulated_time(ws, tmp_path, monkeypatch):
    monday = _monday()
    tuesday, wednesday, thursday = (monday + timedelta(days=i) for i in (1, 2, 3))
    ws.config.sending = Sending(per_contact_max=3, skip_holidays=False, poll_seconds=POLL)
    save_config(ws.home, ws.config)
    smtp = Smtp()
    for s in smtp.servers.values():
        s.controller.start()
    with Dovecot(free_port()) as imap:
        try:
            for box in BOXES:
                monkeypatch.setenv(f"COLDMAIL_PASSWORD_{box.upper()}", imap.password)
                mailboxes.add(ws, name=box, smtp=smtp.servers[box].url, from_email=f"{box}@acme-tools.example",
                              imap=f"imap://{box}@127.0.0.1:{imap.port}/INBOX", per_day=PER_DAY)
            emails = seed(ws, tmp_path, CONTACTS)  # GB: London hours
            campaigns.create(ws, name="c1", list_name="l", template="first_touch",
                             follow_ups=["follow_up_1:1", "follow_up_2:1"])
            replied: dict[str, tuple[str, datetime]] = {}

            def replies_arrive(now: datetime) -> None:
                first = {r.rcpt: r.message for r in smtp.received() if not r.message["In-Reply-To"]}
                (a, box_a), (b, box_b), (c, box_c) = _repliers(ws)
                imap.append(reply_to(first[a], "Please take me off your list."), user=box_a)
                imap.append(_out_of_office(first[b], thursday), user=box_b)
                imap.append(_bounce(box_c, c, first[c]["Message-ID"]), user=box_c)
                replied.update({a: ("opt_out", now), b: ("auto_reply", now), c: ("bounce", now)})

            outage = (_at(tuesday, 8, 30), _at(tuesday, 11))
            events = [(outage[0], lambda now: smtp.down("ann")), (outage[1], lambda now: smtp.up("ann")),
                      (_at(tuesday, 13), replies_arrive)]
            clock = Clock(_at(monday, 8))
            lines: list[str] = []
            runner = Runner(ws, clock=clock, log=lines.append)
            end = _at(thursday, 8)
            while clock.now() < end:
                while events and events[0][0] <= clock.now():
                    events.pop(0)[1](clock.now())
                nxt = asyncio.run(runner.one_pass())
                # As `run` sleeps: until the next due time, at most poll_seconds (replies are read on time).
                target = min(t for t in (nxt, clock.now() + timedelta(seconds=POLL),
                                         events[0][0] if events else None, end) if t is not None)
                clock.fixed = max(target, clock.now() + timedelta(seconds=1))
        finally:
            for s in smtp.servers.values():
                s.controller.stop() if s.controller.loop.is_running() else None

    sent = _sent(ws)
    received = smtp.received()
    # Nothing twice, and what the servers got is what the database says went out.
    assert Counter(r.rcpt for r in received) == Counter(r.to_email for r in sent)
    assert len({(r.to_email, r.position) for r in sent}) == len(sent)
    # Exact sends per day: every mailbox full every day (12 a day each), in London business hours.
    local = [(as_utc(r.sent_at).astimezone(LONDON), r) for r in sent]
    per_day = Counter(t.date() for t, _ in local)
    # Day 3: each mailbox writes to every contact of its own not stopped by a reply, up to its cap.
    box_of = {r.to_email: r.mailbox for r in sent if r.position == 0}
    stopped = Counter(box_of[a] for a in replied)
    wednesday_due = {b: min(PER_DAY, Counter(box_of.values())[b] - stopped[b]) for b in BOXES}
    assert per_day == {monday: 36, tuesday: 36, wednesday: sum(wednesday_due.values())}, (per_day, lines[-20:])
    per_box = Counter((t.date(), r.mailbox) for t, r in local)
    assert {k: v for k, v in per_box.items() if k[0] != wednesday} == {(d, b): PER_DAY for d in (monday, tuesday)
                                                                         for b in BOXES}
    assert {b: per_box[wednesday, b] for b in BOXES} == wednesday_due
    assert all(time(9) <= t.time() < time(17) for t, _ in local)
    # The mailbox caps a minute and the spacing held: never 3 in a minute, never 2 within 10 s, per mailbox.
    for box in BOXES:
        times = [as_utc(r.sent_at) for r in sent if r.mailbox == box]
        assert all(b - a >= timedelta(seconds=10) for a, b in zip(times, times[1:], strict=False)), box
        assert all(c - a >= timedelta(minutes=1) for a, c in zip(times, times[2:], strict=False)), box
    # Steps in order, a day apart, each contact's follow-ups from the mailbox that wrote first.
    by_contact: dict[str, list] = {}
    for r in sent:
        by_contact.setdefault(r.to_email, []).append(r)
    assert set(by_contact) == set(emails)  # everyone got the first touch
    for rows in by_contact.values():
        assert [r.position for r in rows] == list(range(len(rows)))
        assert len({r.mailbox for r in rows}) == 1
        assert all(as_utc(b.sent_at) - as_utc(a.sent_at) >= timedelta(days=1) for a, b in zip(rows, rows[1:], strict=False))
    # The outage: nothing through ann while it was down; no attempt spent, nothing failed.
    assert not [r for r in sent if r.mailbox == "ann" and outage[0] <= as_utc(r.sent_at) < outage[1]]
    assert {r.attempts for r in sent} == {1}
    assert any("mailbox ann" in line and "unreachable" in line for line in lines), lines[-30:]
    with session_scope(ws.engine, write=False) as s:
        left = Counter(s.execute(select(Message.state)).scalars())
    assert set(left) <= {"sent", "queued", "skipped"}, left
    # The replies: read at the next poll, and applied before the next message to that contact.
    assert len(replied) == 3 and runner.summary.replies == 3, lines
    for addr, (kind, at) in replied.items():
        after = [r for r in by_contact[addr] if as_utc(r.sent_at) > at + timedelta(seconds=POLL)]
        assert after == [], (addr, kind)
    kinds = {kind: addr for addr, (kind, _) in replied.items()}
    assert suppression.check(ws, kinds["opt_out"]).reason == "opt-out"
    assert suppression.check(ws, kinds["bounce"]) is not None
    with session_scope(ws.engine, write=False) as s:
        ooo = s.execute(select(Message.not_before, Message.reason).where(
            Message.to_email == kinds["auto_reply"], Message.state == "queued")).one()
    assert as_utc(ooo.not_before) >= _at(thursday, 8) and "out of office" in ooo.reason
