"""Prospect lists and the CSV import: every contact arrives with a source and a justification,
suppressed people never arrive, and columns we do not need are dropped and reported."""

from __future__ import annotations

import itertools
import json
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import pycountry
from sqlalchemy import DateTime, bindparam, func, select, update
from sqlmodel import Session

from coldmail import audit, csvfile
from coldmail.addresses import InvalidAddress, normalize_email
from coldmail.db import session_scope
from coldmail.models import Contact, ListMember, ProspectList, utcnow
from coldmail.suppression import domain_fingerprints, fingerprint
from coldmail.workspace import Workspace

BATCH = 2000
MAX_LEN = {
    "first_name": 100,
    "last_name": 100,
    "company": 200,
    "role": 200,
    "website": 300,
    "source": 300,
    "source_url": 500,
    "justification": 1000,
}
_COUNTRY_ALIASES = {"UK": "GB", "ENGLAND": "GB", "SCOTLAND": "GB", "WALES": "GB", "USA": "US", "EL": "GR"}
_TRUE = {"1", "true", "yes", "y", "public", "ja", "oui", "si", "sí"}
_FALSE = {"0", "false", "no", "n", "private", "not public", "nein", "non"}


class ImportError_(Exception):
    """The import as a whole cannot run (unknown file, no email column...); nothing was changed."""


class RowError(ValueError):
    """One row cannot be imported; the message names the field."""


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
        return bool(self.lia_purpose and self.lia_necessity and self.lia_balancing)


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
        raise ValueError(f"unknown list fields: {', '.join(sorted(unknown))}")
    with session_scope(ws.engine) as session:
        row = get_or_create_list(session, name=name, actor=ws.actor)
        changed = {k: v.strip() for k, v in fields.items() if v is not None}
        for key, value in changed.items():
            limit = ProspectList.model_fields[key].metadata
            max_len = next((m.max_length for m in limit if hasattr(m, "max_length")), 2000)
            if len(value) > max_len:
                raise ValueError(f"{key}: at most {max_len} characters")
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


def clean_text(value: str, field_name: str) -> str:
    """Collapse line breaks and control characters to spaces; reject over-long values.

    A CR or LF in a name could otherwise become a new email header later."""
    if not value.isprintable():
        value = "".join(
            " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in value
        )
        value = " ".join(value.split())
    value = value.strip()
    limit = MAX_LEN.get(field_name)
    if limit and len(value) > limit:
        raise RowError(f"{field_name} is {len(value)} characters long; at most {limit} are allowed")
    return value


@lru_cache(maxsize=4096)
def normalize_country(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    upper = value.upper()
    if upper in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[upper]
    try:
        return pycountry.countries.lookup(value).alpha_2
    except LookupError:
        raise RowError(f"country {value!r} is not a known country name or ISO code") from None


def parse_public(value: str) -> bool | None:
    folded = value.strip().lower()
    if not folded:
        return None
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise RowError(f"source_public {value!r} should be yes or no")


def parse_collected_at(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"collected_at {value!r} is not an ISO date such as 2026-03-14") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed > datetime.now(UTC):
        raise RowError(f"collected_at {value!r} is in the future")
    return parsed.astimezone(UTC)


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


@dataclass
class _Defaults:
    source: str
    justification: str
    source_url: str
    source_public: bool | None
    actor: str
    now: datetime
    now_db: object = None  # `now` as the database driver takes it
    to_db: Callable = lambda v: v  # noqa: E731


_TEXT_FIELDS = ("first_name", "last_name", "company", "role", "website", "source", "source_url", "justification")


@dataclass(frozen=True)
class _Layout:
    """Where each field sits in a file's rows (None: the file has no such column). Worked out once
    per file, so a row is read by position and never turned into a dict of every column."""

    width: int
    email: int
    text: tuple[tuple[str, int, int], ...]  # (field, cell index, maximum length), present columns only
    country: int | None
    source_public: int | None
    collected_at: int | None

    @classmethod
    def of(cls, headers: csvfile.HeaderMap) -> _Layout:
        index = {name: i for i, name in headers.columns.items()}
        return cls(
            width=len(headers.original),
            email=index["email"],
            text=tuple((name, index[name], MAX_LEN[name]) for name in _TEXT_FIELDS if name in index),
            country=index.get("country"),
            source_public=index.get("source_public"),
            collected_at=index.get("collected_at"),
        )


_BLANK = dict.fromkeys(_TEXT_FIELDS, "")


def _prepare(cells: list[str], layout: _Layout, defaults: _Defaults) -> dict:
    """One CSV row -> a contact record, or RowError naming the field."""
    if len(cells) < layout.width:
        cells = cells + [""] * (layout.width - len(cells))
    raw_email = cells[layout.email]
    try:
        email = normalize_email(raw_email)
    except InvalidAddress as exc:
        raw = raw_email.strip()
        raise RowError(f"email {raw[:80]!r}: {exc}" if raw else "email is empty") from None
    rec = _BLANK.copy()
    rec["email"] = email
    for name, i, limit in layout.text:
        value = cells[i]
        if value:
            rec[name] = value.strip() if value.isprintable() and len(value) <= limit else clean_text(value, name)
    if not rec["source"]:
        rec["source"] = defaults.source
        if not rec["source"]:
            raise RowError("no source: give a source column or --source")
    if not rec["justification"]:
        rec["justification"] = defaults.justification
        if not rec["justification"]:
            raise RowError("no justification: give a justification column or --justification")
    rec["source_url"] = rec["source_url"] or defaults.source_url
    rec["country"] = "" if layout.country is None else normalize_country(cells[layout.country])
    public = None if layout.source_public is None else parse_public(cells[layout.source_public])
    rec["source_public"] = defaults.source_public if public is None else public
    collected = None if layout.collected_at is None else parse_collected_at(cells[layout.collected_at])
    rec["collected_at"] = collected or defaults.now
    return rec


_UPDATE_FIELDS = ("first_name", "last_name", "company", "role", "country", "website")
_INSERT_FIELDS = (
    "email", "fingerprint", "first_name", "last_name", "company", "role", "country", "website",
    "source", "source_url", "source_public", "collected_at", "justification",
)


class _FingerprintCache:
    """Suppression fingerprints for one import; a file's rows share few domains, so the domain
    fingerprints are computed once per domain."""

    def __init__(self, key: bytes):
        self.key = key
        self.domains: dict[str, list[str]] = {}

    def for_email(self, email: str) -> list[str]:
        domain = email.rsplit("@", 1)[1]
        dfps = self.domains.get(domain)
        if dfps is None:
            if len(self.domains) > 200_000:
                self.domains.clear()
            dfps = self.domains[domain] = domain_fingerprints(self.key, domain)
        return [fingerprint(self.key, email), *dfps]


def _datetime_binder(engine):
    """The dialect's own conversion of a datetime to a driver value (SQLite stores text)."""
    proc = DateTime(timezone=True).dialect_impl(engine.dialect).bind_processor(engine.dialect)
    return proc or (lambda v: v)


def _in_values(conn, sql: str, values: list) -> list[tuple]:
    """Run `sql` with `{in}` standing for a list of values, passed as one parameter rather than
    thousands: json_each on SQLite, ANY(array) on PostgreSQL."""
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql(sql.replace("{in}", "= ANY(%s)"), (values,)).all()
    return conn.exec_driver_sql(sql.replace("{in}", "IN (SELECT value FROM json_each(?))"), (json.dumps(values),)).all()


def _in_values_exec(conn, sql: str, params: tuple, values: list) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(sql.replace("{in}", "= ANY(%s)"), (*params, values))
    else:
        conn.exec_driver_sql(sql.replace("{in}", "IN (SELECT value FROM json_each(?))"), (*params, json.dumps(values)))


def _insert_sql(conn, *, with_id: bool = False) -> tuple[str, tuple[str, ...]]:
    cols = (*(("id",) if with_id else ()), *_INSERT_FIELDS, "list_id", "collected_by", "status", "created_at",
            "updated_at")
    mark = "%s" if conn.dialect.paramstyle in ("format", "pyformat") else "?"
    return f"INSERT INTO contacts ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})", cols


def _flush_batch(
    session: Session,
    *,
    batch: list[dict],
    fps_by_row: list[list[str]],
    list_id: int,
    first_new_id: int,
    ids: Iterator[int] | None,
    defaults: _Defaults,
    result: ImportResult,
) -> None:
    """Write one batch. `ids` hands out the new contacts' ids where the importer may choose them
    (SQLite, whose write lock it holds: the same ids SQLite would pick), so that list membership
    needs no second lookup by address; without it (PostgreSQL's sequence) membership is
    inserted from a select."""
    if not batch:
        return
    conn = session.connection()
    table = Contact.__table__
    # 1. Suppression: the address, its domain or a parent domain; one query for the batch.
    blocked = {fp for (fp,) in _in_values(
        conn, "SELECT fingerprint FROM suppressions WHERE fingerprint {in}",
        list({fp for row in fps_by_row for fp in row}),
    )}
    kept: dict[str, dict] = {}
    for rec, row_fps in zip(batch, fps_by_row, strict=True):
        if blocked and blocked.intersection(row_fps):
            result.suppressed += 1
            continue
        first = kept.get(rec["email"])
        if first is not None:
            result.duplicates += 1
            for name in _UPDATE_FIELDS:
                if rec[name]:
                    first[name] = rec[name]
            continue
        rec["fingerprint"] = row_fps[0]
        kept[rec["email"]] = rec
    if not kept:
        return
    # 2. Which are already held: from before this import (updated) or earlier in this file (duplicate).
    emails = list(kept)
    existing = dict(_in_values(conn, "SELECT email, id FROM contacts WHERE email {in}", emails))
    new_rows, changes, members = [], [], []
    for email, rec in kept.items():
        cid = existing.get(email)
        if cid is None:
            collected = defaults.now_db if rec["collected_at"] is defaults.now else defaults.to_db(rec["collected_at"])
            if ids is not None:
                cid = next(ids)
                members.append((list_id, cid, defaults.now_db))
            new_rows.append((
                *(() if ids is None else (cid,)),
                email, rec["fingerprint"], rec["first_name"], rec["last_name"], rec["company"], rec["role"],
                rec["country"], rec["website"], rec["source"], rec["source_url"], rec["source_public"],
                collected, rec["justification"], list_id, defaults.actor, "new", defaults.now_db, defaults.now_db,
            ))
            continue
        if ids is not None:
            members.append((list_id, cid, defaults.now_db))
        if cid >= first_new_id:
            result.duplicates += 1
        else:
            result.updated += 1
        # A repeat refreshes the person's details and keeps the first provenance.
        change = {f"b_{k}": rec[k] for k in _UPDATE_FIELDS}
        change.update(b_id=cid, b_now=defaults.now)
        changes.append(change)
    if new_rows:
        conn.exec_driver_sql(_insert_sql(conn, with_id=ids is not None)[0], new_rows)
        result.imported += len(new_rows)
    if changes:
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                **{k: func.coalesce(func.nullif(bindparam(f"b_{k}"), ""), table.c[k]) for k in _UPDATE_FIELDS},
                updated_at=bindparam("b_now"),
            )
        )
        conn.execute(stmt, changes)
    # 3. List membership for every kept row, new or old.
    mark = "%s" if conn.dialect.paramstyle in ("format", "pyformat") else "?"
    if ids is not None:
        conn.exec_driver_sql(
            f"INSERT INTO list_members (list_id, contact_id, added_at) VALUES ({mark}, {mark}, {mark}) "
            "ON CONFLICT DO NOTHING", members)
        return
    _in_values_exec(
        conn,
        f"INSERT INTO list_members (list_id, contact_id, added_at) SELECT {mark}, id, {mark} FROM contacts "
        "WHERE email {in} ON CONFLICT DO NOTHING",
        (list_id, defaults.now_db),
        emails,
    )


def _batches(
    stream: csvfile.CsvStream,
    layout: _Layout,
    defaults: _Defaults,
    fps: _FingerprintCache,
    progress: Callable[[int], None] | None,
    rejected: list[dict],
) -> Iterator[tuple[list[dict], list[list[str]]]]:
    """The file's good rows, BATCH at a time, with their suppression fingerprints; bad rows go to
    `rejected` with their line numbers."""
    batch: list[dict] = []
    for line, cells in csvfile.iter_records(stream, progress):
        try:
            if len(cells) > layout.width:
                raise RowError(f"the row has {len(cells) - layout.width} more cell(s) than the header")
            batch.append(_prepare(cells, layout, defaults))
        except RowError as exc:
            rejected.append({"row": line, "reason": str(exc)})
            continue
        if len(batch) >= BATCH:
            yield batch, [fps.for_email(rec["email"]) for rec in batch]
            batch = []
    if batch:
        yield batch, [fps.for_email(rec["email"]) for rec in batch]


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
    defaults = _Defaults(
        source=clean_text(source, "source"),
        justification=clean_text(justification, "justification"),
        source_url=clean_text(source_url, "source_url"),
        source_public=source_public,
        actor=ws.actor,
        now=utcnow(),
    )
    result = ImportResult(dropped_columns=stream.headers.dropped, list_name=list_name)
    defaults.to_db = _datetime_binder(ws.engine)
    defaults.now_db = defaults.to_db(defaults.now)
    fps = _FingerprintCache(ws.fingerprint_key)
    progress = (lambda done: on_progress(done, stream.size)) if on_progress else None
    with session_scope(ws.engine) as session:
        if session.get_bind().dialect.name == "sqlite":
            # A bigger page cache keeps the email index in memory during large imports.
            session.connection().exec_driver_sql("PRAGMA cache_size=-65536")
        plist = get_or_create_list(session, name=list_name, actor=ws.actor, purpose=purpose)
        first_new_id = (session.execute(select(func.max(Contact.id))).scalar() or 0) + 1
        batches = _batches(stream, _Layout.of(stream.headers), defaults, fps, progress, result.rejected)
        ids = itertools.count(first_new_id) if session.get_bind().dialect.name == "sqlite" else None
        for batch, fps_by_row in batches:
            _flush_batch(session, batch=batch, fps_by_row=fps_by_row, list_id=plist.id,
                         first_new_id=first_new_id, ids=ids, defaults=defaults, result=result)
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


def preview_csv(path: Path, *, rows: int = 5) -> tuple[csvfile.CsvStream, list[dict[str, str]]]:
    """The header mapping and the first rows, for the TUI's import preview."""
    stream = csvfile.open_csv(Path(path))
    sample = []
    for _line, values, _extra in csvfile.iter_rows(stream):
        sample.append(values)
        if len(sample) >= rows:
            break
    return stream, sample
