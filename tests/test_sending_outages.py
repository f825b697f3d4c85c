"""Outages are not failures: an unreachable server puts the messages back without spending their
attempts and marks the mailbox down; `send` exits 1 so cron notices. A render error fails one
message with its reason; `campaign create` refuses a template that does not render."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from coldmail.errors import TemplateProblem
from coldmail.outreach import campaigns, mailboxes
from coldmail.store.db import session_scope
from coldmail.store.models import Message
from conftest import IDENTITY, free_port, write_csv
from smtp_server import SmtpServer
from test_sending import MONDAY_10, open_all_hours, run, seed, states


def _attempts(ws) -> list[int]:
    with session_scope(ws.engine, write=False) as s:
        return list(s.execute(select(Message.attempts).order_by(Message.id)).scalars())


def test_an_unreachable_server_spends_no_attempts_and_backs_off(ws, tmp_path):
    open_all_hours(ws)
    seed(ws, tmp_path, 4)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    port = free_port()  # nothing listens there
    url = f"smtp://127.0.0.1:{port}"
    for i in range(6):  # more runs than max_attempts (5): still nothing failed
        s = run(ws, name="c1", smtp_url=url, now=MONDAY_10 + timedelta(hours=i))
        assert s.sent == 0 and s.failed == 0 and "unreachable" in s.server_trouble
    assert states(ws) == {"queued": 4} and _attempts(ws) == [0, 0, 0, 0]
    [box] = mailboxes.listing(ws, now=MONDAY_10)
    assert box["status"] == "down"
    # Within the back-off it does not even try; after it, the server answers and all go out.
    with SmtpServer(port) as server:
        s = run(ws, name="c1", smtp_url=url, now=MONDAY_10 + timedelta(hours=5, seconds=1))
        assert s.sent == 0 and "down" in s.server_trouble
        s = run(ws, name="c1", smtp_url=url, now=MONDAY_10 + timedelta(hours=6))
        assert s.sent == 4 and not s.server_trouble and len(server.recorder.received) == 4
    assert mailboxes.listing(ws)[0]["status"] == "ok"


def test_send_exits_1_when_the_server_is_unreachable_and_says_what_is_next(cli, tmp_path):
    assert cli("init", *[f"--{k.replace('_', '-')}={v}" for k, v in IDENTITY.items()]).returncode == 0
    f = write_csv(tmp_path / "p.csv", "email,first_name,company,country\n"
                                      "ana@acme.example,Ana,Acme,GB\nbo@bobco.example,Bo,Bobco,GB\n")
    assert cli("import", str(f), "--list", "fair", "--source", "event", "--justification", "ops").returncode == 0
    assert cli("campaign", "create", "spring", "--list", "fair", "--template", "first_touch").returncode == 0
    now = "2026-11-24T10:00:00+00:00"
    r = cli("send", "spring", "--smtp", f"smtp://127.0.0.1:{free_port()}", "--now", now)
    assert r.returncode == 1, r.stderr
    assert "0 sent, 2 still queued, next due at 10:00 UTC (mailbox default down)" in r.stderr, r.stderr
    with SmtpServer(free_port()) as server:
        r = cli("send", "spring", "--smtp", server.url, "--now", "2026-11-24T11:00:00+00:00", "--json")
        assert r.returncode == 0, r.stderr
        data = json.loads(r.stdout)
        assert data["sent"] == 1 and data["queued"] == 1 and data["next_due"].startswith("2026-11-24T11:00")
        assert "spacing" in data["next_due_reason"]


def test_a_render_error_fails_that_message_only(ws, tmp_path, smtp_url=None):
    open_all_hours(ws)
    (ws.home / "templates" / "email").mkdir(parents=True, exist_ok=True)
    (ws.home / "templates" / "email" / "named.txt.j2").write_text(
        "Subject: Hello {{ first_name }}\nLanguage: en\nHi {{ first_name }},\n\nA question.\n", encoding="utf-8")
    f = write_csv(tmp_path / "p.csv", "email,first_name,country\nana@a.example,Ana,GB\nbo@b.example,,GB\n"
                                      "cy@c.example,Cy,GB\n")
    from coldmail.prospects.importing import import_csv

    import_csv(ws, path=f, list_name="l", source="event", justification="ops")
    campaigns.create(ws, name="c1", list_name="l", template="named")  # Ana, the sample, renders
    with SmtpServer(free_port()) as server:
        s = run(ws, name="c1", smtp_url=server.url, now=MONDAY_10)
        assert (s.sent, s.failed, s.unknown) == (2, 1, 0)
    with session_scope(ws.engine, write=False) as session:
        state, reason = session.execute(select(Message.state, Message.reason)
                                        .where(Message.to_email == "bo@b.example")).one()
    assert state == "failed" and reason.startswith("render error") and "first_name" in reason


def test_campaign_create_refuses_a_template_that_does_not_render(ws, tmp_path):
    (ws.home / "templates" / "email").mkdir(parents=True, exist_ok=True)
    (ws.home / "templates" / "email" / "broken.txt.j2").write_text(
        "Subject: Hi\nLanguage: en\nYour {{ budget }} is ready.\n", encoding="utf-8")
    seed(ws, tmp_path, 2)
    with pytest.raises(TemplateProblem, match="budget"):
        campaigns.create(ws, name="c1", list_name="l", template="broken")
    assert campaigns.all_campaigns(ws) == []


def test_the_date_header_is_the_real_time_under_now(ws, tmp_path):
    open_all_hours(ws)
    seed(ws, tmp_path, 1)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    from email.utils import parsedate_to_datetime

    from coldmail.store.models import utcnow

    with SmtpServer(free_port()) as server:
        assert run(ws, name="c1", smtp_url=server.url, now=MONDAY_10 + timedelta(days=400)).sent == 1
        date = parsedate_to_datetime(server.recorder.received[0].message["Date"])
    assert abs((date - utcnow()).total_seconds()) < 120
