"""The audit log is append-only and hash-chained: edits, removals and truncation are detected."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from coldmail import audit
from coldmail.store.db import session_scope
from coldmail.suppression import register as suppression


def _fill(ws):
    for i in range(5):
        suppression.add(ws, target=f"p{i}@a.example", reason="opt-out")


def _verify(ws):
    with session_scope(ws.engine, write=False) as s:
        return audit.verify(s)


def test_intact_chain_verifies(any_ws):
    _fill(any_ws)
    result = _verify(any_ws)
    assert result.ok and result.entries == 6  # init + 5 suppressions


def test_updates_and_deletes_are_refused_by_the_database(any_ws):
    _fill(any_ws)
    for stmt in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), session_scope(any_ws.engine) as s:
            s.execute(text(stmt))


def _tamper(ws, *statements):
    """What someone with raw database access could do: drop the guards, then edit."""
    with session_scope(ws.engine) as s:
        if ws.engine.dialect.name == "postgresql":
            s.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
        else:
            s.execute(text("DROP TRIGGER audit_log_no_update"))
            s.execute(text("DROP TRIGGER audit_log_no_delete"))
        for st in statements:
            s.execute(text(st))


def test_edited_entry_is_detected(any_ws):
    _fill(any_ws)
    _tamper(any_ws, "UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
    result = _verify(any_ws)
    assert not result.ok and any("entry 3" in p and "edited" in p for p in result.problems)


def test_removed_entry_is_detected(any_ws):
    _fill(any_ws)
    _tamper(any_ws, "DELETE FROM audit_log WHERE id = 3")
    result = _verify(any_ws)
    assert not result.ok and any("entry 4" in p and "removed" in p for p in result.problems)


def test_removed_newest_entry_is_detected(ws):
    _fill(ws)
    _tamper(ws, "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)")
    result = _verify(ws)
    assert not result.ok and any("newest entries were removed" in p for p in result.problems)


def test_audit_entries_never_hold_addresses(ws):
    _fill(ws)
    with session_scope(ws.engine, write=False) as s:
        dump = " ".join(str(r) for r in s.execute(text("SELECT * FROM audit_log")).all())
    assert "@a.example" not in dump and "fp:" in dump
