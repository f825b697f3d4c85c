"""A read-only way into a SQLite workspace with the standard library alone, for the commands that
must answer in a blink (`suppression check`, `contacts show`): SQLAlchemy and SQLModel cost about a
third of a second to import, more than the whole answer may take.

`open_reader` returns None whenever it cannot be sure the plain path would read the same thing: a
database URL in the environment (PostgreSQL), no database yet, a schema that is not at the head
revision, a key that is missing or is not the workspace's, an audit log not yet sealed. The command
then opens the workspace the usual way (`_common.ws`), which migrates, checks the keys and words the
errors. Nothing here writes. Tests pin the constants below to their homes in `store`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

DB_NAME = "coldmail.db"  # store.config.DB_NAME
KEY_FILE = "coldmail.keys"  # store.keys.KEY_FILE
VERSIONS = Path(__file__).resolve().parent.parent / "store" / "migrations" / "versions"


@dataclass
class Reader:
    conn: sqlite3.Connection
    fingerprint_key: bytes

    def execute(self, sql: str, params: dict) -> list:
        return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        self.conn.close()


def _env(name: str) -> str | None:
    """pydantic-settings reads `COLDMAIL_*` case-insensitively; so do we."""
    for key, value in os.environ.items():
        if key.upper() == name and value:
            return value
    return None


def home() -> Path:
    """store.config.default_home, without pydantic."""
    named = _env("COLDMAIL_HOME")
    if named:
        return Path(named).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("coldmail", appauthor=False))


def head_revision() -> str:
    """The newest migration's revision (store.db.HEAD_REVISION; a test checks they agree)."""
    return max(p.name.split("_", 1)[0] for p in VERSIONS.glob("[0-9]*_*.py"))


def check_value(key: bytes, name: str) -> str:
    """store.keys.check_value (a test checks they agree)."""
    return hmac.new(key, f"coldmail key check {name} v1".encode(), hashlib.sha256).hexdigest()[:32]


def _fingerprint_key(where: Path) -> bytes | None:
    value = _env("COLDMAIL_FINGERPRINT_KEY")
    if value is None:
        named = _env("COLDMAIL_KEY_FILE")
        path = Path(named).expanduser() if named else where / KEY_FILE
        try:
            value = json.loads(path.read_text(encoding="utf-8"))["fingerprint"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
    try:
        key = bytes.fromhex(str(value).strip())
    except ValueError:
        return None
    return key if len(key) >= 16 else None


def open_reader() -> Reader | None:
    """A read-only sqlite3 connection to the workspace and its fingerprint key, or None (see above)."""
    if _env("COLDMAIL_DATABASE_URL"):
        return None
    where = home()
    path = where / DB_NAME
    key = _fingerprint_key(where)
    if key is None or not path.is_file():
        return None
    conn = None
    try:
        conn = sqlite3.connect(path, timeout=30)
        conn.execute("PRAGMA query_only=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        meta = dict(conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('fingerprint_key_check', 'fingerprint_key', 'audit_seal')"))
        if (version != [(head_revision(),)] or "fingerprint_key" in meta
                or meta.get("fingerprint_key_check") != check_value(key, "fingerprint")
                or meta.get("audit_seal") != "hmac-sha256-v1"):
            conn.close()
            return None
    except sqlite3.Error:
        if conn is not None:
            conn.close()
        return None
    return Reader(conn=conn, fingerprint_key=key)


def read(fn, workspace):
    """`fn(execute, fingerprint_key)` over the fast reader when it can be used, else inside a
    read-only session of `workspace()` (the workspace opened the usual way); returns what `fn` returns."""
    reader = open_reader()
    if reader is not None:
        try:
            return fn(reader.execute, reader.fingerprint_key)
        finally:
            reader.close()
    from coldmail.contacts.views import session_execute
    from coldmail.store import db

    opened = workspace()
    with db.session_scope(opened.engine, write=False) as session:
        return fn(session_execute(session), opened.fingerprint_key)
