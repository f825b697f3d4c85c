"""Incremental planning (issue 18): each plan looks only at members added and steps sent since the last
one, so its cost follows what changed, not the queue. Pinned to the full plan (the plain path): after
any incremental plan, a full plan finds nothing left to queue."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from coldmail.outreach import campaigns, doubt
from coldmail.outreach.sending import send_campaign
from coldmail.prospects.importing import import_csv
from coldmail.store.db import session_scope
from coldmail.store.models import Campaign, ListMember, Message, as_utc, utcnow
from coldmail.suppression import register
from conftest import free_port, write_csv
from smtp_server import SmtpServer
from test_sending import open_all_hours, seed

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _full_plan_finds(ws, now) -> int:
    """What a full plan would still queue (rolled back: it only looks)."""
    with session_scope(ws.engine) as s:
        n = campaigns.plan(s, campaigns.load(s, "c1"), now, full=True)
        s.rollback()
    return n


def _marks(ws) -> Campaign:
    with session_scope(ws.engine, write=False) as s:
        return campaigns.load(s, "c1")


def _steps_per_contact(ws) -> dict[tuple[int, int], int]:
    with session_scope(ws.engine, write=False) as s:
        return dict(((c, p), n) for c, p, n in s.execute(
            select(Message.contact_id, Message.position, func.count()).group_by(Message.contact_id, Message.position)))


def test_incremental_plans_miss_nothing_and_plan_nothing_twice(ws, tmp_path):
    open_all_hours(ws)
    rnd = random.Random(18)
    emails = seed(ws, tmp_path, 20)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch",
                     follow_ups=["follow_up_1:2", "follow_up_2:3"])
    now, added = T0, 0
    with SmtpServer(free_port()) as server:
        for day in range(16):
            if day in (1, 4, 9):  # new members arrive mid-campaign
                added += 1
                rows = "".join(f"n{added}x{i}@new{added}-{i}.example,N{i}\n" for i in range(rnd.randint(1, 6)))
                import_csv(ws, path=write_csv(tmp_path / f"new{added}.csv", "email,first_name\n" + rows),
                           list_name="l", source="company website", justification="runs operations")
            if day == 3:  # a reply mid-campaign stops the next step
                register.add(ws, target=emails[0], reason="opt-out")
            asyncio.run(send_campaign(ws, name="c1", smtp_url=server.url, now=now, limit=rnd.randint(3, 15)))
            mark = _marks(ws)
            assert as_utc(mark.planned_at) == now and mark.full_plan_at is not None
            assert _full_plan_finds(ws, now) == 0, f"day {day}: the incremental plan missed something"
            now += timedelta(hours=rnd.choice((7, 12, 19, 24)))
        sent_to = [r.rcpt for r in server.recorder.received]
    assert set(_steps_per_contact(ws).values()) == {1}  # the unique step key holds: nothing planned twice
    # The opted-out contact got its first touch at most, nothing after the suppression.
    assert sent_to.count(emails[0]) <= 1
    assert max(sent_to.count(e) for e in emails[1:]) == 3  # the campaign ran its three steps


def test_a_change_the_watermarks_cannot_see_makes_the_next_plan_full(ws, tmp_path):
    open_all_hours(ws)
    seed(ws, tmp_path, 3)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch", follow_ups=["follow_up_1:2"])
    with session_scope(ws.engine) as s:
        assert campaigns.plan(s, campaigns.load(s, "c1"), T0) == 3
        s.execute(update(Message).values(state="unknown", claimed_at=T0))  # a crash mid-send
    for step in ("plan", "resolve"):
        with session_scope(ws.engine) as s:
            campaigns.plan(s, campaigns.load(s, "c1"), T0 + timedelta(days=3))  # watermark past the follow-ups
        if step == "resolve":
            mid = _marks(ws)
    # A person settles one as sent, dated when it was claimed (three days before the watermark).
    with session_scope(ws.engine, write=False) as s:
        first = s.execute(select(Message.id).order_by(Message.id)).scalars().first()
    doubt.resolve(ws, message_id=first, sent=True, reason="the server's log shows it")
    assert _marks(ws).full_plan_at is None and mid.full_plan_at is not None
    with session_scope(ws.engine) as s:
        assert campaigns.plan(s, campaigns.load(s, "c1"), T0 + timedelta(days=3)) == 1  # its follow-up
    # Pause and resume: the next plan is full again.
    campaigns.set_status(ws, "c1", "paused", "holiday")
    campaigns.set_status(ws, "c1", "active")
    assert _marks(ws).full_plan_at is None


def test_members_outside_the_margin_wait_for_the_hourly_full_plan(ws, tmp_path):
    """A member stamped long before the watermark (an import that committed late) is not seen by
    the incremental plan, and is by the next full plan: late, never lost."""
    open_all_hours(ws)
    seed(ws, tmp_path, 2)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    with session_scope(ws.engine) as s:
        assert campaigns.plan(s, campaigns.load(s, "c1"), T0) == 2
    seed(ws, tmp_path, 3, name="late")
    with session_scope(ws.engine) as s:
        s.execute(update(ListMember).values(added_at=utcnow() - campaigns.PLAN_MARGIN * 3))
    with session_scope(ws.engine) as s:
        assert campaigns.plan(s, campaigns.load(s, "c1"), T0) == 0  # incremental: outside the margin
        s.execute(update(Campaign).values(full_plan_at=utcnow() - campaigns.FULL_PLAN_EVERY))
    with session_scope(ws.engine) as s:
        assert campaigns.plan(s, campaigns.load(s, "c1"), T0) == 1  # the hourly full plan
    # The planning clock going back (a --now in the past) plans in full too.
    with session_scope(ws.engine) as s:
        s.execute(update(ListMember).values(added_at=utcnow() - campaigns.PLAN_MARGIN * 3))
    seed(ws, tmp_path, 4, name="later")
    with session_scope(ws.engine) as s:
        s.execute(update(ListMember).values(added_at=utcnow() - campaigns.PLAN_MARGIN * 3))
    with session_scope(ws.engine) as s:
        assert campaigns.plan(s, campaigns.load(s, "c1"), T0) == 0
        assert campaigns.plan(s, campaigns.load(s, "c1"), T0 - timedelta(days=1)) == 1


def test_a_closed_window_defers_its_whole_set_as_the_window_says(ws, tmp_path):
    """On a weekend night, one claim defers every due European message in one statement per window
    (country and time zone); each gets exactly the time and reason `windows.window` gives it."""
    from coldmail.outreach import windows
    from coldmail.store.config import Sending, save_config
    from coldmail.store.models import Contact

    rules = Sending.unpaced()
    rules.window_days, rules.window_start, rules.window_end = [0, 1, 2, 3, 4], "09:00", "17:00"
    ws.config.sending = rules
    save_config(ws.home, ws.config)
    rows = "".join(f"p{i}@d{i}.example,{c},{loc}\n" for i, (c, loc) in enumerate(
        [("GB", ""), ("DE", ""), ("", "\"Denver, Colorado, United States\""), ("JP", ""), ("", "")] * 8))
    import_csv(ws, path=write_csv(tmp_path / "mix.csv", "email,country,location\n" + rows), list_name="l",
               source="company website", justification="runs operations")
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    night = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)  # Saturday night in Europe and Denver, Sunday in Tokyo
    summary = asyncio.run(send_campaign(ws, name="c1", dry_run_dir=tmp_path / "dry", now=night))
    assert summary.sent == 0 and summary.deferred == 40
    with session_scope(ws.engine) as s:
        campaigns.plan(s, campaigns.load(s, "c1"), night)
        from coldmail.outreach.claiming import Store, claim
        from coldmail.outreach.mailboxes import configured
        from coldmail.outreach.summary import SendSummary
    store, got = Store(ws, False), SendSummary()
    assert claim(store, _marks(ws).id, now=night, worker="t", summary=got, boxes=configured(ws.config)) == []
    assert got.deferred == 40 and sum(got.reasons.values()) == 40
    with session_scope(ws.engine, write=False) as s:
        queued = s.execute(select(Message.not_before, Message.reason, Contact.country, Contact.timezone)
                           .join(Contact, Contact.id == Message.contact_id)).all()
    assert len(queued) == 40
    for not_before, reason, country, zone in queued:  # the set's answer is each one's own answer
        win = windows.window(night, country=country, timezone=zone, rules=rules)
        assert (as_utc(not_before), reason) == (win.next_time, win.reason)


def test_a_big_closed_window_is_deferred_over_short_transactions_and_the_open_ones_still_go(ws, tmp_path,
                                                                                             monkeypatch):
    """At nightfall a window's whole set is due: it is deferred DEFER_BUDGET rows per transaction (the
    writer lock is free in between, for an unsubscribe), and the same send goes on to the open windows."""
    from coldmail.outreach import claiming, windows
    from coldmail.store.config import Sending, save_config
    from coldmail.store.models import Contact

    rules = Sending.unpaced()
    rules.window_days, rules.window_start, rules.window_end = [0, 1, 2, 3, 4], "09:00", "17:00"
    ws.config.sending = rules
    save_config(ws.home, ws.config)
    # Five closed windows of 20 (10:00 UTC: evening in Tokyo, Seoul, Shanghai, Sydney, Auckland), first in
    # due order, then five contacts in London, where it is 10:00.
    rows = "".join(f"p{i}@d{i}.example,{c}\n" for i, c in enumerate(["JP", "KR", "CN", "AU", "NZ"] * 20))
    rows += "".join(f"q{i}@e{i}.example,GB\n" for i in range(5))
    import_csv(ws, path=write_csv(tmp_path / "mix.csv", "email,country\n" + rows), list_name="l",
               source="company website", justification="runs operations")
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    monkeypatch.setattr(claiming, "DEFER_BUDGET", 30)
    sizes: list[int] = []
    real = claiming._defer_window

    def committed() -> int:
        """Deferrals another connection sees: those committed."""
        with session_scope(ws.engine, write=False) as other:
            return other.execute(select(func.count()).select_from(Message).where(Message.not_before > T0)).scalar_one()

    def counted(*args, **kw):
        assert sum(sizes) - committed() < 30  # what one transaction holds stays under the budget
        sizes.append(real(*args, **kw))
        return sizes[-1]

    monkeypatch.setattr(claiming, "_defer_window", counted)
    with SmtpServer(free_port()) as server:  # 10:00 UTC: 19:00 in Tokyo, 10:00 in London
        s = asyncio.run(send_campaign(ws, name="c1", smtp_url=server.url, now=T0, connections=1))
        got = sorted(r.rcpt for r in server.recorder.received)
    assert got == sorted(f"q{i}@e{i}.example" for i in range(5)) and s.sent == 5
    assert s.deferred == 100 and sum(sizes) == 100 and max(sizes) <= 30 and len(sizes) >= 5, sizes
    with session_scope(ws.engine, write=False) as session:
        waits = session.execute(select(Message.not_before, Message.reason, Contact.country).join(
            Contact, Contact.id == Message.contact_id).where(Message.state == "queued")).all()
    assert len(waits) == 100
    for not_before, reason, country in waits:  # each set waits exactly as its window says
        opens = windows.window(T0, country=country, timezone="", rules=rules)
        assert (as_utc(not_before), reason) == (opens.next_time, opens.reason)
