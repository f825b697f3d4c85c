"""Importing the new messages of an IMAP mailbox, remembering the last UID read so that each message
is read once: an [imap.NAME] account of coldmail.toml, or a sending mailbox's own inbox (its
`--imap imaps://USER@HOST:993/INBOX`, with the mailbox's password)."""

from __future__ import annotations

import imaplib
import os
import ssl
from collections.abc import Callable
from urllib.parse import unquote, urlparse

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
    return _read(ws, cfg, key=f"imap:{account}:{cfg.mailbox}"[:64], on_progress=on_progress)


def parse_imap_url(url: str, *, password_env: str) -> Imap:
    """`imaps://USER@HOST[:993][/FOLDER]` (TLS from the start) or `imap://USER@HOST[:143][/FOLDER]`
    (STARTTLS when the server offers it, as smtp:// does); never a password in the URL."""
    parsed = urlparse(url)
    if parsed.scheme not in ("imap", "imaps") or not parsed.hostname or not parsed.username:
        raise BadInput(f"--imap {url!r} should look like imaps://USER@HOST:993/INBOX")
    if parsed.password:
        raise BadInput("--imap: no password in the URL; it is read from the environment")
    implicit = parsed.scheme == "imaps"
    return Imap(host=parsed.hostname, port=parsed.port or (993 if implicit else 143),
                security="ssl" if implicit else "starttls", user=unquote(parsed.username),
                password_env=password_env, mailbox=unquote(parsed.path.strip("/")) or "INBOX")


def import_mailbox_imap(ws: Workspace, *, mailbox: str, url: str, password_env: str,
                        require_tls: bool = False) -> list[ImportedReply]:
    """The new messages of a sending mailbox's own inbox (`coldmail mailbox add … --imap URL`); its
    password is the mailbox's (COLDMAIL_PASSWORD_<NAME>). The last UID read is kept per mailbox."""
    cfg = parse_imap_url(url, password_env=password_env)
    return _read(ws, cfg, key=f"imap-box:{mailbox}"[:64], opportunistic=cfg.security == "starttls",
                 require_tls=require_tls)


def _read(ws: Workspace, cfg: Imap, *, key: str, opportunistic: bool = False, require_tls: bool = False,
          on_progress: Callable[[int, int], None] | None = None) -> list[ImportedReply]:
    password = os.environ.get(cfg.password_env)
    if password is None:
        raise BadInput(f"set ${cfg.password_env} to the password of {cfg.user} at {cfg.host}")
    client = _connect(cfg, password, opportunistic=opportunistic, require_tls=require_tls)
    out: list[ImportedReply] = []
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
    if out:  # bounces and complaints just read may pause a campaign; nothing read, nothing to check
        guard_campaigns(ws)
    return out


def _connect(cfg: Imap, password: str, *, opportunistic: bool = False, require_tls: bool = False) -> imaplib.IMAP4:
    """A logged-in client (TLS from the start, STARTTLS or plain, as configured; `opportunistic`:
    STARTTLS when the server offers it, refused in clear text when `require_tls`)."""
    try:
        if cfg.security == "ssl":
            client = imaplib.IMAP4_SSL(cfg.host, cfg.port, ssl_context=ssl.create_default_context(), timeout=60)
        else:
            client = imaplib.IMAP4(cfg.host, cfg.port, timeout=60)
            if cfg.security == "starttls" and (not opportunistic or "STARTTLS" in client.capabilities):
                client.starttls(ssl.create_default_context())
            elif require_tls:
                client.shutdown()
                raise BadInput(f"IMAP {cfg.host}:{cfg.port} offers no TLS, and require_tls is set")
        client.login(cfg.user, password)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise BadInput(f"IMAP {cfg.host}:{cfg.port}: {exc}") from None
    return client
