"""`coldmail run` reads each mailbox's own IMAP inbox (`mailbox add … --imap URL`, the mailbox's
password) every poll_seconds, against a real dovecot, and applies what it finds before the next
message to that contact: an opt-out gets no follow-up, nor does a person who answered."""

from __future__ import annotations

import asyncio
import os
import shutil
from datetime import timedelta

import pytest

from coldmail.errors import BadInput
from coldmail.outreach import campaigns, mailboxes
from coldmail.outreach.runner import Runner
from coldmail.outreach.sending import Clock
from conftest import free_port
from smtp_server import SmtpServer
from test_replies import reply_to
from test_sending import MONDAY_10, open_all_hours, seed

if not shutil.which("dovecot"):
    if os.environ.get("CI"):
        pytest.fail("dovecot is not installed; .ci/run installs dovecot-imapd", pytrace=False)
    pytest.skip("dovecot not installed: apt-get install dovecot-imapd", allow_module_level=True)

from imap_server import Dovecot  # noqa: E402 - after the skip


@pytest.fixture
def servers():
    with SmtpServer(free_port()) as smtp, Dovecot(free_port()) as imap:
        yield smtp, imap


def test_run_reads_each_mailbox_s_inbox_and_applies_replies_before_the_next_step(ws, tmp_path, servers,
                                                                                  monkeypatch):
    smtp, imap = servers
    open_all_hours(ws)
    monkeypatch.setenv("COLDMAIL_PASSWORD_SAM", "secret")
    mailboxes.add(ws, name="sam", smtp=smtp.url, from_email="sam@acme-tools.example",
                  imap=f"imap://sam@127.0.0.1:{imap.port}/INBOX")
    emails = seed(ws, tmp_path, 4)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch", follow_ups=["follow_up_1:3"])
    clock = Clock(MONDAY_10)
    lines: list[str] = []
    r = Runner(ws, clock=clock, log=lines.append, poll_seconds=600)
    asyncio.run(r.one_pass())
    assert sorted(x.rcpt for x in smtp.recorder.received) == sorted(emails) and r.summary.replies == 0
    first = {x.rcpt: x.message for x in smtp.recorder.received}

    imap.append(reply_to(first[emails[0]], "Please take me off your list."))
    imap.append(reply_to(first[emails[1]], "Sounds good, call me on Tuesday."))
    # Within poll_seconds the inbox is not read again.
    clock.fixed = MONDAY_10 + timedelta(minutes=5)
    asyncio.run(r.one_pass())
    assert r.summary.replies == 0
    # Three days on: the poll comes first, so the follow-ups see the replies.
    clock.fixed = MONDAY_10 + timedelta(days=3, minutes=1)
    asyncio.run(r.one_pass())
    assert r.summary.replies == 2, lines
    follow_ups = [x.rcpt for x in smtp.recorder.received[4:]]
    assert sorted(follow_ups) == sorted(emails[2:]), lines
    # Each reply read once: the next poll finds nothing new; a new reply is read.
    clock.fixed += timedelta(minutes=11)
    asyncio.run(r.one_pass())
    assert r.summary.replies == 2
    imap.append(reply_to(first[emails[2]], "Please take me off your list, thank you."))
    clock.fixed += timedelta(minutes=11)
    asyncio.run(r.one_pass())
    assert r.summary.replies == 3
    assert not any("IMAP" in line and "replies:" in line for line in lines), lines


def test_an_inbox_that_cannot_be_read_is_logged_and_sending_goes_on(ws, tmp_path, servers, monkeypatch):
    smtp, imap = servers
    open_all_hours(ws)
    monkeypatch.setenv("COLDMAIL_PASSWORD_SAM", "wrong")
    mailboxes.add(ws, name="sam", smtp=smtp.url, from_email="sam@acme-tools.example",
                  imap=f"imap://sam@127.0.0.1:{imap.port}/INBOX")
    seed(ws, tmp_path, 2)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    lines: list[str] = []
    r = Runner(ws, clock=Clock(MONDAY_10), log=lines.append)
    asyncio.run(r.one_pass())
    assert r.summary.sent == 2
    assert [line for line in lines if line.startswith("replies: mailbox sam (IMAP): IMAP 127.0.0.1")], lines
    assert not any("wrong" in line for line in lines)


def test_mailbox_add_refuses_an_imap_url_it_cannot_read(ws):
    for bad in ("pop3://sam@mail.example", "imaps://mail.example/INBOX", "imaps://sam:pw@mail.example"):
        with pytest.raises(BadInput):
            mailboxes.add(ws, name="sam", smtp="smtp://127.0.0.1:2525", from_email="sam@acme-tools.example",
                          imap=bad)
    assert "sam" not in ws.config.mailboxes
