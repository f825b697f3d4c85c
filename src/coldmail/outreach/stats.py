"""Numbers for the dashboard: per-campaign outcomes and rates, messages per day, open requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from coldmail.store import db
from coldmail.store.models import Campaign, Message, Reply, as_utc, utcnow
from coldmail.store.states import MessageState, ReplyKind, ReplyStatus
from coldmail.store.workspace import Workspace


@dataclass(frozen=True)
class CampaignStats:
    name: str
    status: str
    pause_reason: str
    sent: int
    queued: int
    replied: int
    opted_out: int
    bounced: int
    complaints: int

    def rate(self, n: int) -> float:
        return n / self.sent if self.sent else 0.0


def campaign_stats(ws: Workspace) -> list[CampaignStats]:
    with db.session_scope(ws.engine, write=False) as s:
        states = {}
        for cid, state, n in s.execute(select(Message.campaign_id, Message.state, func.count())
                                       .group_by(Message.campaign_id, Message.state)).all():
            states.setdefault(cid, {})[state] = n
        kinds = {}
        for cid, kind, n in s.execute(
            select(Message.campaign_id, Reply.kind, func.count())
            .join(Message, Message.id == Reply.message_row_id)
            .where(Reply.status == ReplyStatus.APPLIED)
            .group_by(Message.campaign_id, Reply.kind)
        ).all():
            kinds.setdefault(cid, {})[kind] = n
        # A bounce names the failed address, rarely our Message-ID, so it is often matched to the
        # contact alone (no message row): it counts for each campaign that sent to that contact.
        bounced_by_contact = dict(s.execute(
            select(Message.campaign_id, func.count(func.distinct(Reply.id)))
            .join(Message, Message.contact_id == Reply.contact_id)
            .where(Reply.status == ReplyStatus.APPLIED, Reply.message_row_id.is_(None),
                   Reply.kind.in_((ReplyKind.BOUNCE_HARD, ReplyKind.BOUNCE_SOFT)), Message.sent_at.is_not(None))
            .group_by(Message.campaign_id)
        ).all())
        out = []
        for c in s.execute(select(Campaign).order_by(Campaign.name)).scalars():
            st, k = states.get(c.id, {}), kinds.get(c.id, {})
            out.append(CampaignStats(
                c.name, c.status, c.pause_reason, st.get(MessageState.SENT, 0), st.get(MessageState.QUEUED, 0),
                k.get(ReplyKind.HUMAN, 0) + k.get(ReplyKind.DATA_REQUEST, 0), k.get(ReplyKind.OPT_OUT, 0),
                k.get(ReplyKind.BOUNCE_HARD, 0) + k.get(ReplyKind.BOUNCE_SOFT, 0) + bounced_by_contact.get(c.id, 0),
                k.get(ReplyKind.COMPLAINT, 0),
            ))
        return out


def messages_per_day(ws: Workspace, days: int = 14, now: datetime | None = None) -> list[int]:
    now = now or utcnow()
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    counts = [0] * days
    with db.session_scope(ws.engine, write=False) as s:
        stmt = select(Message.sent_at).where(Message.state == MessageState.SENT, Message.sent_at >= start)
        for (sent_at,) in s.execute(stmt).all():
            idx = (as_utc(sent_at) - start).days
            if 0 <= idx < days:
                counts[idx] += 1
    return counts
