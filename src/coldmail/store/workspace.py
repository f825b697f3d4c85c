"""A workspace: its directory, configuration, database engine and keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from coldmail.store import db
from coldmail.store.config import DB_NAME, Config, Environment, current_actor, default_home, load_config
from coldmail.store.keys import Keys, load_keys


@dataclass
class Workspace:
    home: Path
    config: Config
    engine: Engine
    actor: str
    keys: Keys = field(repr=False)

    @property
    def fingerprint_key(self) -> bytes:
        """The key for suppression fingerprints, from outside the database (`store.keys`)."""
        return self.keys.fingerprint

    @property
    def audit_key(self) -> bytes:
        """The key that seals the audit log's chain."""
        return self.keys.audit

    def reload_config(self) -> None:
        self.config = load_config(self.home)

    def close(self) -> None:
        self.engine.dispose()


def open_workspace(home: Path | None = None, database_url: str | None = None) -> Workspace:
    """Open (creating and migrating on first use) the workspace, with its keys."""
    env = Environment()
    home = Path(home) if home else default_home()
    home.mkdir(parents=True, exist_ok=True)
    config = load_config(home)
    url = database_url or env.database_url or db.sqlite_url(home / DB_NAME)
    engine = db.make_engine(url)
    db.migrate(engine)
    # Loaded now, not lazily: a lazy load inside a write transaction would wait on itself (SQLite).
    keys = load_keys(home, engine)
    actor = current_actor()
    from coldmail.audit import log, reseal

    log.use_key(engine, keys.audit)
    reseal.ensure_sealed(engine, key=keys.audit, actor=actor)
    return Workspace(home=home, config=config, engine=engine, actor=actor, keys=keys)
