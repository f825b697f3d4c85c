"""The pages `coldmail serve` shows, rendered from `templates/web/` (shipped, autoescaped) with the
words of `mail/locales/<lang>.toml` (tables `common`, `fields` and `page`), in the contact's language."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from coldmail.mail import grammar, i18n
from coldmail.mail.templating import shipped_templates_dir
from coldmail.store.workspace import Workspace
from coldmail.web.recipient import Resolved


def page_languages() -> tuple[str, ...]:
    """Languages the page speaks: every language coldmail writes in."""
    return i18n.LANGUAGES


def strings(lang: str) -> dict[str, str]:
    """The page's words in one language (English fills a gap, so a page is never half blank; the
    tests fail on any gap)."""
    return i18n.words(lang, "page")


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(shipped_templates_dir() / "web")), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def language(who: Resolved | None, asked: str | None = None) -> str:
    country = who.contact.country if who and who.contact else None
    return i18n.language_for(country, asked, available=page_languages())


def render(name: str, *, ws: Workspace, lang: str, **context) -> str:
    ctrl = ws.config.controller
    return environment().get_template(name).render(
        t=strings(lang), lang=lang, rtl=lang in i18n.RTL, c=ctrl, **context)


def page_context(ws: Workspace, who: Resolved, lang: str) -> dict:
    """Everything the recipient's page shows, from the records (Art. 14 item by item)."""
    contact = who.contact
    assert contact is not None
    ctrl = ws.config.controller
    t = strings(lang)
    authority, authority_url = i18n.authority_for(contact.country, ws.config.supervisory_authority)
    authority = i18n.localized(authority, lang)
    held = [(t.get(f"field_{k}", k), v) for k, v in contact.held().items()]
    # A profile page (LinkedIn...) is data held about the person, not where they were found.
    profile = grammar.is_profile(contact.source_url)
    if profile and "profile" not in contact.held():  # a row imported before profiles had their own field
        held.append((t["field_profile"], contact.source_url))
    return {
        "contact": contact,
        "held": held,
        "source_url": "" if profile else contact.source_url,
        "purposes": [p for p in contact.list_purposes if p] or [t["purpose_default"]],
        "collected_on": contact.collected_at.date().isoformat(),
        "collected_by": ctrl.collected_by or f"{ctrl.sender_name}, {ctrl.company}",
        "retention": t["retention_body"].format(never=i18n.months(ws.config.retention.never_contacted_months, lang),
                                                no_reply=i18n.months(ws.config.retention.no_reply_months, lang),
                                                replied=i18n.months(ws.config.retention.replied_months, lang)),
        "recipients": list(ws.config.recipients),
        "transfers": (i18n.words(lang, "notice")["transfers"].format(country=ctrl.country)
                      if i18n.outside_eea(ctrl.country) else i18n.words(lang, "notice")["no_transfers"]),
        "authority": authority,
        "authority_url": authority_url,
        "privacy_contact": ctrl.dpo_email or ctrl.sender_email,
    }
