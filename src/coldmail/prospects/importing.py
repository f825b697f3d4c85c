"""The CSV import: every contact arrives with a source and a justification,
suppressed people never arrive, and columns we do not need are dropped and reported."""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from coldmail import audit
from coldmail.errors import BadInput
from coldmail.prospects import csvfile, rowreader, writer
from coldmail.prospects.fields import clean_text
from coldmail.prospects.lists import get_or_create_list
from coldmail.store.db import datetime_binder, is_sqlite, session_scope
from coldmail.store.models import Contact, utcnow
from coldmail.store.workspace import Workspace
from coldmail.suppression import oracle
from coldmail.suppression.oracle import Blocklist, FingerprintCache

BATCH = 2000
# Files from this size on are read in a second process, on the other core, while this one writes;
# it starts at this row (the rows before are read here while it starts).
READER_PROCESS_FROM_BYTES = 2 << 20
READER_STARTS_AT_ROW = 4 * BATCH


class ImportError_(BadInput):
    """The import as a whole cannot run (unknown file, no email column...); nothing was changed."""


# ---------------------------------------------------------------------------- import


@dataclass
class ImportResult:
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    suppressed: int = 0
    rejected: list[dict] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    list_name: str = ""
    no_timezone: int = 0  # rows with neither a country nor a time zone: their window is in UTC
    no_region: int = 0  # rows in the US, Canada or Australia without a state: their window is the main zone's

    def to_json(self) -> dict:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "suppressed": self.suppressed,
            "rejected": self.rejected,
            "dropped_columns": self.dropped_columns,
        }

    def headline(self) -> str:
        """One sentence for a person, the same in the CLI and the TUI."""
        return (f"{self.imported} imported, {self.updated} updated, {self.duplicates} duplicates, "
                f"{self.suppressed} suppressed, {len(self.rejected)} rejected into list {self.list_name!r}.")

    def details(self, limit: int = 50) -> list[str]:
        """What was not stored, and each rejected line (the first `limit` of them)."""
        lines = []
        if self.dropped_columns:
            lines.append(f"Not stored (data minimisation): {', '.join(self.dropped_columns)}")
        if self.no_timezone:
            lines.append(f"Warning: {self.no_timezone} contact(s) have no country or time zone (no Location, City/"
                         "State/Country): they are written to in UTC business hours (see `campaign schedule`)")
        if self.no_region:
            lines.append(f"Warning: {self.no_region} contact(s) in the US, Canada or Australia have no state or "
                         "province: they are written to in the country's main zone's business hours (see "
                         "`campaign schedule`)")
        lines += [f"line {rej['row']}: {rej['reason']}" for rej in self.rejected[:limit]]
        if len(self.rejected) > limit:
            lines.append(f"… and {len(self.rejected) - limit} more (use --json for all)")
        return lines


SUPPRESSIONS_TO_READER = 200_000  # up to this many, the reader process gets them and screens the rows itself


def import_csv(
    ws: Workspace,
    *,
    path: Path,
    list_name: str,
    source: str = "",
    justification: str = "",
    purpose: str = "",
    source_url: str = "",
    source_public: bool | None = None,
    collected_by: str = "",
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import a prospect CSV into a list, in one transaction: the rows that can be read are
    imported, and each rejected row comes back in `rejected` with its line number; when the file
    as a whole is unusable (csvfile.CsvFileError, ImportError_), or the import is interrupted,
    nothing is changed. `collected_by` names the rep (default: collector())."""
    stream = csvfile.open_csv(Path(path))
    collector_name = _collector(ws, collected_by)
    defaults = rowreader.Defaults(
        source=clean_text(source, "source"),
        justification=clean_text(justification, "justification"),
        source_url=clean_text(source_url, "source_url"),
        source_public=source_public,
    )
    to_db = datetime_binder(ws.engine)
    now = utcnow()
    stamp = writer.Stamp(collected_by=collector_name, now=now, now_db=to_db(now), to_db=to_db)
    result = ImportResult(dropped_columns=stream.headers.dropped, list_name=list_name)
    progress = (lambda done: on_progress(done, stream.size)) if on_progress else None
    with contextlib.ExitStack() as stack:
        reader = None
        if stream.size >= READER_PROCESS_FROM_BYTES and sys.executable:
            # Started first, so that its start (a tenth of a second) overlaps this process's work
            # before the rows: the list, the suppressions, and the first rows, which it reads itself.
            reader = _Reader(stream)
            stack.callback(reader.close)
        bind = stack.enter_context(_writer(ws.engine))
        session = stack.enter_context(session_scope(bind))
        sqlite = is_sqlite(bind)
        if sqlite:
            # A bigger page cache keeps the email index in memory during large imports.
            session.connection().exec_driver_sql("PRAGMA cache_size=-65536")
        plist = get_or_create_list(session, name=list_name, actor=ws.actor, purpose=purpose)
        first_new_id = (session.execute(select(func.max(Contact.id))).scalar() or 0) + 1
        stamped = writer.StampedInsert.of(plist.id, stamp) if sqlite else None
        suppressed = oracle.all_fingerprints(session.connection()) if sqlite else None
        fps = FingerprintCache(ws.fingerprint_key)
        blocklist = None if suppressed is None else Blocklist(suppressed, fps)
        if reader:
            # It takes over after the first rows.
            reader.send_job(defaults, ws.fingerprint_key,
                            suppressed if suppressed is None or len(suppressed) <= SUPPRESSIONS_TO_READER else None,
                            start=READER_STARTS_AT_ROW)
        own = rowreader.read_batches(stream, rowreader.Layout.of(stream.headers), defaults, fps.of_email, progress,
                                     result.rejected, BATCH, stop=READER_STARTS_AT_ROW if reader else None)
        stack.callback(own.close)
        batches = itertools.chain(((batch, False, 0, 0) for batch in own),
                                  reader.batches(progress, result.rejected) if reader else ())
        for batch, screened, n_suppressed, n_repeats in batches:
            if not screened:
                blocks = (blocklist if blocklist is not None
                          else Blocklist(set(oracle.reasons_for(session.connection(), fps.of_batch(batch))), fps))
                batch, n_suppressed, n_repeats = rowreader.screen(batch, blocks)
            result.suppressed += n_suppressed
            result.no_timezone += rowreader.unplaced(batch)
            result.no_region += rowreader.region_unsure(batch)
            result.duplicates += n_repeats
            writer.flush_batch(session, kept=batch, list_id=plist.id, first_new_id=first_new_id, stamped=stamped,
                         stamp=stamp, result=result)
        audit.record(
            session,
            actor=ws.actor,
            action="import",
            subject=f"list:{plist.id}",
            detail={k: v for k, v in result.to_json().items() if isinstance(v, int)}
            | {"rejected": len(result.rejected)},
            note=f"file {Path(path).name} into list {plist.name}"
            + (f"; not stored: {', '.join(result.dropped_columns)}" if result.dropped_columns else ""),
        )
    if on_progress:
        on_progress(stream.size, stream.size)
    return result


def collector(ws: Workspace) -> str:
    """Who is recorded as collecting imported contacts when the import does not say: the rep or
    team named at `init` (--collected-by), else the sender, else (no identity yet) who runs coldmail."""
    ctrl = ws.config.controller
    return ctrl.collected_by or ctrl.sender_name or ws.actor


def _collector(ws: Workspace, given: str) -> str:
    name = clean_text(given, "collected_by")
    if len(name) > COLLECTED_BY_MAX:
        raise BadInput(f"--collected-by is {len(name)} characters long; at most {COLLECTED_BY_MAX} are allowed")
    return name or collector(ws)[:COLLECTED_BY_MAX]


COLLECTED_BY_MAX = 100  # the contacts.collected_by column


@contextlib.contextmanager
def _writer(engine):
    """What the import writes through. On SQLite, a connection of its own without foreign-key
    checks, closed afterwards rather than returned to the pool: every contact and membership it
    writes refers to the list it just read and to contacts it just wrote or looked up, and the
    checks were a sixth of the import's time. (A test checks every membership after imports with
    repeats, erasures and several lists.) Elsewhere, the engine."""
    if not is_sqlite(engine):
        yield engine
        return
    conn = engine.connect()
    try:
        conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # outside any transaction
        yield conn
    finally:
        conn.invalidate()  # never back to the pool with the checks off
        conn.close()


class _Reader:
    """rowreader.read_batches from the file's row `start` on, run by `python -m coldmail.prospects.rowreader`
    on the other core: reading, validating and fingerprinting rows cost as much as writing them.
    The process starts at once; its job comes with `send_job()` and its batches with `batches()`.
    The job (including the fingerprint key) goes through its stdin, never its command line; batches
    come back pickled on its stdout. `close()` stops it, however the import ends."""

    def __init__(self, stream: csvfile.CsvStream):
        self.stream = stream
        package_root = str(Path(rowreader.__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
        self.errors = tempfile.TemporaryFile()
        self.child = subprocess.Popen([sys.executable, "-m", "coldmail.prospects.rowreader"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self.errors, env=env)
        self.sender: threading.Thread | None = None

    def send_job(self, defaults: rowreader.Defaults, key: bytes, suppressed: set[str] | None, start: int) -> None:
        # Sent by a thread: with many suppressions the job outgrows the pipe, and this process has
        # its own rows to read meanwhile.
        job = pickle.dumps({"stream": self.stream, "defaults": defaults, "key": key, "size": BATCH,
                            "suppressed": suppressed, "start": start})
        self.sender = threading.Thread(target=self._send, args=(job,), daemon=True)
        self.sender.start()

    def _send(self, job: bytes) -> None:
        try:
            self.child.stdin.write(job)
            self.child.stdin.close()
        except OSError:
            pass  # it died; batches() says how

    def batches(self, progress: Callable[[int], None] | None,
                rejected: list[dict]) -> Iterator[tuple[list[tuple], bool, int, int]]:
        child = self.child
        while True:
            try:
                frame = pickle.load(child.stdout)
            except EOFError:
                child.wait()
                self.errors.seek(0)
                detail = self.errors.read().decode("utf-8", "replace").strip().splitlines()[-1:]
                raise ImportError_(f"{self.stream.path}: the CSV reader stopped (exit code {child.returncode})"
                                   + (f": {detail[0]}" if detail else "")) from None
            kind = frame[0]
            if kind == "batch":
                _kind, batch, screened, n_suppressed, n_repeats, bad, done = frame
                rejected.extend(bad)
                if progress:
                    progress(done)
                yield batch, screened, n_suppressed, n_repeats
            elif kind == "done":
                rejected.extend(frame[1])
                return
            elif kind == "csv_error":
                raise csvfile.CsvFileError(frame[1])
            else:
                raise ImportError_(f"{self.stream.path}: reading the file failed:\n{frame[1]}")

    def close(self) -> None:
        self.child.stdout.close()
        if self.child.poll() is None:
            self.child.kill()
        self.child.wait()
        if self.sender is not None:
            self.sender.join()
        with contextlib.suppress(OSError):
            self.child.stdin.close()
        self.errors.close()


def preview_csv(path: Path, *, rows: int = 5) -> tuple[csvfile.CsvStream, list[dict[str, str]]]:
    """The header mapping and the first rows, for the TUI's import preview."""
    stream = csvfile.open_csv(Path(path))
    sample = []
    for _line, values, _extra in csvfile.iter_rows(stream):
        sample.append(values)
        if len(sample) >= rows:
            break
    return stream, sample
