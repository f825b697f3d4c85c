"""Per-contact tokens for our own opt-out channels (the List-Unsubscribe mailto and link): the
contact's row id and a keyed MAC of it. Unguessable, carrying no personal data, and checked in
constant time; a forged or mangled token names no one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

TOKEN = re.compile(r"\b([0-9a-z]{1,12})\.([a-z2-7]{16})\b")
_PURPOSE = b"coldmail unsubscribe token v1"


def _mac(key: bytes, contact_id: int) -> str:
    digest = hmac.new(key, _PURPOSE + b":" + str(contact_id).encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode("ascii").lower()


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def issue(key: bytes, contact_id: int) -> str:
    """The token for a contact (the same every time)."""
    return f"{_base36(contact_id)}.{_mac(key, contact_id)}"


def read(key: bytes, token: str) -> int | None:
    """The contact id a token was issued for, or None if it is malformed or forged."""
    m = TOKEN.fullmatch(token.strip().lower())
    if m is None:
        return None
    contact_id = int(m.group(1), 36)
    return contact_id if hmac.compare_digest(m.group(2), _mac(key, contact_id)) else None


def find(key: bytes, text: str) -> tuple[str | None, int | None]:
    """The first token-shaped string in a text (a subject), and the contact it names (None: forged)."""
    m = TOKEN.search(text.lower())
    if m is None:
        return None, None
    return m.group(0), read(key, m.group(0))
