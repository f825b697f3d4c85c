"""The answer to "where did you get my data?" (Art. 14/15), as fields and as ready text, from the
records: source, date, justification, data held, purpose, legal basis, retention and rights.

`answer` is the one home of that answer. It reads through any `execute(sql, params)` and takes the
configuration as plain `Settings`, so that `coldmail where` can answer from a bare sqlite3
connection and a snapshot of the validated configuration (`cli/_light.py`), without SQLAlchemy or
pydantic; `where` is the same answer from a workspace opened the usual way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

from coldmail.addresses import normalize_email
from coldmail.contacts.views import Execute, read_contact
from coldmail.mail import i18n, templating
from coldmail.suppression.oracle import lookup

if TYPE_CHECKING:  # SQLAlchemy and pydantic are loaded by `where`'s callers, not by `answer`'s
    from coldmail.store.config import Config
    from coldmail.store.workspace import Workspace

LEGAL_BASIS = "legitimate interests (GDPR Art. 6(1)(f))"


@dataclass(frozen=True)
class Settings:
    """What the answer needs of coldmail.toml, as plain JSON values (the validated Config's)."""

    controller: dict
    retention: dict
    recipients: list
    supervisory_authority: str

    @classmethod
    def of(cls, config: Config) -> Settings:
        return cls.from_json(config.model_dump(mode="json"))

    @classmethod
    def from_json(cls, dump: dict) -> Settings:
        """From `Config.model_dump(mode="json")`, or the part of it that `to_json` keeps."""
        return cls(controller=dict(dump["controller"]), retention=dict(dump["retention"]),
                   recipients=list(dump["recipients"]), supervisory_authority=dump["supervisory_authority"])

    def to_json(self) -> dict:
        return {"controller": self.controller, "retention": self.retention, "recipients": self.recipients,
                "supervisory_authority": self.supervisory_authority}


def _retention_text(r: dict) -> str:
    return (
        f"If you never hear from us, your data is erased {r['never_contacted_months']} months after it "
        f"was collected; if you do not reply, {r['no_reply_months']} months after our last message; at most "
        f"{r['replied_months']} months after our last exchange. A suppression fingerprint is kept for as "
        "long as it is needed to honour an objection."
    )


class _Answered:
    """The languages that have a `where` answer template (shipped, or the workspace's own), checked
    one at a time: `i18n.language_for` asks about at most two."""

    def __init__(self, templates: Path):
        self.templates = templates

    def __contains__(self, code: str) -> bool:
        return code in i18n.LANGUAGES and templating.template_exists(
            f"answers/where.{code}.txt.j2", workspace_templates=self.templates)


def where(ws: Workspace, email: str, *, language: str | None = None) -> dict:
    """Everything needed to answer "where did you get my data?", as fields and as ready text."""
    from coldmail.contacts.views import session_execute
    from coldmail.store import db

    with db.session_scope(ws.engine, write=False) as session:
        return answer(session_execute(session), ws.fingerprint_key, email, settings=Settings.of(ws.config),
                      home=ws.home, language=language)


def answer(execute: Execute, key: bytes, email: str, *, settings: Settings, home: Path,
           language: str | None = None) -> dict:
    """`where`'s answer from the records read through `execute` (see contacts.views.Execute)."""
    email = normalize_email(email)
    contact = read_contact(execute, key, email)
    sup = lookup(execute, key, email) if contact is None else None
    ctrl = settings.controller
    country = contact.country if contact else ""
    templates = home / "templates"
    lang = i18n.language_for(country, language, available=_Answered(templates))
    authority, authority_url = i18n.authority_for(country, settings.supervisory_authority)
    data = {
        "email": email,
        "held": contact is not None,
        "language": lang,
        "controller": ctrl,
        "suppressed": bool(contact.suppressed) if contact else sup is not None,
        "only_fingerprint": contact is None and sup is not None,
        "suppressed_since": sup[1].astimezone(UTC).isoformat() if sup else None,
        "source": contact.source if contact else None,
        "source_url": contact.source_url if contact else None,
        "source_public": contact.source_public if contact else None,
        "collected_at": contact.collected_at.isoformat() if contact else None,
        # Who collected it, as the controller names them (`init --collected-by`), never an OS account.
        "collected_by": (ctrl["collected_by"] or f"{ctrl['sender_name']}, {ctrl['company']}") if contact else None,
        "justification": contact.justification if contact else None,
        "data_held": contact.held() if contact else {},
        # The person's own page (LinkedIn...): held about them (data_held's "profile"), not a source.
        "profile_url": (contact.profile_url or None) if contact else None,
        "purpose": "; ".join(contact.list_purposes) if contact and contact.list_purposes else (
            "business-to-business outreach about our products and services" if contact else None
        ),
        "legal_basis": LEGAL_BASIS,
        "retention": _retention_text(settings.retention),
        "recipients": list(settings.recipients),
        "rights": ["access", "rectification", "erasure", "restriction", "objection", "portability"],
        "how_to_object": (
            f"Reply to this email with 'no thanks', or write to {ctrl['dpo_email'] or ctrl['sender_email']}."
        ),
        "authority": authority,
        "authority_url": authority_url,
    }
    context = {**data, "c": SimpleNamespace(**ctrl), "r": SimpleNamespace(**settings.retention),
               "collected_date": contact.collected_at.date().isoformat() if contact else ""}
    data["text"] = templating.render(f"answers/where.{lang}.txt.j2", context, workspace_templates=templates,
                                     who=email)
    return data
