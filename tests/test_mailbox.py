"""`coldmail mailbox add/list/remove` (the contract's keys; no password stored) and rotation across
mailboxes within each one's caps, follow-ups from the mailbox that wrote first, in the same thread."""

from __future__ import annotations

import json
from datetime import timedelta

from coldmail.outreach import campaigns, mailboxes
from conftest import IDENTITY, free_port
from smtp_server import SmtpServer
from test_sending import MONDAY_10, open_all_hours, run, seed


def test_mailbox_contract(cli, home):
    assert cli("init", *[f"--{k.replace('_', '-')}={v}" for k, v in IDENTITY.items()]).returncode == 0
    r = cli("mailbox", "add", "sam", "--smtp", "smtp://sam@127.0.0.1:2525", "--from-email", "sam@acme-tools.example",
            "--from-name", "Sam Carter", "--per-day", "30")
    assert r.returncode == 0, r.stderr
    assert cli("mailbox", "add", "bad", "--smtp", "smtp://u:secret@h:25", "--from-email", "x@y.example").returncode == 2
    r = cli("mailbox", "list", "--json")
    rows = json.loads(r.stdout)
    assert [{k: row[k] for k in ("name", "from_email", "smtp", "status", "sent_today")} for row in rows] == [
        {"name": "sam", "from_email": "sam@acme-tools.example", "smtp": "smtp://sam@127.0.0.1:2525",
         "status": "ok", "sent_today": 0}]
    assert "secret" not in (home / "coldmail.toml").read_text()
    assert cli("campaign", "create", "x", "--list", "nope", "--template", "first_touch", "--mailbox",
               "ghost").returncode == 2
    assert cli("mailbox", "remove", "sam").returncode == 0
    assert json.loads(cli("mailbox", "list", "--json").stdout)[0]["name"] == "default"


def test_rotation_caps_and_follow_ups_from_the_first_mailbox(ws, tmp_path, monkeypatch):
    open_all_hours(ws)
    with SmtpServer(free_port()) as a, SmtpServer(free_port()) as b:
        mailboxes.add(ws, name="ann", smtp=a.url, from_email="ann@acme-tools.example", from_name="Ann Lee",
                      per_hour=3)
        mailboxes.add(ws, name="bob", smtp=b.url, from_email="bob@acme-tools.example", from_name="Bob Roy",
                      per_hour=3)
        emails = seed(ws, tmp_path, 8)
        campaigns.create(ws, name="c1", list_name="l", template="first_touch", follow_ups=["follow_up_1:3"])
        s = run(ws, name="c1", now=MONDAY_10)
        assert s.sent == 6 and "per hour" in s.next_reason  # 3 each, then both full
        assert len(a.recorder.received) == 3 and len(b.recorder.received) == 3
        for got, name in ((a, "Ann Lee"), (b, "Bob Roy")):
            msg = got.recorder.received[0].message
            assert name in msg["From"] and name in msg.get_body(("plain",)).get_content()
        first_from = {r.rcpt: "ann" for r in a.recorder.received} | {r.rcpt: "bob" for r in b.recorder.received}
        assert run(ws, name="c1", now=MONDAY_10 + timedelta(hours=1, minutes=1)).sent == 2
        first_from |= {r.rcpt: "ann" for r in a.recorder.received[3:]} | {r.rcpt: "bob" for r in b.recorder.received[3:]}
        assert sorted(first_from) == sorted(emails)
        # Follow-ups: each from the mailbox that wrote first, threaded under the first message.
        for day in range(3, 6):
            run(ws, name="c1", now=MONDAY_10 + timedelta(days=day, hours=2))
        for server, name in ((a, "ann"), (b, "bob")):
            for rec in server.recorder.received:
                assert first_from[rec.rcpt] == name
        follow = [r for r in a.recorder.received if r.message["In-Reply-To"]]
        assert follow and all(r.message["In-Reply-To"] for r in follow)
        assert len(a.recorder.received) + len(b.recorder.received) == 16


def test_one_mailbox_refusing_login_pauses_it_and_the_other_goes_on(ws, tmp_path, monkeypatch):
    open_all_hours(ws)
    monkeypatch.setenv("COLDMAIL_PASSWORD_ANN", "wrong")
    with SmtpServer(free_port(), auth=("ann", "right")) as a, SmtpServer(free_port()) as b:
        mailboxes.add(ws, name="ann", smtp=f"smtp://ann@127.0.0.1:{a.port}", from_email="ann@acme-tools.example")
        mailboxes.add(ws, name="bob", smtp=b.url, from_email="bob@acme-tools.example")
        seed(ws, tmp_path, 4)
        campaigns.create(ws, name="c1", list_name="l", template="first_touch")
        s = run(ws, name="c1", now=MONDAY_10)
        assert s.sent == 4 and len(b.recorder.received) == 4 and "ann" in s.server_trouble
        status = {m["name"]: m["status"] for m in mailboxes.listing(ws)}
        assert status == {"ann": "paused", "bob": "ok"}
        assert campaigns.get(ws, "c1").status == "active"
