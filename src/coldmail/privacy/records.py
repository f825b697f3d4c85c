"""The record of processing activities (Art. 30), from the configuration and the lists."""

from __future__ import annotations

from coldmail.mail import templating
from coldmail.privacy.notice import notice_context
from coldmail.store.models import utcnow
from coldmail.store.workspace import Workspace


def records(ws: Workspace) -> str:
    ctx = notice_context(ws)
    ctx["generated_at"] = utcnow().date().isoformat()
    return templating.render("records/record.en.md.j2", ctx, workspace_templates=ws.home / "templates")
