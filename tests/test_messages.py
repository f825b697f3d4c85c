"""`coldmail messages retry` and `resolve`: a person settles messages in doubt; both audited."""

from __future__ import annotations

from sqlalchemy import select, update

from coldmail.outreach import campaigns
from coldmail.store.db import session_scope
from coldmail.store.models import AuditEntry, AuditNote, Message
from conftest import IDENTITY, write_csv


def _setup(cli, tmp_path, ws_home):
    assert cli("init", *[f"--{k.replace('_', '-')}={v}" for k, v in IDENTITY.items()]).returncode == 0
    f = write_csv(tmp_path / "p.csv", "email,first_name,country\na@a.example,A,GB\nb@b.example,B,GB\n"
                                      "c@c.example,C,GB\n")
    assert cli("import", str(f), "--list", "l", "--source", "event", "--justification", "ops").returncode == 0
    assert cli("campaign", "create", "c1", "--list", "l", "--template", "first_touch").returncode == 0
    from coldmail.store.workspace import open_workspace

    ws = open_workspace(ws_home)
    with session_scope(ws.engine) as s:
        campaigns.plan(s, campaigns.load(s, "c1"), campaigns.utcnow())
        ids = list(s.execute(select(Message.id).order_by(Message.id)).scalars())
        s.execute(update(Message).where(Message.id == ids[0]).values(state="failed", attempts=5, reason="gave up"))
        s.execute(update(Message).where(Message.id.in_(ids[1:])).values(state="unknown", attempts=1))
    return ws, ids


def _states(ws) -> dict[int, str]:
    with session_scope(ws.engine, write=False) as s:
        return dict(s.execute(select(Message.id, Message.state)).all())


def test_retry_and_resolve(cli, tmp_path, home):
    ws, ids = _setup(cli, tmp_path, home)
    r = cli("messages", "retry", "--campaign", "c1", "--failed", "--json")
    assert r.returncode == 0, r.stderr
    assert '"retried": 1' in r.stdout
    assert _states(ws)[ids[0]] == "queued"
    assert cli("messages", "retry", "--campaign", "c1").returncode == 2  # one of --failed/--unknown
    assert cli("messages", "resolve", str(ids[1]), "--sent", "--reason", "found it in the Sent folder").returncode == 0
    assert cli("messages", "resolve", str(ids[2]), "--not-sent", "--reason", "server log shows no DATA").returncode == 0
    st = _states(ws)
    assert st[ids[1]] == "sent" and st[ids[2]] == "queued"
    r = cli("messages", "resolve", str(ids[1]), "--not-sent", "--reason", "again")
    assert r.returncode == 2 and "not unknown" in r.stderr
    with session_scope(ws.engine, write=False) as s:
        actions = list(s.execute(select(AuditEntry.action).where(AuditEntry.action.like("messages.%"))
                                    .order_by(AuditEntry.id)).scalars())
        notes = set(s.execute(select(AuditNote.note)).scalars())
    assert actions == ["messages.retry", "messages.resolve", "messages.resolve"]
    assert {"found it in the Sent folder", "server log shows no DATA"} <= notes
    ws.close()
