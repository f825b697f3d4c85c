"""Importing the new messages of an IMAP mailbox ([imap.NAME] in coldmail.toml), remembering the
last UID read so that each message is read once."""

from __future__ import annotations

import imaplib
import os
import ssl
from collections.abc import Callable

from coldmail.errors import BadInput, NotFound
from coldmail.replies.ingest import ImportedReply, guard_campaigns, ingest_one
from coldmail.store import db
from coldmail.store.config import Imap
from coldmail.store.models import Meta
from coldmail.store.workspace import Workspace


def import_imap(ws: Workspace, account: str,
                on_progress: Callable[[int, int], None] | None = None) -> list[ImportedReply]:
    """Read only the new messages of an IMAP mailbox ([imap.NAME] in coldmail.toml). The last UID read is
    remembered per UIDVALIDITY; if the server resets UIDVALIDITY, the mailbox is read again from the
    start and already-imported messages are recognised by their Message-ID."""
    cfg = ws.config.imap.get(account)
    if cfg is None:
        known = ", ".join(sorted(ws.config.imap)) or "none configured"
        raise NotFound(f"no IMAP account {account!r} in coldmail.toml (accounts: {known})")
    password = os.environ.get(cfg.password_env)
    if password is None:
        raise BadInput(f"set ${cfg.password_env} to the password of {cfg.user} at {cfg.host}")
    client = _connect(cfg, password)
    out: list[ImportedReply] = []
    key = f"imap:{account}:{cfg.mailbox}"[:64]
    try:
        status, _ = client.select(cfg.mailbox, readonly=True)
        if status != "OK":
            raise BadInput(f"IMAP: cannot open mailbox {cfg.mailbox!r}")
        validity = (client.response("UIDVALIDITY")[1] or [b"0"])[0].decode()
        with db.session_scope(ws.engine, write=False) as session:
            row = session.get(Meta, key)
            seen_validity, last_uid = (row.value.split(":") if row else (validity, "0"))
        last = int(last_uid) if seen_validity == validity else 0
        _, data = client.uid("search", None, f"UID {last + 1}:*")
        uids = [int(u) for u in (data[0] or b"").split() if int(u) > last]
        for i, uid in enumerate(uids, 1):
            _, fetched = client.uid("fetch", str(uid), "(BODY.PEEK[])")
            raw = next((part[1] for part in fetched if isinstance(part, tuple)), None)
            label = f"imap://{cfg.user}@{cfg.host}/{cfg.mailbox};UID={uid}"
            if raw is None:
                out.append(ImportedReply.not_read(label, "empty fetch"))
            else:
                out.append(ingest_one(ws, label, raw))
            with db.session_scope(ws.engine) as session:
                row = session.get(Meta, key)
                value = f"{validity}:{uid}"
                if row is None:
                    session.add(Meta(key=key, value=value))
                else:
                    row.value = value
            if on_progress:
                on_progress(i, len(uids))
    finally:
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - the connection may already be gone
            pass
    guard_campaigns(ws)
    return out


def _connect(cfg: Imap, password: str) -> imaplib.IMAP4:
    """A logged-in client (TLS from the start, STARTTLS or plain, as configured)."""
    try:
        if cfg.security == "ssl":
            client = imaplib.IMAP4_SSL(cfg.host, cfg.port, ssl_context=ssl.create_default_context(), timeout=60)
        else:
            client = imaplib.IMAP4(cfg.host, cfg.port, timeout=60)
            if cfg.security == "starttls":
                client.starttls(ssl.create_default_context())
        client.login(cfg.user, password)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise BadInput(f"IMAP {cfg.host}:{cfg.port}: {exc}") from None
    return client
