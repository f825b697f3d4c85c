"""What every response and form of `coldmail serve` must respect: security headers (CSP with no
third-party source, no referrer), CSRF tokens bound to a cookie and to the page's token, and a
simple sliding-window rate limit per client address and per token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque

CSRF_COOKIE = "cm_csrf"
HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
     b"base-uri 'none'; object-src 'none'"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    (b"permissions-policy", b"interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """ASGI middleware: the same headers on every response, errors included."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in HEADERS if h[0] not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(key: bytes, nonce: str, token: str) -> str:
    """The form field for a page: tied to the browser's cookie and to the contact's token, so a form
    posted from another site (which cannot read the cookie) or for another contact is refused."""
    return hmac.new(key, f"coldmail csrf v1:{nonce}:{token}".encode(), hashlib.sha256).hexdigest()[:40]


def csrf_ok(key: bytes, nonce: str | None, token: str, given: str | None) -> bool:
    if not nonce or not given:
        return False
    return hmac.compare_digest(csrf_token(key, nonce, token), given)


def same_origin(headers) -> bool:
    """A browser names the page a form was posted from; when it does, it must be this host. Under
    `Referrer-Policy: no-referrer` Chromium sends `Origin: null`, so "null" names nobody: the CSRF
    token and the SameSite cookie still decide."""
    origin = headers.get("origin")
    if not origin or origin == "null":
        return True
    host = headers.get("x-forwarded-host") or headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


class RateLimiter:
    """At most `limit` requests per `window` seconds for each key (a client address, a token)."""

    def __init__(self, limit: int, window: float = 60.0):
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._hits) > 50_000:  # bounded memory under a flood of distinct keys
                self._hits.clear()
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] > self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True
