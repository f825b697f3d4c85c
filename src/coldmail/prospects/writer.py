"""The import's bulk writer: new contacts in multi-row INSERTs (SQLite: literal statements with
bound text), repeats refreshing the details they may change, and every new contact put on the list."""

from __future__ import annotations

import itertools
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, update
from sqlmodel import Session

from coldmail.prospects import rowreader
from coldmail.store.models import Contact

if TYPE_CHECKING:
    from coldmail.prospects.importing import ImportResult


_INSERT_FIELDS = rowreader.RECORD


_COLLECTED = rowreader.SLOT["collected_at"]


@dataclass(frozen=True)
class Stamp:
    """Who collected the rows (the rep, stored as collected_by) and when, as the database takes it."""

    collected_by: str
    now: datetime
    now_db: object  # `now` as the database driver takes it
    to_db: Callable  # a datetime as the database driver takes it


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


def flush_batch(
    session: Session,
    *,
    kept: list[tuple],
    list_id: int,
    first_new_id: int,
    stamped: StampedInsert | None,
    stamp: Stamp,
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
class StampedInsert:
    """SQLite's insert of records as rowreader makes them, bound as they are. The import's list,
    collector and time are written into the statement, so no per-row copy adds them (selecting them
    from a table instead costs a fifth more), and ROWS_PER_STATEMENT rows go in one statement (a
    fifth less time than one at a time). Addresses already held are skipped (ON CONFLICT DO
    NOTHING)."""

    one: str
    many: str

    @classmethod
    def of(cls, list_id: int, stamp: Stamp) -> StampedInsert:
        now = _text_literal(stamp.now_db)
        values = ", ".join(f"coalesce(?, {now})" if name == "collected_at" else "?" for name in _INSERT_FIELDS)
        row = f"({values}, {int(list_id)}, {_text_literal(stamp.collected_by)}, 'new', {now}, {now})"
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


def _write_sqlite(conn, kept: list[tuple], insert: StampedInsert, *, list_id: int, first_new_id: int,
                  stamp: Stamp, result: ImportResult) -> None:
    """Insert the batch's records as they are (StampedInsert), and put the new contacts on the list
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


def _insert_row(rec: tuple, list_id: int, stamp: Stamp) -> tuple:
    """The record as _insert_sql's columns (without the id) take it."""
    collected = rec[_COLLECTED]
    collected = stamp.now_db if collected is None else stamp.to_db(collected)
    return (*rec[:_COLLECTED], collected, *rec[_COLLECTED + 1:], list_id, stamp.collected_by, "new", stamp.now_db,
            stamp.now_db)


def _repeat(rec: tuple, cid: int, first_new_id: int, stamp: Stamp, result: ImportResult,
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
