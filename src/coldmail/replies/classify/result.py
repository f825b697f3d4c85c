"""What reading a message concludes (`Classification`), and the confidence below which a person
reviews it before anything is done."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from coldmail.store.states import ReplyKind

REVIEW_THRESHOLD = 0.8
BOUNCES = (ReplyKind.BOUNCE_HARD, ReplyKind.BOUNCE_SOFT)


@dataclass
class Classification:
    kind: str  # a ReplyKind
    confidence: float
    request: str | None = None  # a RequestKind, for data requests (source, access, erasure)
    company_wide: bool = False
    also_opt_out: bool = False
    failed_recipients: list[str] = field(default_factory=list)
    return_date: date | None = None
    new_text: str = ""
    why: str = ""
    token: str = ""  # the unsubscribe token our List-Unsubscribe mailto put in the subject, if any
    report: str = ""  # for a delivery report that is not a failure: its action ("delivered", "relayed"...)
    language: str = ""  # the language the reply was read in (issue 17)
    parts: list[str] = field(default_factory=list)  # the intent parts the rules matched (issue 17)
