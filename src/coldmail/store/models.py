"""The tables. A contact cannot exist without a source and a justification, and nothing
beyond what outreach needs is stored about a person (data minimisation)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _ts(nullable: bool = False, index: bool = False):
    return Field(
        default=None if nullable else None,
        sa_type=DateTime(timezone=True),
        nullable=nullable,
        index=index,
    )


class Meta(SQLModel, table=True):
    """Workspace-wide values shared by every process using the database (e.g. the fingerprint key)."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=512)


class ProspectList(SQLModel, table=True):
    """A targeted list: its purpose, criteria and legitimate-interests assessment (LIA)."""

    __tablename__ = "lists"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    purpose: str = Field(default="", max_length=1000)
    geography: str = Field(default="", max_length=300)
    industry: str = Field(default="", max_length=300)
    company_size: str = Field(default="", max_length=100)
    roles: str = Field(default="", max_length=300)
    lia_purpose: str = Field(default="", max_length=2000)
    lia_necessity: str = Field(default="", max_length=2000)
    lia_balancing: str = Field(default="", max_length=2000)
    lia_recorded_by: str = Field(default="", max_length=100)
    lia_recorded_at: datetime | None = _ts(nullable=True)
    created_by: str = Field(max_length=100)
    created_at: datetime = _ts()


class Contact(SQLModel, table=True):
    """One person, with where their data came from and why writing to them is legitimate."""

    __tablename__ = "contacts"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    fingerprint: str = Field(max_length=64)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    company: str = Field(default="", max_length=200)
    role: str = Field(default="", max_length=200)
    country: str = Field(default="", max_length=2)
    website: str = Field(default="", max_length=300)
    list_id: int = Field(sa_column=Column(Integer, ForeignKey("lists.id"), nullable=False))
    source: str = Field(max_length=300)
    source_url: str = Field(default="", max_length=500)  # where the data was found (a page, a search)
    source_public: bool | None = Field(default=None, nullable=True)
    collected_at: datetime = _ts()
    collected_by: str = Field(max_length=100)
    justification: str = Field(max_length=1000)
    # Needed to send at a decent hour and lawfully: an explicit time zone when the country has
    # several, and the evidence of consent where a country requires it for B2B email.
    timezone: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    consent: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    # The person's own page (LinkedIn and the like): data held about them, not where it was found.
    profile_url: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    status: str = Field(default="new", max_length=20, index=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ListMember(SQLModel, table=True):
    """Which lists a contact is on; the first list is the one recorded on the contact."""

    __tablename__ = "list_members"
    __table_args__ = (Index("ix_list_members_contact_id", "contact_id"),
                      Index("ix_list_members_added", "list_id", "added_at"))

    list_id: int = Field(
        sa_column=Column(Integer, ForeignKey("lists.id"), primary_key=True, nullable=False)
    )
    contact_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    added_at: datetime = _ts()


class Suppression(SQLModel, table=True):
    """An address or a whole domain never to be written to. The keyed fingerprint outlives erasure."""

    __tablename__ = "suppressions"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)  # "email" or "domain"
    value: str | None = Field(default=None, max_length=254, nullable=True)
    fingerprint: str = Field(max_length=64, unique=True)
    reason: str = Field(max_length=200)
    evidence: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    reply_id: int | None = Field(default=None, nullable=True)
    created_by: str = Field(max_length=100)
    created_at: datetime = _ts()


class AuditEntry(SQLModel, table=True):
    """An append-only, hash-chained record of what was done, by whom, to what."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts()
    actor: str = Field(max_length=100)
    action: str = Field(max_length=50, index=True)
    subject: str = Field(default="", max_length=200, index=True)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditNote(SQLModel, table=True):
    """Free text a person wrote about an audit entry (a reason, a comment). Outside the sealed chain,
    so that erasure can delete it with the person it names."""

    __tablename__ = "audit_notes"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(index=True)
    fingerprint: str = Field(default="", max_length=64, index=True)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class DataRequest(SQLModel, table=True):
    """A data-subject request (source, access, erasure, objection, rectification) and its deadline."""

    __tablename__ = "requests"
    __table_args__ = (UniqueConstraint("reply_id", name="uq_requests_reply_id"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    email: str | None = Field(default=None, max_length=254, nullable=True)
    fingerprint: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=20)
    status: str = Field(default="open", max_length=20, index=True)
    received_at: datetime = _ts()
    due_at: datetime = _ts(index=True)
    extended_due_at: datetime | None = _ts(nullable=True)
    extension_reason: str = Field(default="", max_length=1000)
    verified: bool = Field(default=False)
    verification_note: str = Field(default="", max_length=1000)
    note: str = Field(default="", max_length=2000)
    answer: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    answered_at: datetime | None = _ts(nullable=True)
    handled_by: str = Field(default="", max_length=100)
    reply_id: int | None = Field(default=None, nullable=True)


class Campaign(SQLModel, table=True):
    """A list, a first-touch template and follow-up steps, sent from one mailbox."""

    __tablename__ = "campaigns"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    list_id: int = Field(sa_column=Column(Integer, ForeignKey("lists.id"), nullable=False))
    sender_email: str = Field(max_length=254)
    status: str = Field(default="active", max_length=20)  # active, paused
    pause_reason: str = Field(default="", max_length=500)
    created_by: str = Field(max_length=100)
    created_at: datetime = _ts()
    # Planning watermarks (`outreach.campaigns.plan`): the planning clock's time of the last plan (for
    # follow-ups, whose due times follow that clock), the real time it began (for list members,
    # stamped with real time), and when the last full plan ran (None: the next plan is a full one).
    planned_at: datetime | None = _ts(nullable=True)
    members_seen_at: datetime | None = _ts(nullable=True)
    full_plan_at: datetime | None = _ts(nullable=True)


class CampaignStep(SQLModel, table=True):
    __tablename__ = "campaign_steps"
    __table_args__ = (UniqueConstraint("campaign_id", "position", name="uq_campaign_steps_position"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(
        sa_column=Column(Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    )
    position: int
    template: str = Field(max_length=100)
    delay_days: int = Field(default=0)


class Message(SQLModel, table=True):
    """One message of a campaign to one contact, and where it is in its life.

    queued -> sending -> sent | failed | unknown (crash or lost connection mid-DATA: never resent
    automatically) ; queued -> skipped (suppressed, stopped or not allowed at claim time)."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id", "position", name="uq_messages_step"),
        Index("ix_messages_due", "campaign_id", "state", "not_before"),
        Index("ix_messages_sender_claimed", "sender_email", "claimed_at"),
        Index("ix_messages_domain_claimed", "domain", "claimed_at"),
        Index("ix_messages_contact", "contact_id", "claimed_at"),
        Index("ix_messages_mailbox_claimed", "mailbox", "claimed_at"),
        # The claim's probe, one per mailbox, in due order; the planner's probe for newly sent steps.
        Index("ix_messages_due_mailbox", "campaign_id", "state", "mailbox", "not_before"),
        Index("ix_messages_step_sent", "campaign_id", "position", "state", "sent_at"),
        Index("ix_messages_window", "campaign_id", "state", "window_key", "not_before"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(sa_column=Column(Integer, ForeignKey("campaigns.id"), nullable=False))
    position: int
    contact_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True),
    )
    fingerprint: str = Field(max_length=64, index=True)
    to_email: str | None = Field(default=None, max_length=254, nullable=True)
    sender_email: str = Field(max_length=254)
    # The mailbox that sends it: chosen at claim time for a first touch, the first touch's for follow-ups.
    mailbox: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    # The contact's "country|timezone" when it was queued: everyone with the same key has the same
    # sending window, so a closed window defers them in one statement (`claiming`).
    window_key: str = Field(default="", max_length=70, sa_column_kwargs={"server_default": ""})
    domain: str = Field(max_length=253)
    message_id: str | None = Field(default=None, max_length=255, unique=True, nullable=True)
    subject: str = Field(default="", max_length=500)
    state: str = Field(default="queued", max_length=20, index=True)
    reason: str = Field(default="", max_length=500)
    attempts: int = Field(default=0)
    queued_at: datetime = _ts()
    not_before: datetime = _ts()
    claimed_at: datetime | None = _ts(nullable=True)
    claimed_by: str = Field(default="", max_length=100)
    sent_at: datetime | None = _ts(nullable=True)
    smtp_response: str = Field(default="", max_length=500)


class CampaignMailbox(SQLModel, table=True):
    """The mailboxes a campaign sends from; none means every configured mailbox."""

    __tablename__ = "campaign_mailboxes"

    campaign_id: int = Field(
        sa_column=Column(Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True, nullable=False)
    )
    mailbox: str = Field(primary_key=True, max_length=100)


class CampaignVar(SQLModel, table=True):
    """A variable the rep gives a campaign (`campaign create --var topic=…`) for its templates."""

    __tablename__ = "campaign_vars"

    campaign_id: int = Field(
        sa_column=Column(Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True, nullable=False)
    )
    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=2000)


class MailboxState(SQLModel, table=True):
    """What the senders learnt about a mailbox: down (with back-off) or paused (with the reason)."""

    __tablename__ = "mailbox_states"

    name: str = Field(primary_key=True, max_length=100)
    status: str = Field(default="ok", max_length=20)
    reason: str = Field(default="", max_length=500)
    down_until: datetime | None = _ts(nullable=True)
    failures: int = Field(default=0)
    updated_at: datetime = _ts()


class SenderBeat(SQLModel, table=True):
    """A running `coldmail run` (or the TUI's sender): what it last did and what is next, for the TUI."""

    __tablename__ = "sender_beats"

    worker: str = Field(primary_key=True, max_length=100)
    started_at: datetime = _ts()
    seen_at: datetime = _ts()
    last_event: str = Field(default="", max_length=500)
    next_due: datetime | None = _ts(nullable=True)
    next_reason: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    stopped: bool = Field(default=False)


class Reply(SQLModel, table=True):
    """An incoming message (reply, bounce, complaint, auto-reply), how it was read and what was done."""

    __tablename__ = "replies"

    id: int | None = Field(default=None, primary_key=True)
    message_key: str = Field(max_length=128, unique=True)  # Message-ID, or a hash of the bytes
    received_at: datetime = _ts()
    from_email: str | None = Field(default=None, max_length=254, nullable=True)
    contact_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    message_row_id: int | None = Field(default=None, nullable=True)  # the message of ours it answers
    fingerprint: str = Field(default="", max_length=64, index=True)
    kind: str = Field(max_length=20, index=True)
    request_kind: str = Field(default="", max_length=20)
    confidence: float = Field(default=1.0)
    company_wide: bool = Field(default=False)
    until: datetime | None = _ts(nullable=True)  # an auto-reply's return date
    subject: str = Field(default="", max_length=500)
    excerpt: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    status: str = Field(default="applied", max_length=20, index=True)  # applied, review, dismissed, undone
    action: str = Field(default="", max_length=300)
    source: str = Field(default="", max_length=500)
    language: str = Field(default="", max_length=16, sa_column_kwargs={"server_default": ""})  # read in
    why: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})  # what the reader found: the intent parts, or why it is unsure


class DomainCheck(SQLModel, table=True):
    """What DNS said about a recipient domain, cached so each domain is looked up once per TTL."""

    __tablename__ = "domain_checks"

    domain: str = Field(primary_key=True, max_length=253)
    status: str = Field(max_length=20)  # ok, undeliverable, unknown
    detail: str = Field(default="", max_length=500)
    checked_at: datetime = _ts()
    expires_at: datetime = _ts(index=True)
