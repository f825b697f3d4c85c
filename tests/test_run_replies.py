"""`coldmail run --replies PATH` reads its folders and Maildirs again at every poll: a reply that lands
there after the sender started is applied at the next poll, before the next message to that contact,
and a reply already read is never applied twice (nor counted again when a mail client files it)."""

from __future__ import annotations

import asyncio
import mailbox
from datetime import timedelta

from sqlalchemy import func, select

from coldmail.outreach import campaigns
from coldmail.outreach.runner import Runner
from coldmail.outreach.sending import Clock
from coldmail.store.db import session_scope
from coldmail.store.models import AuditEntry, Reply
from coldmail.suppression import register as suppression
from conftest import free_port
from smtp_server import SmtpServer
from test_replies import reply_to
from test_sending import MONDAY_10, open_all_hours, seed


def _replies(ws) -> tuple[int, int]:
    """Reply rows, and audit entries about replies."""
    with session_scope(ws.engine, write=False) as s:
        return (s.execute(select(func.count()).select_from(Reply)).scalar_one(),
                s.execute(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action.startswith("reply."))).scalar_one())


def test_run_picks_up_replies_that_arrive_after_it_started_once_each(ws, tmp_path):
    open_all_hours(ws)
    emails = seed(ws, tmp_path, 5)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch", follow_ups=["follow_up_1:1"])
    folder, maildir = tmp_path / "replies", tmp_path / "Maildir"
    folder.mkdir()
    box = mailbox.Maildir(maildir, create=True)
    clock = Clock(MONDAY_10)
    lines: list[str] = []
    with SmtpServer(free_port()) as smtp:
        runner = Runner(ws, smtp_url=smtp.url, replies=[folder, maildir], clock=clock, log=lines.append,
                        poll_seconds=60)

        def at(seconds: float) -> None:
            clock.fixed = MONDAY_10 + timedelta(seconds=seconds)
            asyncio.run(runner.one_pass())

        at(0)  # the first poll finds nothing; the first touches go
        first = {r.rcpt: r.message for r in smtp.recorder.received}
        assert sorted(first) == sorted(emails) and runner.summary.replies == 0
        # After the start: an opt-out saved into the folder (in a subfolder, as a client may), a
        # reply delivered into the Maildir.
        (folder / "2026").mkdir()
        (folder / "2026" / "stop.eml").write_bytes(reply_to(first[emails[0]], "Please remove me from your list."))
        box.add(reply_to(first[emails[1]], "Thanks, not for us at the moment."))
        at(30)  # not yet: the next poll is 60 s after the last
        assert runner.summary.replies == 0 and _replies(ws) == (0, 0)
        at(61)
        assert runner.summary.replies == 2, lines
        assert suppression.check(ws, emails[0]).reason == "opt-out"
        assert _replies(ws) == (2, 2)
        # Read again at every poll, applied once: the same files, then the Maildir message filed
        # by a mail client (moved from new/ to cur/, flagged as seen).
        at(122)
        for key in list(box.iterkeys()):
            msg = box[key]
            msg.set_subdir("cur")
            msg.add_flag("S")
            box[key] = msg
        at(183)
        assert runner.summary.replies == 2 and _replies(ws) == (2, 2), lines
        # A third, much later: picked up at the poll after it landed, counted once.
        box.add(reply_to(first[emails[2]], "Unsubscribe"))
        at(244)
        at(305)
        assert runner.summary.replies == 3 and _replies(ws) == (3, 3), lines
        # A file saved again under the same name with another reply in it: read again.
        (folder / "2026" / "stop.eml").write_bytes(reply_to(first[emails[3]], "We are all set, thank you."))
        at(366)
        assert runner.summary.replies == 4 and _replies(ws) == (4, 4), lines
        # The next day: a follow-up to the one who did not write back, none to the four who did.
        smtp.recorder.received.clear()
        at(86_400 + 400)
        assert [r.rcpt for r in smtp.recorder.received] == emails[4:], lines
    assert not [line for line in lines if line.startswith("reply: not read")], lines
