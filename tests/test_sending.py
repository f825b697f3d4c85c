"""Sending against a real SMTP server on 127.0.0.1: suppression at claim time, SMTP errors, threading,
windows and caps, and no double send."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coldmail.contacts.views import show_contact
from coldmail.outreach import campaigns
from coldmail.outreach.sending import send_campaign
from coldmail.prospects.importing import import_csv
from coldmail.store.config import Sending, save_config
from coldmail.store.db import session_scope
from coldmail.store.models import Message
from coldmail.suppression import register as suppression
from conftest import free_port, write_csv
from smtp_server import Faults, SmtpServer

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def open_all_hours(ws) -> None:
    """No caps, no windows: for tests about correctness rather than pacing."""
    ws.config.sending = Sending.unpaced()
    save_config(ws.home, ws.config)


def seed(ws, tmp_path, n: int, *, country: str = "GB", domains: int | None = None, name="c") -> list[str]:
    domains = domains or n
    emails = [f"p{i}@d{i % domains}.example" for i in range(n)]
    rows = "".join(f"{e},P{i},Co{i % domains},Ops,{country}\n" for i, e in enumerate(emails))
    f = write_csv(tmp_path / f"{name}.csv", "email,first_name,company,role,country\n" + rows)
    import_csv(ws, path=f, list_name="l", source="company website", justification="runs operations")
    return emails


def states(ws) -> dict[str, int]:
    with session_scope(ws.engine, write=False) as s:
        return dict(s.execute(select(Message.state, func.count()).group_by(Message.state)).all())


def run(ws, **kw):
    return asyncio.run(send_campaign(ws, **kw))


@pytest.fixture
def smtp():
    with SmtpServer(free_port()) as server:
        yield server


def test_sends_first_step_then_threaded_follow_ups(ws, tmp_path, smtp):
    open_all_hours(ws)
    emails = seed(ws, tmp_path, 5)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch", follow_ups=["follow_up_1:3"])
    s = run(ws, name="c1", smtp_url=smtp.url, now=MONDAY_10)
    assert (s.sent, s.failed, s.unknown) == (5, 0, 0)
    assert sorted(r.rcpt for r in smtp.recorder.received) == sorted(emails)
    first = smtp.recorder.to(emails[0])[0].message
    assert "We hold only" in first.get_body(("plain",)).get_content()
    assert show_contact(ws, emails[0]).status == "contacted"
    # Too early for the follow-up, then due.
    assert run(ws, name="c1", smtp_url=smtp.url, now=MONDAY_10 + timedelta(days=1)).sent == 0
    s = run(ws, name="c1", smtp_url=smtp.url, now=MONDAY_10 + timedelta(days=3, minutes=1))
    assert s.sent == 5
    follow = smtp.recorder.to(emails[0])[1].message
    assert follow["In-Reply-To"] == first["Message-ID"] and follow["References"] == first["Message-ID"]
    assert follow["Subject"].startswith("Re: ")
    # Nothing left: a third run sends nothing, twice over.
    assert run(ws, name="c1", smtp_url=smtp.url, now=MONDAY_10 + timedelta(days=30)).sent == 0
    assert len(smtp.recorder.received) == 10


def test_suppressed_and_replied_contacts_get_nothing(ws, tmp_path, smtp):
    open_all_hours(ws)
    emails = seed(ws, tmp_path, 4)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch", follow_ups=["follow_up_1:2"])
    suppression.add(ws, target=emails[0], reason="opt-out")
    suppression.add(ws, target="@d1.example", reason="company asked")
    s = run(ws, name="c1", smtp_url=smtp.url, now=MONDAY_10)
    assert s.sent == 2 and smtp.recorder.to(emails[0]) == [] and smtp.recorder.to(emails[1]) == []
    # An opt-out after the first step stops the follow-up at claim time.
    suppression.add(ws, target=emails[2], reason="opt-out")
    s = run(ws, name="c1", smtp_url=smtp.url, now=MONDAY_10 + timedelta(days=3))
    assert s.sent == 1 and s.skipped_suppressed == 0  # never queued: the contact is no longer active
    assert len(smtp.recorder.to(emails[2])) == 1 and len(smtp.recorder.to(emails[3])) == 2


def test_smtp_errors(ws, tmp_path):
    open_all_hours(ws)
    emails = seed(ws, tmp_path, 4)
    faults = Faults(rcpt={emails[0]: "550 5.1.1 no such user"}, temp_fail_once={emails[1]},
                    data={emails[2]: "554 5.7.1 message refused"})
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    with SmtpServer(free_port(), faults) as server:
        s = run(ws, name="c1", smtp_url=server.url, now=MONDAY_10)
        assert (s.sent, s.failed, s.deferred) == (1, 2, 1)
        # Hard bounce at RCPT: suppressed with reason "bounce".
        assert suppression.check(ws, emails[0]).reason == "bounce"
        assert show_contact(ws, emails[0]).status == "bounced"
        # A rejected message is a failure, not a bounce of the address.
        assert suppression.check(ws, emails[2]) is None
        # 4xx: retried with back-off, then delivered.
        assert run(ws, name="c1", smtp_url=server.url, now=MONDAY_10 + timedelta(minutes=1)).sent == 0
        s = run(ws, name="c1", smtp_url=server.url, now=MONDAY_10 + timedelta(minutes=6))
        assert s.sent == 1 and len(server.recorder.to(emails[1])) == 1


def test_connection_lost_during_data_is_flagged_not_resent(ws, tmp_path):
    open_all_hours(ws)
    emails = seed(ws, tmp_path, 3)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    with SmtpServer(free_port(), Faults(drop_data={emails[1]})) as server:
        s = run(ws, name="c1", smtp_url=server.url, now=MONDAY_10, connections=1)
        assert s.unknown == 1 and s.sent == 2
        run(ws, name="c1", smtp_url=server.url, now=MONDAY_10 + timedelta(days=1))
        assert len(server.recorder.to(emails[1])) == 1  # received once, and never again
    assert states(ws) == {"sent": 2, "unknown": 1}


def test_authentication_failure_pauses_the_mailbox_not_the_campaign(ws, tmp_path, monkeypatch):
    from coldmail.outreach import mailboxes

    open_all_hours(ws)
    seed(ws, tmp_path, 2)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    monkeypatch.setenv("COLDMAIL_SMTP_PASSWORD", "wrong")
    with SmtpServer(free_port(), auth=("sam", "right")) as server:
        url = f"smtp://sam@127.0.0.1:{server.port}"
        s = run(ws, name="c1", smtp_url=url, now=MONDAY_10)
        assert s.sent == 0 and "authentication" in s.server_trouble and not s.stopped
        assert campaigns.get(ws, "c1").status == "active"
        [box] = mailboxes.listing(ws)
        assert box["status"] == "paused" and "authentication" in box["reason"]
        assert states(ws) == {"queued": 2}  # nothing lost, nothing half-sent, no attempt spent
        monkeypatch.setenv("COLDMAIL_SMTP_PASSWORD", "right")
        s = run(ws, name="c1", smtp_url=url, now=MONDAY_10)
        assert s.sent == 0 and "paused" in s.server_trouble  # until a person resumes the mailbox
        mailboxes.resume(ws, "default")
        assert run(ws, name="c1", smtp_url=url, now=MONDAY_10).sent == 2


def test_dry_run_takes_the_same_path_and_changes_nothing(ws, tmp_path):
    open_all_hours(ws)
    ws.config.sending.new_per_domain_per_day = 2
    emails = seed(ws, tmp_path, 6, domains=2)
    suppression.add(ws, target="@d1.example", reason="the company asked")  # queued, then refused at claim
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    out = tmp_path / "dry"
    s = run(ws, name="c1", dry_run_dir=out, now=MONDAY_10)
    assert (s.sent, s.deferred, s.skipped_suppressed) == (2, 1, 3)  # same caps, same checks
    assert sorted(p.name.split("-", 1)[1] for p in out.glob("*.eml")) == sorted(
        f"{e}.eml" for e in emails[0::2][:2])
    assert states(ws) == {}  # nothing was recorded
    assert show_contact(ws, emails[0]).status == "new"


def test_windows_holidays_and_caps_with_a_controllable_clock(ws, tmp_path, smtp):
    open_all_hours(ws)
    ws.config.sending = Sending(per_minute=0, per_hour=0, per_day=0, jitter_seconds=0, per_contact_max=2,
                                new_per_domain_per_day=2, country_rules=False)
    seed(ws, tmp_path, 5, domains=1)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    # Saturday: the weekend defers everything to Monday 09:00 London.
    s = run(ws, name="c1", smtp_url=smtp.url, now=datetime(2026, 11, 21, 12, 0, tzinfo=UTC))
    assert s.sent == 0 and s.reasons["weekend"] == 5
    sched = campaigns.schedule(ws, "c1")
    assert sched[0]["not_before"].startswith("2026-11-23T09:00")
    # Monday 07:00 UTC is before 09:00 London; 10:00 is inside, but only 2 new contacts per domain per day.
    assert run(ws, name="c1", smtp_url=smtp.url, now=datetime(2026, 11, 23, 7, 0, tzinfo=UTC)).sent == 0
    s = run(ws, name="c1", smtp_url=smtp.url, now=MONDAY_10)
    assert s.sent == 2 and any("company cap" in r for r in s.reasons)
    assert run(ws, name="c1", smtp_url=smtp.url, now=MONDAY_10 + timedelta(days=1, hours=1)).sent == 2


def test_mailbox_caps_hold(ws, tmp_path, smtp):
    open_all_hours(ws)
    ws.config.sending.per_hour = 3
    seed(ws, tmp_path, 5)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    s = run(ws, name="c1", smtp_url=smtp.url, now=MONDAY_10)
    assert s.sent == 3 and "per hour" in s.next_reason and s.next_time == MONDAY_10 + timedelta(hours=1)
    assert run(ws, name="c1", smtp_url=smtp.url, now=MONDAY_10 + timedelta(minutes=30)).sent == 0
    assert run(ws, name="c1", smtp_url=smtp.url, now=MONDAY_10 + timedelta(hours=2)).sent == 2


def test_country_rules_block_consent_countries(ws, tmp_path, smtp):
    open_all_hours(ws)
    ws.config.sending.country_rules = True
    seed(ws, tmp_path, 2, country="DE", name="de")
    seed_fr = write_csv(tmp_path / "fr.csv", "email,country\nclaire@fr.example,FR\n")
    import_csv(ws, path=seed_fr, list_name="l", source="event", justification="speaker")
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    ticks: list[tuple[int, int]] = []
    s = run(ws, name="c1", smtp_url=smtp.url, now=MONDAY_10, on_progress=lambda done, total: ticks.append((done, total)))
    assert s.blocked == 2 and s.sent == 1
    # The blocked messages count as done: the progress bar ends full, not at a third.
    assert ticks[-1] == (3, 3) and all(a <= b for (a, _), (b, _) in zip(ticks, ticks[1:], strict=False)), ticks
    assert any(w.startswith("FR:") for w in s.warnings)
    assert [r.rcpt for r in smtp.recorder.received] == ["claire@fr.example"]


@pytest.mark.parametrize(
    ("now", "country", "opens", "why"),
    [
        (datetime(2026, 12, 25, 11, 0, tzinfo=UTC), "GB", "2026-12-29T09:00", "public holiday"),  # Christmas, Boxing Day, weekend
        (datetime(2026, 10, 3, 10, 0, tzinfo=UTC), "DE", "2026-10-05T07:00", "public holiday"),  # Unity Day
        (datetime(2026, 11, 23, 6, 30, tzinfo=UTC), "IL", "2026-11-23T07:00", "outside business hours"),  # 08:30 Jerusalem
        (datetime(2026, 11, 23, 23, 0, tzinfo=UTC), "US", "2026-11-24T14:00", "outside business hours"),  # 18:00 New York
        (datetime(2026, 11, 22, 12, 0, tzinfo=UTC), "LV", "2026-11-23T07:00", "weekend"),
        (datetime(2026, 11, 23, 16, 30, tzinfo=UTC), "US", None, ""),  # 11:30 New York: open
        (datetime(2026, 11, 23, 8, 0, tzinfo=UTC), "CN", None, ""),  # 16:00 Shanghai: open
    ],
)
def test_send_windows_in_the_recipients_time(now, country, opens, why):
    from coldmail.outreach.windows import window

    w = window(now, country=country, timezone="", rules=Sending())
    if opens is None:
        assert w.ok
    else:
        assert not w.ok and w.next_time.isoformat().startswith(opens) and why in w.reason, w
