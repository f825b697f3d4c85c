"""Prospect lists: a purpose, targeting criteria and a legitimate-interests assessment (LIA) per
list, which campaigns and the Art. 30 record read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from coldmail import audit
from coldmail.errors import BadInput
from coldmail.store.db import session_scope
from coldmail.store.models import ListMember, ProspectList, utcnow
from coldmail.store.workspace import Workspace


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
        raise BadInput("a list name of 1 to 100 characters is required (--list)")
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
