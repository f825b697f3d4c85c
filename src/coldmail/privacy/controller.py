"""`coldmail init`: the controller identity, validated and written to coldmail.toml."""

from __future__ import annotations

from pathlib import Path

from coldmail import audit
from coldmail.addresses import normalize_email
from coldmail.errors import BadInput
from coldmail.prospects.fields import clean_text, normalize_country
from coldmail.store import db
from coldmail.store.config import CONFIG_NAME, Controller, save_config
from coldmail.store.workspace import Workspace

REQUIRED = ("company", "sender_name", "sender_email", "postal_address")


def _check_url(name: str, value: str) -> str:
    value = value.strip()
    if value and not value.startswith(("https://", "http://")):
        raise BadInput(f"--{name.replace('_', '-')} must be an http(s) URL; got {value!r}")
    if any(ch.isspace() for ch in value):
        raise BadInput(f"--{name.replace('_', '-')} must not contain spaces")
    return value


def init_workspace(ws: Workspace, **given: str | None) -> tuple[Controller, Path, bool]:
    """Create or update the identity; only the options given change. Returns (identity, path, created)."""
    path = ws.home / CONFIG_NAME
    created = not path.exists()
    current = ws.config.controller.model_dump()
    changes: dict[str, str] = {}
    for key, value in given.items():
        if value is None:
            continue
        if key in ("sender_email", "dpo_email"):
            value = normalize_email(value) if value.strip() else ""
        elif key == "country":
            value = normalize_country(value)
        elif key in ("privacy_url", "unsubscribe_url", "public_url"):
            value = _check_url(key, value).rstrip("/") if key == "public_url" else _check_url(key, value)
        else:
            value = clean_text(value, key)
            if len(value) > 300:
                raise BadInput(f"--{key.replace('_', '-')} is too long (at most 300 characters)")
        changes[key] = value
    merged = {**current, **changes}
    missing = [k for k in REQUIRED if not merged.get(k)]
    if missing:
        raise BadInput("missing " + ", ".join("--" + m.replace("_", "-") for m in missing))
    if merged.get("unsubscribe_url", "").startswith("http://"):
        raise BadInput("--unsubscribe-url must use https (one-click unsubscribe requires it)")
    if merged.get("public_url", "").startswith("http://"):
        raise BadInput("--public-url must use https: run `coldmail serve` behind a TLS proxy (RFC 8058 requires it)")
    controller = Controller(**merged)
    ws.config.controller = controller
    saved = save_config(ws.home, ws.config)
    with db.session_scope(ws.engine) as session:
        audit.record(
            session, actor=ws.actor, action="init" if created else "identity.update",
            subject="controller", detail={"fields": sorted(changes)},
        )
    return controller, saved, created
