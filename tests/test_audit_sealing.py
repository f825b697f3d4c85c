"""Keys outside the database, a sealed audit log, anchors, and the migration of a workspace written
by the previous release (tests/fixtures/workspace-0.1: the demo, run by release 0.1, then
`erase noa.levi@shipfast.example`; its audit log still held her address in an entry's text)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from coldmail import audit
from coldmail.audit import anchors
from coldmail.errors import ConfigError
from coldmail.store.db import session_scope
from coldmail.store.keys import KEY_FILE
from coldmail.store.workspace import open_workspace
from coldmail.suppression import register as suppression

LEGACY = Path(__file__).parent / "fixtures" / "workspace-0.1"


def _bytes_of_database(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in home.glob("coldmail.db*"))


@pytest.fixture
def legacy_home(tmp_path) -> Path:
    home = tmp_path / "legacy"
    shutil.copytree(LEGACY, home)
    return home


def test_the_previous_release_s_workspace_is_migrated(legacy_home):
    with sqlite3.connect(legacy_home / "coldmail.db") as c:
        old_key = c.execute("SELECT value FROM meta WHERE key = 'fingerprint_key'").fetchone()[0]
        old_head = c.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()[0]
        old_count = c.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    assert b"noa.levi@shipfast.example" in _bytes_of_database(legacy_home)  # the old log's flaw

    ws = open_workspace(legacy_home)
    try:
        key_file = legacy_home / KEY_FILE
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert json.loads(key_file.read_text())["fingerprint"] == old_key  # moved, unchanged
        # Fingerprints still match: the erased person and the bounced one stay suppressed.
        assert suppression.check(ws, "noa.levi@shipfast.example") is not None
        assert suppression.check(ws, "olivia.smith@gone-logistics.example").reason == "bounce"
        with session_scope(ws.engine, write=False) as s:
            result = audit.verify(s)
            assert result.ok, result.problems
            rows = s.execute(text("SELECT id, action, subject, detail, prev_hash FROM audit_log ORDER BY id")).all()
            assert s.execute(text("SELECT count(*) FROM meta WHERE key = 'fingerprint_key'")).scalar_one() == 0
        first = rows[0]
        assert first.action == "audit.reseal" and first.prev_hash == old_head.split(":", 1)[1]
        detail = json.loads(first.detail)
        assert detail["old_entries"] == old_count and detail["old_chain_ok"] and detail["scrubbed"] > 0
        assert len(rows) == old_count + 1
        assert not any("@" in r.detail or "@" in r.subject for r in rows)
        # The old log's head is still a valid anchor: the new log chains to it.
        with session_scope(ws.engine, write=False) as s:
            assert anchors.check(s, anchors.read(old_head)) == []
    finally:
        ws.close()
    data = _bytes_of_database(legacy_home)
    assert b"noa.levi@shipfast.example" not in data.lower()
    assert old_key.encode() not in data


def test_a_copy_of_the_database_alone_holds_no_key(ws):
    suppression.add(ws, target="gone@a.example", reason="opt-out")
    data = _bytes_of_database(ws.home)
    assert ws.fingerprint_key.hex().encode() not in data and ws.audit_key.hex().encode() not in data


def test_a_missing_or_wrong_key_file_is_refused(ws):
    suppression.add(ws, target="gone@a.example", reason="opt-out")
    home = ws.home
    ws.close()
    key_file = home / KEY_FILE
    saved = key_file.read_text()
    key_file.unlink()
    with pytest.raises(ConfigError, match="fingerprint key is missing"):
        open_workspace(home)
    key_file.write_text(json.dumps({"fingerprint": "ab" * 32, "audit": "cd" * 32}))
    with pytest.raises(ConfigError, match="not this workspace's key"):
        open_workspace(home)
    key_file.write_text(saved)
    open_workspace(home).close()


def test_keys_from_a_team_s_secret_file(ws, tmp_path, monkeypatch):
    shared = tmp_path / "team.keys"
    shutil.copy(ws.home / KEY_FILE, shared)
    other_home = tmp_path / "teammate"
    monkeypatch.setenv("COLDMAIL_KEY_FILE", str(shared))
    suppression.add(ws, target="gone@a.example", reason="opt-out")
    url = ws.engine.url.render_as_string(hide_password=False)
    teammate = open_workspace(other_home, url)
    try:
        assert suppression.check(teammate, "gone@a.example") is not None
        assert not (other_home / KEY_FILE).exists()
    finally:
        teammate.close()


def _tamper(ws, *statements: str) -> None:
    with session_scope(ws.engine) as s:
        conn = s.connection()
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
        for statement in statements:
            conn.exec_driver_sql(statement)


def _fill_and_anchor(ws) -> list[anchors.Anchor]:
    for i in range(6):
        suppression.add(ws, target=f"p{i}@a.example", reason="opt-out")
    with session_scope(ws.engine, write=False) as s:
        anchor = anchors.head(s)
    path = ws.home.parent / "anchors.txt"
    anchors.append(path, anchor)
    return anchors.read(str(path))


def _problems(ws, kept: list[anchors.Anchor]) -> list[str]:
    with session_scope(ws.engine, write=False) as s:
        return audit.verify(s).problems + anchors.check(s, kept)


def test_deleting_the_newest_entries_and_moving_the_head_is_caught_by_the_anchor(any_ws):
    kept = _fill_and_anchor(any_ws)
    with session_scope(any_ws.engine, write=False) as s:
        last = s.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
        new_head = s.execute(text("SELECT id, hash FROM audit_log WHERE id = :i"), {"i": last - 2}).one()
    _tamper(any_ws, f"DELETE FROM audit_log WHERE id > {last - 2}",
            f"UPDATE meta SET value = '{new_head.id}:{new_head.hash}' WHERE key = 'audit_head'")
    with session_scope(any_ws.engine, write=False) as s:
        assert audit.verify(s).ok  # the chain alone looks whole: only the anchor can tell
    assert any("is gone" in p for p in _problems(any_ws, kept))


def test_editing_an_entry_and_recomputing_the_chain_without_the_key_is_caught(any_ws):
    from coldmail.audit.log import digest

    kept = _fill_and_anchor(any_ws)
    with session_scope(any_ws.engine, write=False) as s:
        rows = s.execute(text("SELECT id, at, actor, action, subject, detail FROM audit_log ORDER BY id")).all()
    statements, prev = [], "0" * 64
    for r in rows:
        actor = "mallory" if r.id == 3 else r.actor
        h = digest(None, prev, r.at if not isinstance(r.at, str) else __import__("datetime").datetime.fromisoformat(r.at),
                   actor, r.action, r.subject, r.detail)  # the best an attacker without the key can do
        statements.append(f"UPDATE audit_log SET actor = '{actor}', prev_hash = '{prev}', hash = '{h}' WHERE id = {r.id}")
        prev = h
    statements.append(f"UPDATE meta SET value = '{rows[-1].id}:{prev}' WHERE key = 'audit_head'")
    _tamper(any_ws, *statements)
    problems = _problems(any_ws, kept)
    assert any("entry 3" in p for p in problems) and any("hash changed" in p for p in problems)


def test_the_schema_keeps_free_text_and_addresses_out_of_the_log(ws):
    from coldmail.audit.schema import AuditSchemaError

    with session_scope(ws.engine) as s:
        with pytest.raises(AuditSchemaError):
            audit.record(s, actor="t", action="x", subject="fp:" + "a" * 64, detail={"action": "suppressed a@b.example"})
        with pytest.raises(AuditSchemaError):
            audit.record(s, actor="t", action="x", subject="jane@corp.example")
        with pytest.raises(AuditSchemaError):
            audit.record(s, actor="t", action="x", subject="campaign:1", detail={"reason": "550 <jane@corp.example> rejected"})
        entry = audit.record(s, actor="t", action="x", subject="campaign:1", detail={"kind": "email", "n": 3},
                             note="550 <jane@corp.example> rejected")
        assert "@" not in entry.detail


def test_the_cli_catches_a_rewrite_with_an_anchor(cli, home, tmp_path):
    """As the DPO would: anchor to a file outside the workspace, then a rewrite through the database
    alone (the newest entries deleted and the head moved) is caught by `audit verify --anchor`."""
    from conftest import make_ws

    ws = make_ws(home)
    for i in range(4):
        suppression.add(ws, target=f"p{i}@a.example", reason="opt-out")
    anchor_file = tmp_path / "dpo" / "anchors.txt"
    out = cli("audit", "anchor", "--file", str(anchor_file))
    assert out.returncode == 0 and anchors.ANCHOR.fullmatch(out.stdout.strip())
    assert cli("audit", "verify", "--anchor", str(anchor_file)).returncode == 0
    with session_scope(ws.engine, write=False) as s:
        last = s.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
        keep = s.execute(text("SELECT id, hash FROM audit_log WHERE id = :i"), {"i": last - 1}).one()
    _tamper(ws, f"DELETE FROM audit_log WHERE id = {last}",
            f"UPDATE meta SET value = '{keep.id}:{keep.hash}' WHERE key = 'audit_head'")
    ws.close()
    assert cli("audit", "verify").returncode == 0  # without the anchor the shortened chain looks whole
    caught = cli("audit", "verify", "--anchor", str(anchor_file), "--json")
    assert caught.returncode == 1 and "is gone" in caught.stdout
