"""Where `coldmail run` reads replies: each sending mailbox's own IMAP inbox (`mailbox add … --imap`),
the [imap.NAME] accounts, and the --replies paths. On PostgreSQL several senders share one database:
each source is read by one of them at a time (a lock per source, taken without waiting; the others
leave it to the one reading it), so no reply is recorded twice and no sender stops on the race."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from coldmail.errors import ColdmailError
from coldmail.outreach import mailboxes
from coldmail.store.workspace import Workspace


@dataclass(frozen=True)
class Source:
    """One place replies arrive: `key` names it for the lock, `label` for the log (no address)."""

    key: str
    label: str
    read: Callable[[], list]


def sources(ws: Workspace, paths: list[Path]) -> list[Source]:
    """Every source this sender reads: mailboxes with an IMAP URL, [imap] accounts, --replies paths."""
    from coldmail.replies.imap import import_imap, import_mailbox_imap
    from coldmail.replies.ingest import import_paths

    out = []
    for box in mailboxes.configured(ws.config):
        if box.imap:
            out.append(Source(f"coldmail-replies:mailbox:{box.name}", f"mailbox {box.name} (IMAP)",
                              lambda b=box: import_mailbox_imap(ws, mailbox=b.name, url=b.imap,
                                                                password_env=b.password_env,
                                                                require_tls=ws.config.smtp.require_tls)))
    for account in sorted(ws.config.imap):
        out.append(Source(f"coldmail-replies:imap:{account}", f"IMAP {account}",
                          lambda a=account: import_imap(ws, a)))
    for path in paths:
        out.append(Source(f"coldmail-replies:path:{Path(path).resolve()}", f"--replies {path}",
                          lambda p=path: import_paths(ws, [Path(p)])))
    return out


@contextmanager
def turn(ws: Workspace, key: str) -> Iterator[bool]:
    """True when this sender may read the source now. PostgreSQL: a session advisory lock held while
    it reads (False at once when another sender holds it). SQLite: always True (its writes are
    serialised, so two readers of one source record each reply once)."""
    if ws.engine.dialect.name != "postgresql":
        yield True
        return
    with ws.engine.connect() as conn:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(hashtext(:k))"), {"k": key}).scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": key})
                conn.commit()


def trouble(exc: BaseException) -> str:
    """What the log says about a source that could not be read: a person's message, or the error's
    kind and first line (never its SQL parameters, which may hold an address)."""
    if isinstance(exc, ColdmailError):
        return str(exc)
    first = (str(exc).splitlines() or [""])[0][:200]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
