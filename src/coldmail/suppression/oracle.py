"""The one answer to "is this address suppressed?" (by itself, its domain or a parent domain).

Every path that decides whether to import or send asks here:
- `find`: the plain answer for one address (the earliest entry covering it), for the CLI, the TUI,
  answers to data subjects and the contact view;
- `reasons_for`: many fingerprints in one query, for the claim of due messages and the import on
  PostgreSQL (with `screening.Blocklist` over the result);
- `all_fingerprints`: the whole list in memory for the import on SQLite, screened by
  `screening.Blocklist` (also in the import's reader process, which has no database);
- `SuppressionWatch`: the last look before DATA, for suppressions added since the claim;
- `lookup`: `find`'s answer (reason and time) for an address or an `@domain`, in plain SQL over any
  `execute(sql, params)`, so that `suppression check` and `contacts show` can answer from a bare
  sqlite3 connection without loading SQLAlchemy (about a third of a second of start-up).

`tests/test_suppression_oracle.py` pins every path to `find` over random addresses and lists.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from coldmail.suppression.fingerprints import domain_fingerprints
from coldmail.suppression.screening import Blocklist, FingerprintCache, candidate_fingerprints

if TYPE_CHECKING:  # SQLAlchemy is loaded by the paths that use it, not by `lookup`'s callers
    from sqlmodel import Session

    from coldmail.store.models import Suppression

__all__ = ["Blocklist", "FingerprintCache", "SuppressionWatch", "all_fingerprints", "candidate_fingerprints",
           "find", "lookup", "reasons_for", "target_fingerprints"]

# Up to this many entries, the import holds the whole list in memory (about 130 bytes each).
IN_MEMORY_LIMIT = 1_000_000


def find(session: Session, key: bytes, email: str) -> Suppression | None:
    """The earliest suppression covering this (normalised) address, or None."""
    from sqlalchemy import select

    from coldmail.store.models import Suppression

    stmt = (
        select(Suppression)
        .where(Suppression.fingerprint.in_(candidate_fingerprints(key, email)))
        .order_by(Suppression.created_at, Suppression.id)
        .limit(1)
    )
    return session.execute(stmt).scalars().first()


def target_fingerprints(key: bytes, target: str) -> list[str]:
    """The fingerprints that would suppress `target`: a normalised address (itself, its domain and
    parents, as `candidate_fingerprints`) or an `@domain` (the domain and its parents)."""
    if target.startswith("@"):
        return domain_fingerprints(key, target[1:])
    return candidate_fingerprints(key, target)


def lookup(execute: Callable[[str, dict], list], key: bytes, target: str) -> tuple[str, datetime] | None:
    """(reason, since) of the earliest suppression covering `target` (a normalised address or
    `@domain`), or None: `find`'s answer in plain SQL. `execute(sql, params)` runs SQL with `:name`
    parameters and returns the rows (a sqlite3 connection's, or a SQLAlchemy session's `text`)."""
    fps = target_fingerprints(key, target)
    names = ", ".join(f":f{i}" for i in range(len(fps)))
    rows = execute(
        f"SELECT reason, created_at FROM suppressions WHERE fingerprint IN ({names}) ORDER BY created_at, id LIMIT 1",
        {f"f{i}": fp for i, fp in enumerate(fps)})
    if not rows:
        return None
    reason, since = rows[0]
    if isinstance(since, str):  # SQLite without SQLAlchemy's types
        since = datetime.fromisoformat(since)
    return reason, since if since.tzinfo else since.replace(tzinfo=UTC)


def reasons_for(conn, fingerprints: Iterable[str]) -> dict[str, str]:
    """{fingerprint: reason} for those of `fingerprints` that are on the list, in one query (one
    parameter, whatever the count: json_each on SQLite, ANY(array) on PostgreSQL)."""
    values = list(set(fingerprints))
    if not values:
        return {}
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(
            "SELECT fingerprint, reason FROM suppressions WHERE fingerprint = ANY(%s)", (values,))
    else:
        rows = conn.exec_driver_sql(
            "SELECT fingerprint, reason FROM suppressions WHERE fingerprint IN (SELECT value FROM json_each(?))",
            (json.dumps(values),))
    return dict(rows.all())


def all_fingerprints(conn) -> set[str] | None:
    """Every suppression fingerprint, or None when there are more than IN_MEMORY_LIMIT. The caller
    must hold the write lock (SQLite's BEGIN IMMEDIATE) for the set to stay current; on PostgreSQL
    another process may add an entry at any moment, so there each batch asks `reasons_for`."""
    if conn.exec_driver_sql("SELECT count(*) FROM suppressions").scalar_one() > IN_MEMORY_LIMIT:
        return None
    return {fp for (fp,) in conn.exec_driver_sql("SELECT fingerprint FROM suppressions")}


class SuppressionWatch:
    """The last look before DATA: was this address suppressed since its claim?

    On SQLite, writes are serialised, so suppression ids grow in commit order: one cheap query for
    the ids above a watermark keeps an in-memory set current. On PostgreSQL ids are not committed in
    order, so each address is looked up directly (an indexed lookup on the fingerprint)."""

    def __init__(self, engine):
        self.raw = engine.raw_connection()
        self.pg = engine.dialect.name == "postgresql"
        self.late: dict[str, str] = {}
        cur = self.raw.cursor()
        cur.execute("SELECT coalesce(max(id), 0) FROM suppressions")
        self.mark = cur.fetchone()[0]
        cur.close()
        if self.pg:
            self.raw.commit()

    def hit(self, fingerprints: list[str]) -> str | None:
        """The reason of a suppression added since this watch began that covers one of the
        fingerprints, or None."""
        cur = self.raw.cursor()
        try:
            if self.pg:
                cur.execute("SELECT reason FROM suppressions WHERE fingerprint = ANY(%s) LIMIT 1", (fingerprints,))
                row = cur.fetchone()
                self.raw.commit()
                return row[0] if row else None
            cur.execute("SELECT id, fingerprint, reason FROM suppressions WHERE id > ?", (self.mark,))
            for sid, fp, reason in cur.fetchall():
                self.late[fp] = reason
                self.mark = max(self.mark, sid)
        finally:
            cur.close()
        return next((self.late[fp] for fp in fingerprints if fp in self.late), None)

    def close(self) -> None:
        self.raw.close()
