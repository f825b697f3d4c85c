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


class PathWatch:
    """A --replies path, read at every poll: only the files not read before (new, or changed since)
    are parsed, so a folder or Maildir that keeps every reply costs a listing per poll, not a parse
    of each message (a reply read twice would be a duplicate anyway, found only after parsing it)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.read_before: dict[Path, tuple[int, int]] = {}

    def _files(self) -> dict[Path, tuple[int, int]]:
        p = self.path
        if p.is_dir() and all((p / d).is_dir() for d in ("cur", "new", "tmp")):
            found = [f for d in ("new", "cur") for f in (p / d).iterdir()]  # tmp/: still being delivered
        elif p.is_dir():
            found = list(p.rglob("*"))
        else:
            found = [p]
        out = {}
        for f in found:
            try:
                st = f.stat()
            except OSError:  # gone between the listing and the look (a Maildir client moved it)
                continue
            if f.is_file():
                out[f] = (st.st_size, st.st_mtime_ns)
        return out

    def read(self, ws: Workspace) -> list:
        from coldmail.replies.ingest import import_paths

        if not self.path.exists():
            return import_paths(ws, [self.path])  # reported at every poll until it appears
        files = self._files()
        fresh = {f for f, stamp in files.items() if self.read_before.get(f) != stamp}
        found = import_paths(ws, sorted(fresh)) if fresh else []
        # Files that were read (a failed read is tried again next poll); files gone are forgotten.
        failed = [r.path for r in found if r.error]  # a file's path, or an mbox's path#N

        def ok(f: Path) -> bool:
            return not any(x == str(f) or x.startswith(f"{f}#") for x in failed)

        self.read_before = {f: stamp for f, stamp in files.items() if f not in fresh or ok(f)}
        return found


def sources(ws: Workspace, paths: list[Path], watches: dict[Path, PathWatch] | None = None) -> list[Source]:
    """Every source this sender reads: mailboxes with an IMAP URL, [imap] accounts, --replies paths
    (through `watches`, kept by the sender from one poll to the next, when given)."""
    from coldmail.replies.imap import import_imap, import_mailbox_imap

    watches = {} if watches is None else watches
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
        watch = watches.setdefault(Path(path), PathWatch(Path(path)))
        out.append(Source(f"coldmail-replies:path:{Path(path).resolve()}", f"--replies {path}",
                          lambda w=watch: w.read(ws)))
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
