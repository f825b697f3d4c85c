"""Only the recipient's faults suppress the recipient. A refusal of our sender, our relaying or our
reputation pauses the campaign and suppresses no one; a recipient rejection still suppresses. Each
case against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coldmail.mail.smtp import SendAborted, classify_answer
from coldmail.outreach import campaigns
from coldmail.store.db import session_scope
from coldmail.store.models import Contact, Suppression
from conftest import free_port
from smtp_server import Faults, SmtpServer
from test_sending import MONDAY_10, open_all_hours, run, seed, states


def _suppressions(ws) -> int:
    with session_scope(ws.engine, write=False) as s:
        return s.execute(select(func.count()).select_from(Suppression)).scalar_one()


def _bounced(ws) -> int:
    with session_scope(ws.engine, write=False) as s:
        return s.execute(select(func.count()).select_from(Contact).where(Contact.status == "bounced")).scalar_one()


@pytest.mark.parametrize("faults", [
    Faults(mail="553 5.7.1 sender not allowed"),
    Faults(mail="550 5.7.26 Unauthenticated email from acme-tools.example is not accepted due to domain's DMARC policy"),
], ids=["553-at-mail-from", "dmarc-at-mail-from"])
def test_a_refused_sender_pauses_the_campaign_and_suppresses_no_one(ws, tmp_path, faults):
    open_all_hours(ws)
    seed(ws, tmp_path, 12)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    with SmtpServer(free_port(), faults) as server:
        for _ in range(3):  # resumed runs must not add suppressions either
            summary = run(ws, name="c1", smtp_url=server.url, now=MONDAY_10)
            assert summary.stopped and "refused the sender" in summary.stopped
            campaigns.set_status(ws, "c1", "active")
        assert server.recorder.received == []
    assert _suppressions(ws) == 0 and _bounced(ws) == 0
    assert states(ws) == {"queued": 12}


def _one_bad_recipient(ws, tmp_path, answer: str):
    open_all_hours(ws)
    emails = seed(ws, tmp_path, 5)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    with SmtpServer(free_port(), Faults(rcpt={emails[2]: answer})) as server:
        summary = run(ws, name="c1", smtp_url=server.url, now=MONDAY_10)
    return emails, summary


@pytest.mark.parametrize("answer", [
    "550 5.7.1 <{}>: Relay access denied",
    "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
])
def test_a_sender_side_refusal_at_rcpt_pauses_and_suppresses_no_one(ws, tmp_path, answer):
    emails, summary = _one_bad_recipient(ws, tmp_path, answer.format("x"))
    assert summary.stopped and _suppressions(ws) == 0 and _bounced(ws) == 0
    assert campaigns.get(ws, "c1").status == "paused"
    assert "@" not in campaigns.get(ws, "c1").pause_reason  # no one's address in the reason


def test_a_recipient_rejection_still_suppresses_that_recipient_only(ws, tmp_path):
    emails, summary = _one_bad_recipient(ws, tmp_path, "550 5.1.1 <p2@d2.example>: Recipient address rejected: User unknown")
    assert not summary.stopped and summary.failed == 1 and summary.sent == 4
    with session_scope(ws.engine, write=False) as s:
        assert s.execute(select(func.count()).select_from(Suppression)).scalar_one() == 1
    assert _bounced(ws) == 1


@pytest.mark.parametrize(("code", "text", "step", "outcome"), [
    (550, "5.1.1 user unknown", "rcpt", "reject_recipient"),
    (550, "Mailbox unavailable", "rcpt", "reject_recipient"),
    (550, "5.2.1 mailbox disabled", "rcpt", "reject_recipient"),
    (451, "4.3.0 try again", "rcpt", "retry"),
    (421, "closing", "mail", "reconnect"),
    (552, "5.3.4 too big", "data", "reject_message"),
    (553, "5.7.1 sender not allowed", "mail", "abort"),
    (550, "5.7.1 relaying denied", "rcpt", "abort"),
    (535, "5.7.8 bad credentials", "rcpt", "abort"),
])
def test_what_each_answer_means(code, text, step, outcome):
    try:
        got = classify_answer(code, text, step=step).outcome
    except SendAborted:
        got = "abort"
    assert got == outcome
