"""A three-day campaign in simulated time (issue 18): `coldmail run`'s loop on a clock the test moves,
500 contacts, three mailboxes on real aiosmtpd servers, each reading its own inbox on a real dovecot;
London business hours and the default caps (2 a minute, 40 an hour, 150 a day per mailbox, 20 s of
jitter, 3 new contacts per company a day); a first touch and two follow-ups a day apart. On day 2 one
mailbox's server is down until 14:00 (no attempt spent, nothing failed), and replies come in late in
the afternoon: an opt-out, an out-of-office and a hard bounce.

The expected figures follow from the caps and the window alone. 500 first touches and 2 x 500 follow-ups
are more than three mailboxes may send in three days (3 x 150 a day), so a mailbox sends its 150 a day
until its own contacts' steps run out (a follow-up stays with the mailbox that wrote first): 450 first
touches on Monday; on Tuesday the 50 left over go first, from bob and cat, and follow-ups fill the rest.
ann, back at 14:00, may send 40 an hour until the window closes at 17:00: 120. The 30 it owes then go on
Wednesday morning, as soon as the day's cap has room (a day is any 24 hours), and the follow-ups of its
Tuesday afternoon fall due on Wednesday afternoon; the last 30 on Thursday morning."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from zoneinfo import ZoneInfo

import holidays
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from coldmail.outreach import campaigns, mailboxes
from coldmail.outreach.runner import Runner
from coldmail.outreach.sending import Clock
from coldmail.prospects.importing import import_csv
from coldmail.store.config import Sending, save_config
from coldmail.store.db import session_scope
from coldmail.store.models import Message, as_utc
from coldmail.suppression import register as suppression
from conftest import free_port, write_csv
from smtp_server import SmtpServer
from test_replies import reply_to

if not shutil.which("dovecot"):
    if os.environ.get("CI"):
        pytest.fail("dovecot is not installed; .ci/run installs dovecot-imapd", pytrace=False)
    pytest.skip("dovecot not installed: apt-get install dovecot-imapd", allow_module_level=True)

from imap_server import Dovecot  # noqa: E402 - after the skip

LONDON = ZoneInfo("Europe/London")
BOXES = ("ann", "bob", "cat")
CONTACTS, STEPS, BIG = 500, 3, 5  # BIG contacts share one company domain (the new-per-domain cap)
POLL = 900  # replies read every 15 minutes (the default is 60 s: 4 days of IMAP polls would dominate)
# The default caps; only the contact cap is raised from 2 to 3 a week, or the campaign's third step
# could not go out in the same week at all.
RULES = Sending(per_contact_max=3, poll_seconds=POLL)


def _monday() -> date:
    """A Monday at least a week ahead of the real date (the out-of-office's return date must lie in
    the future for the reply reader, which reads dates against the real today), in a week without a
    public holiday in England (holidays are skipped, as by default)."""
    d = date.today() + timedelta(days=7)
    d += timedelta(days=(7 - d.weekday()) % 7)
    while any(d + timedelta(days=i) in holidays.country_holidays("GB", years=[d.year, d.year + 1])
              for i in range(5)):
        d += timedelta(days=7)
    return d


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), LONDON).astimezone(UTC)


def _seed(ws, tmp_path) -> list[str]:
    emails = [f"p{i}@big.example" if i < BIG else f"p{i}@d{i}.example" for i in range(CONTACTS)]
    rows = "".join(f"{e},P{i},Co{0 if i < BIG else i},Ops,GB\n" for i, e in enumerate(emails))
    f = write_csv(tmp_path / "c.csv", "email,first_name,company,role,country\n" + rows)
    import_csv(ws, path=f, list_name="l", source="company website", justification="runs operations")
    return emails


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
                                Message.claimed_at, Message.attempts, Message.message_id, Message.domain)
                         .where(Message.state == "sent").order_by(Message.sent_at, Message.id)).all()


def _repliers(ws) -> dict[str, tuple[str, str]]:
    """Who replies on day 2, one per mailbox: opting out, whoever of bob's and cat's is due next (it
    must stop at once); out of office, a contact of the other written to twice; bouncing, one of ann's
    written to twice (its last step would have gone on Wednesday afternoon)."""
    with session_scope(ws.engine, write=False) as s:
        due = s.execute(select(Message.to_email, Message.mailbox).where(
            Message.state == "queued", Message.position > 0, Message.mailbox.in_(("bob", "cat")))
            .order_by(Message.not_before, Message.id).limit(1)).one()
        twice = s.execute(select(Message.to_email, Message.mailbox).where(
            Message.state == "sent", Message.position == 1).order_by(Message.id)).all()
    other = "cat" if due.mailbox == "bob" else "bob"
    ooo = next(r for r in twice if r.mailbox == other)
    bounce = next(r for r in twice if r.mailbox == "ann")
    return {"opt_out": (due.to_email, due.mailbox), "auto_reply": (ooo.to_email, ooo.mailbox),
            "bounce": (bounce.to_email, bounce.mailbox)}


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


def _heads(raw: bytes):
    """The headers only (parsing 1,500 whole messages would cost more than sending them)."""
    return BytesHeaderParser().parsebytes(raw)


def _within(times: list[datetime], n: int, span: timedelta) -> bool:
    """Never more than n in any `span`: the (n+1)th after any one is at least `span` later."""
    return all(b - a >= span for a, b in zip(times, times[n:], strict=False))


def test_three_days_of_a_campaign_in_simulated_time(ws, tmp_path, monkeypatch):
    monday = _monday()
    tuesday, wednesday, thursday = (monday + timedelta(days=i) for i in (1, 2, 3))
    ws.config.sending = RULES
    save_config(ws.home, ws.config)
    cap = RULES.per_day
    smtp = Smtp()
    for s in smtp.servers.values():
        s.controller.start()
    with Dovecot(free_port()) as imap:
        try:
            for box in BOXES:
                monkeypatch.setenv(f"COLDMAIL_PASSWORD_{box.upper()}", imap.password)
                mailboxes.add(ws, name=box, smtp=smtp.servers[box].url, from_email=f"{box}@acme-tools.example",
                              imap=f"imap://{box}@127.0.0.1:{imap.port}/INBOX")
            emails = _seed(ws, tmp_path)
            campaigns.create(ws, name="c1", list_name="l", template="first_touch",
                             follow_ups=["follow_up_1:1", "follow_up_2:1"])
            replied: dict[str, tuple[str, str, datetime]] = {}  # kind -> (address, mailbox, arrived)
            steps_then: dict[str, list[int]] = {}  # the steps each replier had been sent when it replied

            def replies_arrive(now: datetime) -> None:
                who = _repliers(ws)
                first = {r.rcpt: r.message for r in smtp.received()
                         if r.rcpt in {a for a, _ in who.values()} and not r.message["In-Reply-To"]}
                (a, box_a), (b, box_b), (c, box_c) = who["opt_out"], who["auto_reply"], who["bounce"]
                imap.append(reply_to(first[a], "Please take me off your list."), user=box_a)
                imap.append(_out_of_office(first[b], thursday), user=box_b)
                imap.append(_bounce(box_c, c, first[c]["Message-ID"]), user=box_c)
                for kind, (addr, box) in who.items():
                    replied[kind] = (addr, box, now)
                    steps_then[addr] = sorted(r.position for r in _sent(ws) if r.to_email == addr)

            outage = (_at(tuesday, 8, 30), _at(tuesday, 14))
            events = [(outage[0], lambda now: smtp.down("ann")), (outage[1], lambda now: smtp.up("ann")),
                      (_at(tuesday, 16), replies_arrive)]
            clock = Clock(_at(monday, 8))
            lines: list[str] = []
            runner = Runner(ws, clock=clock, log=lines.append)
            polls: list[datetime] = []
            read = runner.read_replies

            def read_and_note() -> None:
                read()
                polls.append(clock.now())

            runner.read_replies = read_and_note
            end = _at(thursday, 17)  # the last window closes: what is still queued then waits for Friday
            passes = 0
            while clock.now() < end:
                while events and events[0][0] <= clock.now():
                    events.pop(0)[1](clock.now())
                nxt = asyncio.run(runner.one_pass())
                passes += 1
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
    heads = [_heads(r.raw) for r in received]
    assert len({h["Message-ID"] for h in heads}) == len(received)
    with session_scope(ws.engine, write=False) as s:
        left = Counter(s.execute(select(Message.state)).scalars())
    stops = {kind: STEPS - len(steps_then[replied[kind][0]]) for kind in ("opt_out", "bounce")}
    # Skipped: the opt-out's due step (the steps after it are never queued, nor the bounce's next one).
    assert left == {"sent": CONTACTS * STEPS - sum(stops.values()), "skipped": 1}, left

    local = [(as_utc(r.sent_at).astimezone(LONDON), r) for r in sent]
    days = (monday, tuesday, wednesday, thursday)
    per_box = Counter((t.date(), r.mailbox) for t, r in local)
    firsts = Counter((t.date(), r.mailbox) for t, r in local if r.position == 0)
    # First touches: each mailbox's whole day on Monday; on Tuesday the other 50, all from bob and
    # cat while ann is down (they are the oldest due, so they go first).
    assert {b: firsts[monday, b] for b in BOXES} == {b: cap for b in BOXES}, firsts
    assert firsts[tuesday, "ann"] == 0 and firsts[tuesday, "bob"] + firsts[tuesday, "cat"] == CONTACTS - 3 * cap
    # Per mailbox and day. A mailbox owes STEPS messages per contact it wrote first, less the steps
    # the opt-out and the bounce stopped. bob and cat: the cap every day until that runs out.
    owed = {b: STEPS * (firsts[monday, b] + firsts[tuesday, b]) for b in BOXES}
    stopped = Counter()
    for kind, n in stops.items():
        stopped[replied[kind][1]] += n
    expected = {}
    for b in ("bob", "cat"):
        rest = owed[b] - stopped[b] - 2 * cap  # after a full Monday and a full Tuesday
        expected.update({(monday, b): cap, (tuesday, b): cap, (wednesday, b): min(cap, rest),
                         (thursday, b): rest - min(cap, rest)})
    # ann: 150 first touches on Monday, their first follow-ups from 14:00 on Tuesday at 40 an hour
    # until 17:00; on Wednesday the rest of them, then the second follow-ups of Tuesday's (the bounce's
    # stopped); on Thursday the second follow-ups of Wednesday morning's.
    tuesday_ann = RULES.per_hour * 3
    expected.update({(monday, "ann"): cap, (tuesday, "ann"): tuesday_ann,
                     (wednesday, "ann"): (cap - tuesday_ann) + tuesday_ann - stopped["ann"],
                     (thursday, "ann"): cap - tuesday_ann})
    assert owed["ann"] - stopped["ann"] == sum(expected[d, "ann"] for d in days)
    assert {k: v for k, v in per_box.items() if v} == {k: v for k, v in expected.items() if v}, (per_box, expected)
    assert sum(per_box[d, b] for d in days for b in BOXES) == len(sent)
    # In the recipients' business hours (London, 9 to 17, Monday to Friday).
    assert all(time(9) <= t.time() < time(17) and t.date() in days for t, _ in local)
    # The default caps per mailbox: 2 a minute, 40 an hour, 150 a day, and at least half the
    # 20 s jitter between two messages.
    for box in BOXES:
        times = [as_utc(r.claimed_at) for r in sent if r.mailbox == box]
        assert _within(times, 1, timedelta(seconds=RULES.jitter_seconds / 2)), box
        assert _within(times, RULES.per_minute, timedelta(minutes=1)), box
        assert _within(times, RULES.per_hour, timedelta(hours=1)), box
        assert _within(times, cap, timedelta(days=1)), box
        assert max(per_box[d, box] for d in days) == cap  # and reached
    # At most 3 new contacts per company domain a day: the five at big.example over two days.
    firsts_by_domain = defaultdict(list)
    for r in sent:
        if r.position == 0:
            firsts_by_domain[r.domain].append(as_utc(r.claimed_at))
    assert all(_within(sorted(t), RULES.new_per_domain_per_day, timedelta(days=1)) for t in firsts_by_domain.values())
    assert Counter(t.astimezone(LONDON).date() for t in firsts_by_domain["big.example"]) == {monday: 3, tuesday: 2}
    # Every contact: its steps in order, a day apart, from the mailbox that wrote first, in its thread;
    # all three, except the opt-out and the bounce, which got what they had when they replied.
    by_contact: dict[str, list] = defaultdict(list)
    for r in sent:
        by_contact[r.to_email].append(r)
    assert set(by_contact) == set(emails)
    for addr, rows in by_contact.items():
        want = steps_then[addr] if addr in (replied["opt_out"][0], replied["bounce"][0]) else list(range(STEPS))
        assert [r.position for r in rows] == want, addr
        assert len({r.mailbox for r in rows}) == 1
        assert all(as_utc(b.sent_at) - as_utc(a.sent_at) >= timedelta(days=1) for a, b in zip(rows, rows[1:], strict=False))
    got = {h["Message-ID"]: h for h in heads}
    for rows in by_contact.values():
        for a, b in zip(rows, rows[1:], strict=False):
            assert got[b.message_id]["In-Reply-To"] == a.message_id
    # The outage: nothing through ann while it was down; no attempt spent, nothing failed.
    assert not [r for r in sent if r.mailbox == "ann" and outage[0] <= as_utc(r.sent_at) < outage[1]]
    assert {r.attempts for r in sent} == {1}
    assert any("mailbox ann" in line and "unreachable" in line for line in lines), lines[-30:]
    # The replies: read at the first poll after they arrived (at most poll_seconds later), and
    # applied before the next message to that contact.
    assert runner.summary.replies == 3, lines
    arrived = replied["opt_out"][2]
    read_at = min(p for p in polls if p >= arrived)
    assert read_at - arrived <= timedelta(seconds=POLL)
    for kind in ("opt_out", "bounce"):
        addr = replied[kind][0]
        assert all(as_utc(r.sent_at) < arrived for r in by_contact[addr]), kind
    assert steps_then[replied["opt_out"][0]] == [0]  # its second step was due: the opt-out stopped it
    kinds = {kind: addr for kind, (addr, _, _) in replied.items()}
    assert suppression.check(ws, kinds["opt_out"]).reason == "opt-out"
    assert suppression.check(ws, kinds["bounce"]) is not None
    # The out-of-office: its last step waited for the return date, then went out that morning.
    away = by_contact[kinds["auto_reply"]]
    assert steps_then[kinds["auto_reply"]] == [0, 1]
    assert as_utc(away[-1].sent_at).astimezone(LONDON).date() == thursday
    print(f"\n{passes} passes, {len(polls)} polls; per mailbox and day: "
          + ", ".join(f"{d:%a} {'/'.join(str(per_box[d, b]) for b in BOXES)}" for d in days))
