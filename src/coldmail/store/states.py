"""States and reasons that code compares, as enums. Each is a `StrEnum`, so the database keeps the
same strings as before (no data migration) and a member compares equal to its string."""

from __future__ import annotations

from enum import StrEnum


class ContactStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    REPLIED = "replied"
    OPTED_OUT = "opted_out"
    BOUNCED = "bounced"
    SUPPRESSED = "suppressed"
    REQUEST = "request"  # a data-subject request is open


# A contact in any other status gets no more steps.
ACTIVE_CONTACT = (ContactStatus.NEW, ContactStatus.CONTACTED)


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class MessageState(StrEnum):
    """queued -> sending -> sent | failed | unknown ; queued -> skipped | blocked."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the outcome is not known (crash or lost connection mid-DATA): never resent by itself
    SKIPPED = "skipped"  # suppressed, stopped or erased at claim time
    BLOCKED = "blocked"  # a country rule forbids it


# States that count against caps: the message was (or may have been) handed to the server.
LIVE_STATES = (MessageState.SENDING, MessageState.SENT, MessageState.UNKNOWN)


class MailboxStatus(StrEnum):
    OK = "ok"
    DOWN = "down"  # the server did not answer (connection, time-out, 421): retried with back-off
    PAUSED = "paused"  # the server refused authentication: a person must fix it, then resume


class FailReason(StrEnum):
    """How a message failed; the first words of `messages.reason`, which the guards count."""

    RECIPIENT_REJECTED = "recipient rejected"
    MESSAGE_REJECTED = "message rejected"
    GAVE_UP = "gave up"
    RENDER = "render error"


class ReplyKind(StrEnum):
    OPT_OUT = "opt_out"
    COMPLAINT = "complaint"
    BOUNCE_HARD = "bounce_hard"
    BOUNCE_SOFT = "bounce_soft"
    AUTO_REPLY = "auto_reply"
    DATA_REQUEST = "data_request"
    HUMAN = "human"


class ReplyStatus(StrEnum):
    APPLIED = "applied"
    REVIEW = "review"
    DISMISSED = "dismissed"
    UNDONE = "undone"


class RequestKind(StrEnum):
    SOURCE = "source"
    ACCESS = "access"
    ERASURE = "erasure"
    OBJECTION = "objection"
    RECTIFICATION = "rectification"


class RequestStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class SuppressionKind(StrEnum):
    EMAIL = "email"
    DOMAIN = "domain"
