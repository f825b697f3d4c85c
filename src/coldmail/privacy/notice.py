"""`coldmail notice`: the full Art. 14 privacy notice, filled from the workspace, for the website."""

from __future__ import annotations

from sqlalchemy import func, select

from coldmail.mail import i18n, templating
from coldmail.store import db
from coldmail.store.models import Contact, ProspectList
from coldmail.store.workspace import Workspace


def notice_context(ws: Workspace) -> dict:
    with db.session_scope(ws.engine, write=False) as session:
        lists = list(session.execute(select(ProspectList).order_by(ProspectList.name)).scalars())
        sources = [s for (s,) in session.execute(
            select(Contact.source).distinct().order_by(Contact.source).limit(50)
        ).all()]
        public_counts = dict(session.execute(
            select(Contact.source_public, func.count()).group_by(Contact.source_public)
        ).all())
    ctrl = ws.config.controller
    authority, authority_url = i18n.authority_for(ctrl.country, ws.config.supervisory_authority)
    return {
        "c": ctrl,
        "r": ws.config.retention,
        "lists": [
            {"name": pl.name, "purpose": pl.purpose, "geography": pl.geography, "industry": pl.industry,
             "roles": pl.roles, "company_size": pl.company_size, "lia_purpose": pl.lia_purpose,
             "lia_necessity": pl.lia_necessity, "lia_balancing": pl.lia_balancing}
            for pl in lists
        ],
        "sources": sources,
        "any_public": bool(public_counts.get(True)),
        "any_private": bool(public_counts.get(False)),
        "recipients": ws.config.recipients,
        "authority": authority,
        "authority_url": authority_url,
        "outside_eea": i18n.outside_eea(ctrl.country),
    }


def render_notice(ws: Workspace, *, language: str = "en") -> str:
    """The notice in `language` (any of `i18n.LANGUAGES`; English for an unknown one). A workspace file
    `templates/notice/privacy_notice.<lang>.md.j2` replaces the shipped text for that language."""
    lang = i18n.language_for(None, language)
    return templating.render(
        f"notice/privacy_notice.{lang}.md.j2", notice_context(ws), workspace_templates=ws.home / "templates"
    )
