"""A workspace: its directory, configuration, database engine and fingerprint key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from coldmail.store import db
from coldmail.store.config import DB_NAME, Config, Environment, current_actor, default_home, load_config
from coldmail.store.models import Meta

FINGERPRINT_KEY = "fingerprint_key"


@dataclass
class Workspace:
    home: Path
    config: Config
    engine: Engine
    actor: str
    _key: bytes | None = field(default=None, repr=False)

    @property
    def fingerprint_key(self) -> bytes:
        """The key for suppression fingerprints. It lives in the database, so every teammate
        sharing a PostgreSQL database computes the same fingerprints."""
        if self._key is None:
            self._key = _load_or_create_key(self.engine)
        return self._key

    def reload_config(self) -> None:
        self.config = load_config(self.home)

    def close(self) -> None:
        self.engine.dispose()


def _load_or_create_key(engine: Engine) -> bytes:
    with db.session_scope(engine) as session:
        row = session.get(Meta, FINGERPRINT_KEY)
        if row is None:
            session.add(Meta(key=FINGERPRINT_KEY, value=secrets.token_hex(32)))
            session.flush()
            row = session.execute(select(Meta).where(Meta.key == FINGERPRINT_KEY)).scalar_one()
        return bytes.fromhex(row.value)


def open_workspace(home: Path | None = None, database_url: str | None = None) -> Workspace:
    """Open (creating and migrating on first use) the workspace."""
    env = Environment()
    home = Path(home) if home else default_home()
    home.mkdir(parents=True, exist_ok=True)
    config = load_config(home)
    url = database_url or env.database_url or db.sqlite_url(home / DB_NAME)
    engine = db.make_engine(url)
    db.migrate(engine)
    # Loaded now, not lazily: a lazy load inside a write transaction would wait on itself (SQLite).
    return Workspace(home=home, config=config, engine=engine, actor=current_actor(), _key=_load_or_create_key(engine))
