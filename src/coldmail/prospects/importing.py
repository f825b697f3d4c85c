"""Prospect lists and the CSV import: every contact arrives with a source and a justification,
suppressed people never arrive, and columns we do not need are dropped and reported."""

from __future__ import annotations

import contextlib
import itertools
import json
import operator
import os
import pickle
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import DateTime, bindparam, func, select, update
from sqlmodel import Session

from coldmail import audit
from coldmail.errors import BadInput
from coldmail.prospects import csvfile, rowreader
from coldmail.prospects.rowreader import MAX_LEN, RowError, clean_text, normalize_country  # noqa: F401 - re-exported
from coldmail.store.db import is_sqlite, session_scope
from coldmail.store.models import Contact, ListMember, ProspectList, utcnow
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


# ---------------------------------------------------------------------------- lists


@dataclass(frozen=True)
class ListView:
    id: int
    name: str
    purpose: str
    geography: str
    industry: str
    company_size: str
    roles: str
    lia_purpose: str
    lia_necessity: str
    lia_balancing: str
    lia_recorded_by: str
    lia_recorded_at: datetime | None
    contacts: int = 0

    @property
    def lia_complete(self) -> bool:
        return not lia_missing(self)


def lia_missing(plist) -> list[str]:
    """The parts of a list's legitimate-interests assessment not yet recorded (`plist`: a
    ProspectList row or a ListView)."""
    return [part for part, text in (("interest", plist.lia_purpose), ("necessity", plist.lia_necessity),
                                    ("balancing", plist.lia_balancing)) if not text]


def _list_view(row: ProspectList, contacts: int = 0) -> ListView:
    return ListView(
        id=row.id,
        name=row.name,
        purpose=row.purpose,
        geography=row.geography,
        industry=row.industry,
        company_size=row.company_size,
        roles=row.roles,
        lia_purpose=row.lia_purpose,
        lia_necessity=row.lia_necessity,
        lia_balancing=row.lia_balancing,
        lia_recorded_by=row.lia_recorded_by,
        lia_recorded_at=row.lia_recorded_at,
        contacts=contacts,
    )


def get_or_create_list(session: Session, *, name: str, actor: str, purpose: str = "") -> ProspectList:
    name = name.strip()
    if not name or len(name) > 100:
        raise ImportError_("a list name of 1 to 100 characters is required (--list)")
    row = session.execute(select(ProspectList).where(ProspectList.name == name)).scalars().first()
    if row is None:
        row = ProspectList(name=name, purpose=purpose.strip()[:1000], created_by=actor, created_at=utcnow())
        session.add(row)
        session.flush()
        audit.record(session, actor=actor, action="list.create", subject=f"list:{row.id}", detail={"name": name})
    elif purpose and not row.purpose:
        row.purpose = purpose.strip()[:1000]
    return row


def update_list(ws: Workspace, *, name: str, **fields: str) -> ListView:
    """Set a list's purpose, targeting criteria and legitimate-interests assessment."""
    allowed = {
        "purpose", "geography", "industry", "company_size", "roles",
        "lia_purpose", "lia_necessity", "lia_balancing",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise BadInput(f"unknown list fields: {', '.join(sorted(unknown))}")
    with session_scope(ws.engine) as session:
        row = get_or_create_list(session, name=name, actor=ws.actor)
        changed = {k: v.strip() for k, v in fields.items() if v is not None}
        for key, value in changed.items():
            limit = ProspectList.model_fields[key].metadata
            max_len = next((m.max_length for m in limit if hasattr(m, "max_length")), 2000)
            if len(value) > max_len:
                raise BadInput(f"{key}: at most {max_len} characters")
            setattr(row, key, value)
        if any(k.startswith("lia_") for k in changed):
            row.lia_recorded_by = ws.actor
            row.lia_recorded_at = utcnow()
        audit.record(
            session, actor=ws.actor, action="list.update", subject=f"list:{row.id}",
            detail={"fields": sorted(changed)},
        )
        session.flush()
        return _list_view(row, _count_members(session, row.id))


def _count_members(session: Session, list_id: int) -> int:
    return session.execute(
        select(func.count()).select_from(ListMember).where(ListMember.list_id == list_id)
    ).scalar_one()


def get_list(ws: Workspace, name: str) -> ListView | None:
    with session_scope(ws.engine, write=False) as session:
        row = session.execute(select(ProspectList).where(ProspectList.name == name)).scalars().first()
        return _list_view(row, _count_members(session, row.id)) if row else None


def all_lists(ws: Workspace) -> list[ListView]:
    with session_scope(ws.engine, write=False) as session:
        counts = dict(
            session.execute(
                select(ListMember.list_id, func.count()).group_by(ListMember.list_id)
            ).all()
        )
        rows = session.execute(select(ProspectList).order_by(ProspectList.name)).scalars()
        return [_list_view(r, counts.get(r.id, 0)) for r in rows]


# ---------------------------------------------------------------------------- cleaning


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
        lines += [f"line {rej['row']}: {rej['reason']}" for rej in self.rejected[:limit]]
        if len(self.rejected) > limit:
            lines.append(f"… and {len(self.rejected) - limit} more (use --json for all)")
        return lines


_INSERT_FIELDS = rowreader.RECORD
_COLLECTED = rowreader.SLOT["collected_at"]


@dataclass(frozen=True)
class _Stamp:
    """Who imports and when, as the database takes it."""

    actor: str
    now: datetime
    now_db: object  # `now` as the database driver takes it
    to_db: Callable  # a datetime as the database driver takes it


def _datetime_binder(engine):
    """The dialect's own conversion of a datetime to a driver value (SQLite stores text)."""
    proc = DateTime(timezone=True).dialect_impl(engine.dialect).bind_processor(engine.dialect)
    return proc or (lambda v: v)


def _mark(conn) -> str:
    """The driver's parameter placeholder."""
    return "%s" if conn.dialect.paramstyle in ("format", "pyformat") else "?"


def _in_values(conn, sql: str, values: list, params: tuple = ()):
    """Run `sql` with `{in}` standing for a list of values, passed as one parameter rather than
    thousands (after `params`): json_each on SQLite, ANY(array) on PostgreSQL."""
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql(sql.replace("{in}", "= ANY(%s)"), (*params, values))
    return conn.exec_driver_sql(sql.replace("{in}", "IN (SELECT value FROM json_each(?))"), (*params, json.dumps(values)))


def _insert_sql(conn) -> str:
    cols = (*_INSERT_FIELDS, "list_id", "collected_by", "status", "created_at", "updated_at")
    return f"INSERT INTO contacts ({', '.join(cols)}) VALUES ({', '.join([_mark(conn)] * len(cols))})"


def _flush_batch(
    session: Session,
    *,
    kept: list[tuple],
    list_id: int,
    first_new_id: int,
    stamped: _StampedInsert | None,
    stamp: _Stamp,
    result: ImportResult,
) -> None:
    """Write one screened batch (rowreader.screen: no suppressed people, each address once): on
    SQLite (`stamped`) with _write_sqlite; elsewhere the held addresses are looked up first, and
    list membership is inserted from a select by address."""
    if not kept:
        return
    conn = session.connection()
    if stamped is not None:
        _write_sqlite(conn, kept, stamped, list_id=list_id, first_new_id=first_new_id, stamp=stamp, result=result)
        return
    # Which are already held: from before this import (updated) or earlier in this file (duplicate).
    emails = [rec[0] for rec in kept]
    existing = dict(_in_values(conn, "SELECT email, id FROM contacts WHERE email {in}", emails).all())
    new_rows, changes = [], []
    for rec in kept:
        cid = existing.get(rec[0])
        if cid is None:
            new_rows.append(_insert_row(rec, list_id, stamp))
        else:
            _repeat(rec, cid, first_new_id, stamp, result, changes)
    if new_rows:
        conn.exec_driver_sql(_insert_sql(conn), new_rows)
        result.imported += len(new_rows)
    _apply_changes(conn, changes)
    # List membership for every kept row, new or old.
    mark = _mark(conn)
    _in_values(
        conn,
        f"INSERT INTO list_members (list_id, contact_id, added_at) SELECT {mark}, id, {mark} FROM contacts "
        "WHERE email {in} ON CONFLICT DO NOTHING",
        emails,
        (list_id, stamp.now_db),
    )


ROWS_PER_STATEMENT = 100


def _text_literal(value: str) -> str:
    """`value` as an SQLite text literal, spelled in hex so that no character of it can end it."""
    return f"CAST(X'{value.encode('utf-8').hex()}' AS TEXT)"


@dataclass(frozen=True)
class _StampedInsert:
    """SQLite's insert of records as rowreader makes them, bound as they are. The import's list,
    actor and time are written into the statement, so no per-row copy adds them (selecting them
    from a table instead costs a fifth more), and ROWS_PER_STATEMENT rows go in one statement (a
    fifth less time than one at a time). Addresses already held are skipped (ON CONFLICT DO
    NOTHING)."""

    one: str
    many: str

    @classmethod
    def of(cls, list_id: int, stamp: _Stamp) -> _StampedInsert:
        now = _text_literal(stamp.now_db)
        values = ", ".join(f"coalesce(?, {now})" if name == "collected_at" else "?" for name in _INSERT_FIELDS)
        row = f"({values}, {int(list_id)}, {_text_literal(stamp.actor)}, 'new', {now}, {now})"
        head = (f"INSERT INTO contacts ({', '.join(_INSERT_FIELDS)}, list_id, collected_by, status, created_at, "
                "updated_at) VALUES ")
        tail = " ON CONFLICT (email) DO NOTHING"
        return cls(one=head + row + tail, many=head + ", ".join([row] * ROWS_PER_STATEMENT) + tail)

    def run(self, conn, records: list[tuple]) -> int:
        """Insert the records; returns how many were new."""
        whole = len(records) - len(records) % ROWS_PER_STATEMENT
        inserted = 0
        if whole:
            # Each statement's parameters: the records' values in one stream, cut every `step` by
            # zip (one C loop, no copy of the whole batch first; strict: they fill whole statements).
            values = itertools.chain.from_iterable(records[:whole])
            step = ROWS_PER_STATEMENT * len(_INSERT_FIELDS)
            inserted += conn.exec_driver_sql(self.many, list(zip(*[values] * step, strict=True))).rowcount
        if whole < len(records):
            inserted += conn.exec_driver_sql(self.one, records[whole:]).rowcount
        return inserted


_HAS_DATE = operator.itemgetter(_COLLECTED)


def _write_sqlite(conn, kept: list[tuple], insert: _StampedInsert, *, list_id: int, first_new_id: int,
                  stamp: _Stamp, result: ImportResult) -> None:
    """Insert the batch's records as they are (_StampedInsert), and put the new contacts on the list
    in one statement. SQLite gives each new row the next id after the largest, and the import holds
    the write lock from its first statement, so the contacts above the largest id before the batch
    are exactly the ones it just wrote. Only when some were skipped are they looked up, to update
    them and to put the ones from before this import on the list."""
    before = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM contacts").scalar_one()
    if any(map(_HAS_DATE, kept)):  # only files with a collected_at column
        kept = [(*rec[:_COLLECTED], None if rec[_COLLECTED] is None else stamp.to_db(rec[_COLLECTED]),
                 *rec[_COLLECTED + 1:]) for rec in kept]
    inserted = insert.run(conn, kept)
    result.imported += inserted
    if inserted:
        conn.exec_driver_sql("INSERT INTO list_members (list_id, contact_id, added_at) SELECT ?, id, ? FROM contacts "
                             "WHERE id > ?", (list_id, stamp.now_db, before))
    if inserted == len(kept):
        return
    held = dict(_in_values(conn, "SELECT email, id FROM contacts WHERE id <= ? AND email {in}",
                           [rec[0] for rec in kept], (before,)).all())
    changes: list[dict] = []
    for rec in kept:
        cid = held.get(rec[0])
        if cid is not None:
            _repeat(rec, cid, first_new_id, stamp, result, changes)
    _apply_changes(conn, changes)
    earlier = [(list_id, change["b_id"], stamp.now_db) for change in changes if change["b_id"] < first_new_id]
    if earlier:
        conn.exec_driver_sql(
            "INSERT INTO list_members (list_id, contact_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", earlier)


def _insert_row(rec: tuple, list_id: int, stamp: _Stamp) -> tuple:
    """The record as _insert_sql's columns (without the id) take it."""
    collected = rec[_COLLECTED]
    collected = stamp.now_db if collected is None else stamp.to_db(collected)
    return (*rec[:_COLLECTED], collected, *rec[_COLLECTED + 1:], list_id, stamp.actor, "new", stamp.now_db,
            stamp.now_db)


def _repeat(rec: tuple, cid: int, first_new_id: int, stamp: _Stamp, result: ImportResult,
            changes: list[dict]) -> None:
    """An address already held: from before this import (updated) or earlier in this file
    (duplicate). A repeat refreshes the person's details and keeps the first provenance."""
    if cid >= first_new_id:
        result.duplicates += 1
    else:
        result.updated += 1
    change = {f"b_{name}": rec[slot] for name, slot in rowreader.UPDATED_ON_REPEAT}
    change.update(b_id=cid, b_now=stamp.now)
    changes.append(change)


def _apply_changes(conn, changes: list[dict]) -> None:
    if not changes:
        return
    table = Contact.__table__
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            **{name: func.coalesce(func.nullif(bindparam(f"b_{name}"), ""), table.c[name])
               for name, _slot in rowreader.UPDATED_ON_REPEAT},
            updated_at=bindparam("b_now"),
        )
    )
    conn.execute(stmt, changes)


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
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import a prospect CSV into a list, all or nothing.

    Raises csvfile.CsvFileError or ImportError_ when the file as a whole is unusable; bad rows
    are returned in `rejected` with their line numbers and do not stop the others."""
    stream = csvfile.open_csv(Path(path))
    defaults = rowreader.Defaults(
        source=clean_text(source, "source"),
        justification=clean_text(justification, "justification"),
        source_url=clean_text(source_url, "source_url"),
        source_public=source_public,
    )
    to_db = _datetime_binder(ws.engine)
    now = utcnow()
    stamp = _Stamp(actor=ws.actor, now=now, now_db=to_db(now), to_db=to_db)
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
        stamped = _StampedInsert.of(plist.id, stamp) if sqlite else None
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
            result.duplicates += n_repeats
            _flush_batch(session, kept=batch, list_id=plist.id, first_new_id=first_new_id, stamped=stamped,
                         stamp=stamp, result=result)
        audit.record(
            session,
            actor=ws.actor,
            action="import",
            subject=f"list:{plist.id}",
            detail={
                "file": Path(path).name,
                "list": plist.name,
                **{k: v for k, v in result.to_json().items() if k != "rejected"},
                "rejected": len(result.rejected),
            },
        )
    if on_progress:
        on_progress(stream.size, stream.size)
    return result


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
