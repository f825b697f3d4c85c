"""A read-only way into a SQLite workspace with the standard library alone, for the commands that
must answer in a blink (`suppression check`, `contacts show`, `where`): SQLAlchemy and SQLModel cost
about a third of a second to import, more than the whole answer may take.

`where` also needs coldmail.toml, which pydantic validates (another tenth of a second). Its plain
path leaves a snapshot of the validated settings it used (SETTINGS_SNAPSHOT, in the workspace),
stamped with the hashes of coldmail.toml and of the code that validates it (store/config.py); the
short way uses the snapshot only while both are unchanged, and otherwise steps aside.

`open_reader` returns None whenever it cannot be sure the plain path would read the same thing: a
database URL in the environment (PostgreSQL), no database yet, a schema that is not at the head
revision, a key that is missing or is not the workspace's, an audit log not yet sealed. The command
then opens the workspace the usual way (`_common.ws`), which migrates, checks the keys and words the
errors. Nothing here writes. Tests pin the constants below to their homes in `store`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

DB_NAME = "coldmail.db"  # store.config.DB_NAME
CONFIG_NAME = "coldmail.toml"  # store.config.CONFIG_NAME
KEY_FILE = "coldmail.keys"  # store.keys.KEY_FILE
STORE = Path(__file__).resolve().parent.parent / "store"
VERSIONS = STORE / "migrations" / "versions"
SETTINGS_SNAPSHOT = ".coldmail-settings.json"


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


# ---------------------------------------------------------------------------- settings snapshot


def _config_stamp(where: Path) -> str | None:
    """A hash of coldmail.toml (or of its absence) and of store/config.py, which validates it."""
    digest = hashlib.sha256()
    try:
        digest.update((STORE / "config.py").read_bytes())
        try:
            digest.update(b"\0toml\0" + (where / CONFIG_NAME).read_bytes())
        except FileNotFoundError:
            digest.update(b"\0no toml")
    except OSError:
        return None
    return digest.hexdigest()


def settings_snapshot(where: Path) -> dict | None:
    """The settings the plain path last validated, while coldmail.toml and its validation are unchanged."""
    stamp = _config_stamp(where)
    try:
        saved = json.loads((where / SETTINGS_SNAPSHOT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stamp is None or not isinstance(saved, dict) or saved.get("stamp") != stamp:
        return None
    settings = saved.get("settings")
    return settings if isinstance(settings, dict) else None


def remember_settings(where: Path, settings_of) -> None:
    """Write the snapshot: `settings_of(config)` of coldmail.toml validated again now, between two
    identical stamps (so a file edited meanwhile is never stamped with older settings). Best effort:
    a workspace that cannot be written to keeps answering the plain way."""
    from coldmail.errors import ColdmailError
    from coldmail.store.config import load_config

    stamp = _config_stamp(where)
    try:
        settings = settings_of(load_config(where))
    except ColdmailError:
        return
    if stamp is None or _config_stamp(where) != stamp:
        return
    target = where / SETTINGS_SNAPSHOT
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps({"stamp": stamp, "settings": settings}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def read_configured(fn, workspace, settings_of):
    """`fn(execute, fingerprint_key, settings, home)` over the fast reader and the settings snapshot
    when both can be used, else over the workspace opened the usual way with `settings_of(config)`
    (and then the snapshot is refreshed for the next time); returns what `fn` returns."""
    where = home()
    settings = settings_snapshot(where)
    reader = open_reader() if settings is not None else None
    if reader is not None:
        try:
            return fn(reader.execute, reader.fingerprint_key, settings, where)
        finally:
            reader.close()
    from coldmail.contacts.views import session_execute
    from coldmail.store import db

    opened = workspace()
    remember_settings(opened.home, settings_of)
    with db.session_scope(opened.engine, write=False) as session:
        return fn(session_execute(session), opened.fingerprint_key, settings_of(opened.config), opened.home)
