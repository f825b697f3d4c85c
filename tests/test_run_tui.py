"""The Campaigns screen says whether a sender (`coldmail run`) is running, what it last sent, and what is
next and when (issue 18); at 80x24, as a person's terminal opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from coldmail.outreach import campaigns, senders
from coldmail.outreach.runner import Runner
from coldmail.store.config import Sending, save_config
from coldmail.store.db import session_scope
from coldmail.store.models import SenderBeat, utcnow
from coldmail.tui.app import ColdmailApp
from conftest import free_port
from smtp_server import SmtpServer
from test_sending import seed
from test_tui import SIZE, settle


def _paced(ws) -> None:
    ws.config.sending = Sending.unpaced()
    ws.config.sending.per_minute, ws.config.sending.jitter_seconds = 20, 600  # one now, the next in ten minutes
    save_config(ws.home, ws.config)


async def _status(ws) -> str:
    app = ColdmailApp(ws, mode="campaigns")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        widget = app.screen.query_one("#sender-status")
        assert widget.region.width <= SIZE[0] and widget.region.height <= 4
        return str(widget.render())


async def test_campaigns_screen_shows_the_sender_and_what_is_next(ws, tmp_path):
    _paced(ws)
    emails = seed(ws, tmp_path, 5)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    text = await _status(ws)
    assert "Sender: not running (none has run here" in text
    assert "Next: c1 step 1" not in text  # not planned yet: nothing queued
    with SmtpServer(free_port()) as server:
        runner = Runner(ws, smtp_url=server.url, log=lambda line: None)
        await runner.one_pass()  # what `coldmail run` does each pass: send what is due, then beat
        assert len(server.recorder.received) == 1
    text = await _status(ws)
    lines = text.splitlines()
    assert lines[0].startswith(f"Sender: running on {runner.worker}"), text
    assert lines[1].startswith("Last: c1: message ") and "(step 1)" in lines[1], text
    # The next message is due, but the mailbox's spacing (600 s) holds it: the line says when it goes.
    nxt, (beat,) = senders.next_up(ws), senders.senders(ws)
    assert nxt is not None and nxt.to in emails and nxt.reason == "due now"
    assert beat.running and beat.next_due > utcnow() + timedelta(minutes=5)
    assert lines[2].startswith(f"Next: c1 step 1 to {nxt.to}, "), text
    # (before midnight UTC the line says "tomorrow" too)
    assert f"{beat.next_due:%H:%M} UTC (spacing between" in lines[2], text
    assert all(len(line) <= SIZE[0] for line in lines)
    # Stopped cleanly, then killed (no beat for long): both read as not running, differently.
    runner._beat(stopped=True)
    assert "Sender: not running (stopped " in await _status(ws)
    with session_scope(ws.engine) as s:
        s.execute(update(SenderBeat).values(stopped=False, seen_at=utcnow() - timedelta(hours=1)))
    text = await _status(ws)
    assert "Sender: not running (not seen since " in text and "Last: c1: message " in text


async def test_the_campaigns_screen_runs_the_sender_while_open(ws, tmp_path):
    import asyncio

    from test_sending import states

    _paced(ws)
    ws.config.sending.jitter_seconds = 1
    seed(ws, tmp_path, 5)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    with SmtpServer(free_port()) as server:
        ws.config.smtp.url = server.url
        save_config(ws.home, ws.config)
        app = ColdmailApp(ws, mode="campaigns")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("r")
            for _ in range(100):
                await asyncio.sleep(0.1)
                if len(server.recorder.received) >= 2:
                    break
            assert len(server.recorder.received) >= 2
            app.screen._load_status()
            await pilot.pause(0.5)
            assert "Sender: running on" in str(app.screen.query_one("#sender-status").render())
            await pilot.press("r")
            for _ in range(50):
                await asyncio.sleep(0.1)
                if app.screen._runner is None:
                    break
            assert app.screen._runner is None
            await settle(pilot)
            assert "Sender: not running (stopped" in str(app.screen.query_one("#sender-status").render())
            messages = [n.message for n in app._notifications]
        sent = len(server.recorder.received)
    assert any(m.startswith(f"Sender stopped: {sent} sent") for m in messages), messages
    counts = states(ws)
    assert "sending" not in counts and counts.get("sent") == sent


async def test_the_status_refreshes_by_itself_and_the_table_has_its_columns_once(ws, tmp_path):
    seed(ws, tmp_path, 2)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    app = ColdmailApp(ws, mode="campaigns")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("DataTable")
        labels = [str(c.label) for c in table.ordered_columns]
        assert labels == list(app.screen.shown) and len(set(labels)) == len(labels)
        assert "Next: nothing queued" in str(app.screen.query_one("#sender-status").render())
        with session_scope(ws.engine) as s:  # a plan elsewhere (another process's send) queues the list
            campaigns.plan(s, campaigns.load(s, "c1"), utcnow())
        for _ in range(100):
            await pilot.pause(0.1)
            if "Next: c1 step 1 to " in str(app.screen.query_one("#sender-status").render()):
                break
        assert "Next: c1 step 1 to " in str(app.screen.query_one("#sender-status").render())


def test_times_in_the_status_lines_say_the_day_short():
    """A time on another day names it briefly, so that the "Next" line fits 80 columns."""
    now = datetime(2026, 11, 30, 23, 50, tzinfo=UTC)
    assert senders._at(now + timedelta(minutes=5), now) == "23:55 UTC"
    assert senders._at(now + timedelta(minutes=20), now) == "tomorrow 00:10 UTC"
    assert senders._at(now - timedelta(days=1), now) == "yesterday 23:50 UTC"
    assert senders._at(now + timedelta(days=3), now) == "3 Dec 23:50 UTC"
    assert senders._at(datetime(2027, 1, 4, 9, 0, tzinfo=UTC), now) == "2027-01-04 09:00 UTC"
