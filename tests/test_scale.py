"""Lookups stay as fast at a million contacts as at a thousand because every one uses an index.

Timing belongs in benchmarks/bench_scale.py; here we check the query plans themselves: no statement
run by these commands scans a whole table."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from coldmail.contacts import paging as contacts
from coldmail.contacts.paging import ContactFilter
from coldmail.contacts.views import show_contact
from coldmail.privacy import requests as privacy
from coldmail.privacy.where import where
from coldmail.prospects.importing import import_csv
from coldmail.suppression import register as suppression
from conftest import write_csv

BIG_TABLES = ("contacts", "suppressions", "list_members", "requests", "audit_log")


@pytest.fixture
def seeded(ws, tmp_path):
    rows = "".join(f"p{i}@c{i % 50}.example,P{i},Co{i % 50},company site,ops lead\n" for i in range(3000))
    import_csv(ws, path=write_csv(tmp_path / "p.csv", "email,first_name,company,source,justification\n" + rows),
               list_name="big")
    suppression.add(ws, target="p7@c7.example", reason="opt-out")
    privacy.open_request_cmd(ws, email="p8@c8.example", kind="access")
    return ws


def _plans(ws, fn):
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(ws.engine, "before_cursor_execute", capture)
    try:
        fn()
    finally:
        event.remove(ws.engine, "before_cursor_execute", capture)
    plans = []
    with ws.engine.connect() as conn:
        for sql, params in statements:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
            plans.append((sql, [r[-1] for r in rows]))
    return plans


def _full_reads(plans, allow_keyset: bool = False):
    """Plan steps that read a big table whole: a SCAN, or a rowid range (a scan by another name),
    which only keyset paging with a LIMIT may use."""
    bad = []
    for sql, plan in plans:
        for step in plan:
            table = step.split(" ")[1] if " " in step else ""
            if table not in BIG_TABLES:
                continue
            if step.startswith("SCAN"):
                bad.append((sql, step))
            elif "(rowid>?)" in step and not (allow_keyset and "LIMIT" in sql):
                bad.append((sql, step))
    return bad


@pytest.mark.parametrize(
    "call",
    [
        lambda ws: show_contact(ws, "p42@c42.example"),
        lambda ws: where(ws, "p42@c42.example"),
        lambda ws: where(ws, "nobody@c1.example"),
        lambda ws: suppression.check(ws, "p7@c7.example"),
        lambda ws: suppression.check(ws, "x@sub.c3.example"),
        lambda ws: privacy.list_requests(ws, only_open=True),
        lambda ws: contacts.page(ws, after_id=1500, limit=100),
        lambda ws: contacts.page(ws, limit=100, flt=ContactFilter(search="p42@")),
    ],
    ids=["contacts show", "where", "where unknown", "suppression check", "domain check", "requests list",
         "contacts page", "email search"],
)
def test_lookups_use_indexes(seeded, call, request):
    plans = _plans(seeded, lambda: call(seeded))
    assert plans
    assert _full_reads(plans, allow_keyset="page" in request.node.callspec.id) == []


def test_the_plan_check_does_catch_a_scan(seeded):
    # A name search is a bounded scan by design; the checker must see it.
    plans = _plans(seeded, lambda: contacts.page(seeded, limit=100, flt=ContactFilter(search="zzz")))
    assert _full_reads(plans, allow_keyset=False)
