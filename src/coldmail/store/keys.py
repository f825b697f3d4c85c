"""The workspace's secret keys, kept outside the database they protect.

- The fingerprint key makes suppression fingerprints (HMAC-SHA256). With a copy of the database
  alone, nobody can confirm a guessed address against the fingerprint an erased person left.
- The audit key seals the audit log's hash chain (HMAC), so someone who can write the database can
  neither edit an entry nor recompute the chain after one.

Where they come from, first found first:
1. `COLDMAIL_FINGERPRINT_KEY` and `COLDMAIL_AUDIT_KEY` (64 hex digits each), for containers;
2. the file named by `COLDMAIL_KEY_FILE` (a secret file, for a team on PostgreSQL);
3. `coldmail.keys` in the workspace, created with mode 0600.

The database keeps only a check value per key (an HMAC of a fixed text), so that a wrong or lost
key file is refused instead of silently creating fingerprints that match nobody. A workspace of an
earlier release kept the fingerprint key in the database: it is moved to the key file on first
open, unchanged, so every fingerprint still matches.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from coldmail.errors import ConfigError
from coldmail.store import db

KEY_FILE = "coldmail.keys"
LEGACY_DB_KEY = "fingerprint_key"  # where releases before 0.2 kept the fingerprint key
CHECK = {"fingerprint": "fingerprint_key_check", "audit": "audit_key_check"}
ENV = {"fingerprint": "COLDMAIL_FINGERPRINT_KEY", "audit": "COLDMAIL_AUDIT_KEY"}


@dataclass(frozen=True)
class Keys:
    fingerprint: bytes
    audit: bytes
    source: str  # where they were read from, for messages (never the keys themselves)

    def derive(self, purpose: str) -> bytes:
        """A key for another purpose (unsubscribe tokens...), derived from the fingerprint key so
        that teammates who share the key file share it too."""
        return hmac.new(self.fingerprint, b"coldmail derive " + purpose.encode(), hashlib.sha256).digest()


def check_value(key: bytes, name: str) -> str:
    """What the database keeps to recognise the right key: reveals nothing about addresses."""
    return hmac.new(key, f"coldmail key check {name} v1".encode(), hashlib.sha256).hexdigest()[:32]


def _parse_hex(value: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(value.strip())
    except ValueError:
        raise ConfigError(f"{where}: not a hex key") from None
    if len(key) < 16:
        raise ConfigError(f"{where}: the key is too short (at least 32 hex digits)")
    return key


def _read_file(path: Path) -> dict[str, bytes]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the key file: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a key file is a JSON object of hex keys")
    return {name: _parse_hex(str(data[name]), f"{path}: {name}") for name in ("fingerprint", "audit") if name in data}


def _external(home: Path) -> tuple[dict[str, bytes], str, Path]:
    """The keys found outside the database, where they were found, and the file to write to."""
    found: dict[str, bytes] = {}
    sources = []
    for name, var in ENV.items():
        if os.environ.get(var):
            found[name] = _parse_hex(os.environ[var], f"${var}")
            sources.append(f"${var}")
    named = os.environ.get("COLDMAIL_KEY_FILE")
    path = Path(named).expanduser() if named else home / KEY_FILE
    if path.exists():
        for name, key in _read_file(path).items():
            found.setdefault(name, key)
        sources.append(str(path))
    elif named:
        raise ConfigError(f"$COLDMAIL_KEY_FILE names {path}, which does not exist")
    return found, ", ".join(sources) or str(path), path


def _write_file(path: Path, keys: dict[str, bytes]) -> None:
    """Write the key file readable by its owner only, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({name: key.hex() for name, key in keys.items()}, fh)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _meta(conn, name: str) -> str | None:
    row = conn.execute(text("SELECT value FROM meta WHERE key = :k"), {"k": name}).first()
    return row[0] if row else None


def _has_data(conn) -> bool:
    for table in ("contacts", "suppressions", "requests"):
        if conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first():
            return True
    return False


def load_keys(home: Path, engine: Engine) -> Keys:
    """The workspace's keys, checked against the database; created for a new workspace, moved out of
    the database for a workspace of an earlier release. A ConfigError names what is missing."""
    found, source, path = _external(home)
    with db.session_scope(engine) as session:
        conn = session.connection()
        legacy = _meta(conn, LEGACY_DB_KEY)
        checks = {name: _meta(conn, CHECK[name]) for name in CHECK}
        external = set(found)
        if legacy:
            legacy_key = bytes.fromhex(legacy)
            if "fingerprint" in found and found["fingerprint"] != legacy_key:
                raise ConfigError(f"the fingerprint key in {source} is not this workspace's: "
                                  "its suppressions would match nobody")
            found["fingerprint"] = legacy_key
        missing = [name for name in CHECK if name not in found]
        if "fingerprint" in missing and (checks["fingerprint"] or _has_data(conn)):
            raise ConfigError(
                f"this workspace's fingerprint key is missing (looked in {source}). Restore the file "
                f"{KEY_FILE} from a backup, or point $COLDMAIL_KEY_FILE at the team's key file; without it "
                "suppressed and erased people could not be recognised, so coldmail will not run")
        if "audit" in missing and checks["audit"]:
            raise ConfigError(f"this workspace's audit key is missing (looked in {source}); restore {KEY_FILE}")
        for name in missing:
            found[name] = secrets.token_bytes(32)
        for name, key in found.items():
            if checks[name] and checks[name] != check_value(key, name):
                raise ConfigError(f"the {name} key in {source} is not this workspace's key")
        unsaved = [name for name in CHECK if name not in external]
        if unsaved:
            if os.environ.get("COLDMAIL_KEY_FILE") or any(os.environ.get(v) for v in ENV.values()):
                raise ConfigError(
                    f"{source} lacks the {' and '.join(unsaved)} key. Open the workspace once without "
                    f"$COLDMAIL_KEY_FILE and the key variables, so that coldmail writes {KEY_FILE}, then "
                    "share that file with the team")
            _write_file(path, found)
            source = str(path)
        for name, key in found.items():
            if not checks[name]:
                conn.execute(text("INSERT INTO meta (key, value) VALUES (:k, :v)"),
                             {"k": CHECK[name], "v": check_value(key, name)})
        if legacy:
            # The key now lives in the key file, written and synced above; the database forgets it.
            conn.execute(text("DELETE FROM meta WHERE key = :k"), {"k": LEGACY_DB_KEY})
    if legacy and db.is_sqlite(engine):
        db.checkpoint(engine)  # and its bytes leave the WAL (secure_delete zeroed the page)
    return Keys(fingerprint=found["fingerprint"], audit=found["audit"], source=source)
