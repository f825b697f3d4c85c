"""Paging and searching contacts with indexes only, so a million contacts feel like a thousand."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from coldmail.store import db
from coldmail.store.models import Contact, ListMember, ProspectList
from coldmail.store.workspace import Workspace


@dataclass(frozen=True)
class ContactRow:
    id: int
    email: str
    name: str
    company: str
    role: str
    country: str
    status: str
    source: str


@dataclass(frozen=True)
class ContactFilter:
    search: str = ""
    list_name: str = ""
    country: str = ""
    status: str = ""  # "suppressed" filters suppressed contacts


def _row(c) -> ContactRow:
    return ContactRow(
        id=c.id,
        email=c.email,
        name=" ".join(p for p in (c.first_name, c.last_name) if p),
        company=c.company,
        role=c.role,
        country=c.country,
        status=c.status,
        source=c.source,
    )


def page(ws: Workspace, *, after_id: int = 0, limit: int = 100, flt: ContactFilter | None = None) -> list[ContactRow]:
    """The next `limit` contacts after `after_id` (keyset paging by id), filtered.

    An email search uses the unique index as a prefix range; a name or company search falls back
    to a bounded scan that stops at `limit` matches."""
    flt = flt or ContactFilter()
    cols = (Contact.id, Contact.email, Contact.first_name, Contact.last_name, Contact.company,
            Contact.role, Contact.country, Contact.status, Contact.source)
    stmt = select(*cols)
    conds = []
    if flt.list_name:
        stmt = stmt.join(ListMember, ListMember.contact_id == Contact.id).join(
            ProspectList, ProspectList.id == ListMember.list_id
        )
        conds.append(ProspectList.name == flt.list_name)
    if flt.country:
        conds.append(Contact.country == flt.country.upper())
    if flt.status == "suppressed":  # every way a person ends up on the suppression list
        conds.append(Contact.status.in_(("suppressed", "opted_out", "bounced")))
    elif flt.status:
        conds.append(Contact.status == flt.status)
    q = flt.search.strip().lower()
    with db.session_scope(ws.engine, write=False) as session:
        if q:
            by_email = stmt.where(and_(*conds, Contact.email >= q, Contact.email < q + "\uffff"))
            by_email = by_email.where(Contact.id > after_id) if after_id else by_email
            rows = [_row(r) for r in session.execute(by_email.order_by(Contact.email).limit(limit)).all()]
            if len(rows) < limit and "@" not in q:
                like = f"%{q}%"
                seen = {r.id for r in rows}
                by_name = stmt.where(
                    and_(
                        *conds,
                        Contact.id > after_id,
                        or_(
                            func.lower(Contact.last_name).like(like),
                            func.lower(Contact.first_name).like(like),
                            func.lower(Contact.company).like(like),
                        ),
                    )
                ).order_by(Contact.id).limit(limit - len(rows))
                rows += [r for r in map(_row, session.execute(by_name).all()) if r.id not in seen]
            return rows
        stmt = stmt.where(and_(*conds, Contact.id > after_id)).order_by(Contact.id).limit(limit)
        return [_row(r) for r in session.execute(stmt).all()]
