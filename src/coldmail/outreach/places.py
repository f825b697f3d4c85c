"""Which of a campaign's queued contacts are written to at a guessed time: no time zone at all (their
window is in UTC), or a country over several zones without a state or province (its main zone).
For `campaign schedule`'s warnings: one pass over the campaign's queue, never on the send path."""

from __future__ import annotations

from sqlalchemy import func, select

from coldmail.outreach.campaigns import load
from coldmail.prospects.locations import REGION_WORD
from coldmail.store import db
from coldmail.store.models import Contact, Message
from coldmail.store.states import MessageState
from coldmail.store.workspace import Workspace


def unplaced(ws: Workspace, name: str) -> int:
    """Queued messages to contacts with neither a country nor a zone."""
    with db.session_scope(ws.engine, write=False) as session:
        cid = load(session, name).id
        return session.execute(
            select(func.count()).select_from(Message).join(Contact, Contact.id == Message.contact_id)
            .where(Message.campaign_id == cid, Message.state == MessageState.QUEUED,
                   Contact.country == "", Contact.timezone == "")).scalar_one()


def guessed(ws: Workspace, name: str) -> dict[str, int]:
    """Queued messages to contacts in the US, Canada or Australia with no state or province, by country."""
    with db.session_scope(ws.engine, write=False) as session:
        cid = load(session, name).id
        rows = session.execute(
            select(Contact.country, func.count()).select_from(Message).join(Contact, Contact.id == Message.contact_id)
            .where(Message.campaign_id == cid, Message.state == MessageState.QUEUED,
                   Contact.country.in_(list(REGION_WORD)), Contact.timezone == "")
            .group_by(Contact.country).order_by(Contact.country)).all()
    return {country: n for country, n in rows}


def warnings(ws: Workspace, name: str) -> list[str]:
    """The schedule's warning lines, the same for the CLI and the TUI."""
    from coldmail.outreach.windows import zone_for

    out = []
    if n := unplaced(ws, name):
        out.append(f"{n} contact(s) of this campaign have no country or time zone; their window is counted in UTC.")
    for country, n in guessed(ws, name).items():
        out.append(f"{n} contact(s) in {country} have no {REGION_WORD[country]}: they are written to in "
                   f"{zone_for(country).key} business hours, the country's main zone; import a State or "
                   "Location column to place them.")
    return out
