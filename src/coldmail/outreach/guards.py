"""The deliverability guards: pause a campaign whose bounce or complaint rate passes the limits."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from coldmail.outreach import campaigns
from coldmail.store import db
from coldmail.store.models import Campaign, Message, Reply
from coldmail.store.states import CampaignStatus, FailReason, MessageState, ReplyKind, ReplyStatus
from coldmail.store.workspace import Workspace


def check_guards(ws: Workspace, campaign_id: int) -> str | None:
    """Pause the campaign (once) if its bounce or complaint rate passes the limits; returns the reason.
    Bounces are hard-bounce replies plus messages the server refused at RCPT (`recording` starts
    their reason with FailReason.RECIPIENT_REJECTED)."""
    g = ws.config.guards
    with db.session_scope(ws.engine) as session:
        camp = session.get(Campaign, campaign_id)
        n = session.execute(
            select(func.count()).select_from(Message)
            .where(Message.campaign_id == campaign_id, Message.state.in_((MessageState.SENT, MessageState.FAILED)))
        ).scalar_one()
        if camp is None or camp.status != CampaignStatus.ACTIVE or n < g.min_sent:
            return None
        kinds = Counter(k for (k,) in session.execute(
            select(Reply.kind).join(Message, Message.id == Reply.message_row_id)
            .where(Message.campaign_id == campaign_id, Reply.status == ReplyStatus.APPLIED)).all())
        bounced_at_rcpt = session.execute(
            select(func.count()).select_from(Message).where(
                Message.campaign_id == campaign_id, Message.state == MessageState.FAILED,
                Message.reason.startswith(FailReason.RECIPIENT_REJECTED.value, autoescape=True))).scalar_one()
        bounces = kinds[ReplyKind.BOUNCE_HARD] + bounced_at_rcpt
        reason = None
        if bounces / n > g.max_bounce_rate:
            reason = f"bounce rate {bounces / n:.1%} is above {g.max_bounce_rate:.1%} ({bounces} of {n})"
        elif kinds[ReplyKind.COMPLAINT] / n > g.max_complaint_rate:
            reason = f"complaint rate {kinds[ReplyKind.COMPLAINT] / n:.2%} is above {g.max_complaint_rate:.2%}"
        if reason:
            campaigns.pause(session, campaign_id=campaign_id, reason=f"guard: {reason}; check the list, then resume",
                            actor=ws.actor, detail={"guard": True})
        return reason
