"""Migrations: head matches the fast-path constant, models match the schema, PostgreSQL upgrades."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from coldmail.store import db
from coldmail.store.workspace import open_workspace


def test_head_revision_constant_matches_alembic():
    script = ScriptDirectory.from_config(db.alembic_config(None))
    assert script.get_current_head() == db.HEAD_REVISION


def _diffs(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(ctx, SQLModel.metadata)


def test_fresh_sqlite_upgrades_to_head_with_no_differences(tmp_path):
    ws = open_workspace(tmp_path)
    assert db.current_revision(ws.engine) == db.HEAD_REVISION
    assert _diffs(ws.engine) == []
    ws.close()


def test_postgresql_upgrades_to_head_with_no_differences(postgres, tmp_path):
    ws = open_workspace(tmp_path, postgres.new_database())
    assert db.current_revision(ws.engine) == db.HEAD_REVISION
    assert _diffs(ws.engine) == []
    ws.close()


def test_downgrade_and_upgrade_again(tmp_path):
    from alembic import command

    ws = open_workspace(tmp_path)
    cfg = db.alembic_config(ws.engine)
    command.downgrade(cfg, "base")
    assert db.current_revision(ws.engine) is None
    db.migrate(ws.engine)
    assert db.current_revision(ws.engine) == db.HEAD_REVISION
    ws.close()
