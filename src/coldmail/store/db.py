"""Engine construction and migrations. Nothing connects at import time."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import DateTime, event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

# The newest migration in coldmail/migrations/versions. A test checks it against Alembic's head,
# so that ordinary commands can skip importing Alembic when the database is already current.
HEAD_REVISION = "0009"

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
PAGE_SIZE = 16384


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """Build an engine; SQLite gets WAL, foreign keys and secure_delete (erased bytes are zeroed)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised everywhere
            # Let SQLAlchemy's transactions be real: BEGIN is emitted by us (see below).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            # 16 KiB pages for a new database (an existing one keeps its own): a large import's
            # commit, which writes every page to the WAL and then into the file, takes a third
            # less time than with 4 KiB pages.
            cur.execute(f"PRAGMA page_size={PAGE_SIZE}")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover
            # Writers take the lock up front (IMMEDIATE), so check-then-write sequences
            # (suppression check + claim, audit chain append) cannot interleave;
            # readers use a deferred BEGIN and never wait for a long import.
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine, *, write: bool = True):
    """One unit of work: commit on success, roll back on any error."""
    bind = engine.execution_options(sqlite_immediate=True) if write else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except Exception:  # noqa: BLE001 - no table yet means a fresh database
            conn.rollback()
            return None
    return row[0] if row else None


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest schema; a no-op (without importing Alembic) when current."""
    if current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


# The tables erasure deletes from or rewrites.
ERASED_TABLES = ("contacts", "list_members", "messages", "replies", "requests", "suppressions", "audit_notes",
                 "campaigns")


def vacuum_after_erasure(engine: Engine) -> None:
    """PostgreSQL keeps deleted and updated rows as dead tuples until VACUUM: run it on the tables
    erasure touched, so that no row version holds the person. VACUUM marks their space free; the
    bytes stay in the data files until reused, and in WAL archives and backups until those rotate,
    which coldmail cannot reach (README: "Erasure on PostgreSQL"). SQLite: see `checkpoint`."""
    if is_sqlite(engine):
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM " + ", ".join(ERASED_TABLES))


def checkpoint(engine: Engine) -> bool:
    """Fold the SQLite WAL into the main file and truncate it, so erased bytes leave the WAL too.
    False when another connection kept part of the WAL busy."""
    if not is_sqlite(engine):
        return True
    with engine.connect() as conn:
        busy, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    return busy == 0


def datetime_binder(engine):
    """The dialect's own conversion of a datetime to a driver value (SQLite stores text)."""
    proc = DateTime(timezone=True).dialect_impl(engine.dialect).bind_processor(engine.dialect)
    return proc or (lambda v: v)
