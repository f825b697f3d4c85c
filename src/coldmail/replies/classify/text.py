"""A message's text as the readers see it: decoded headers, the body (the HTML made plain, in its
charset), folding, and the prefix-tree patterns the readers' phrases are matched with."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from email.header import Header, decode_header, make_header
from email.message import Message

# ---------------------------------------------------------------------------- folding and patterns

_PUNCT = re.compile(r"[^\w@'\-]+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def fold(text: str) -> str:
    """Lower-case, compatibility-normalised, without combining marks (niqqud, tashkeel), single-spaced."""
    if text.isascii():
        return " ".join(_PUNCT.sub(" ", text.lower()).split())
    text = unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES)
    if any(unicodedata.combining(ch) for ch in text):
        text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
        text = unicodedata.normalize("NFC", text)
    return " ".join(_PUNCT.sub(" ", text).split())


def is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # what `\w` is for str patterns


def trie_pattern(words: Iterable[Sequence[str]], *, escape: bool = True) -> str:
    """An alternation of `words` as a prefix tree: `no(?: thanks| thank you)?` rather than
    `no thanks|no thank you|no`, so the engine follows one branch per character instead of trying
    hundreds of phrases at every position. Longer continuations come first, so at a position the
    longest phrase wins, as in a length-sorted alternation. A word may be a list of regex pieces
    instead of characters, with `escape=False` (a lexicon's entries, lexicon.py)."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        end = "" in node
        branches = [(re.escape(ch) if escape else ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            return "(?:" + body + ")?"
        return body

    return "(?:" + build(trie) + ")"


# ---------------------------------------------------------------------------- headers


def header(msg, name: str) -> str:
    """A header as text, RFC 2047 words decoded, for either email policy."""
    value = msg.get(name)
    if value is None:
        return ""
    if isinstance(value, Header):
        # The classic parser wraps a header holding raw 8-bit bytes in a Header object, whose str() has
        # already replaced them: take the header as it came.
        raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
        value = raw if isinstance(raw, str) else value
    value = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        # Raw UTF-8 in a header (RFC 6532 allows it; many clients send it), which the classic parser
        # keeps as escaped bytes: read as UTF-8, a stray byte as a replacement mark.
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if "=?" in value:
        try:
            value = str(make_header(decode_header(value)))
        except Exception:  # noqa: BLE001 - a broken encoded word reads as it stands
            pass
    return value


class Mail:
    """A message with what several checks read from it worked out once: the names of its headers
    (most checks ask for headers a message does not have, and each lookup scans them all), its
    content type and its decoded subject."""

    def __init__(self, msg) -> None:
        self.msg = msg
        self.names = {k.lower() for k in msg.keys()}
        self.ctype = msg.get_content_type()
        self.subject = header(msg, "Subject") if "subject" in self.names else ""

    def get(self, name: str):
        return self.msg.get(name) if name.lower() in self.names else None

    def get_all(self, name: str) -> list:
        return self.msg.get_all(name, []) if name.lower() in self.names else []


# ---------------------------------------------------------------------------- body


def body_text(msg: Message) -> str:
    """The message's own text (the first text/plain outside attachments and returned messages, else
    the HTML made plain). Uses only the classic Message API: parsing every header with the modern
    policy costs more than classifying."""
    plain = html_part = None
    for part in _own_parts(msg):
        ctype = part.get_content_type()
        if ctype == "text/rfc822-headers" or str(part.get("Content-Disposition", "")).lower().startswith("attachment"):
            continue
        if ctype == "text/plain" and plain is None:
            plain = part
        elif ctype == "text/html" and html_part is None:
            html_part = part
        if plain is not None:
            break
    part = plain if plain is not None else html_part  # a Message with no headers is falsy
    if part is None:
        return ""
    text = _content(part)
    if part is html_part and plain is None:
        text = _html_to_text(text)
    return text.replace("\r\n", "\n")


def _own_parts(msg):
    """Parts of this message, not descending into returned or forwarded messages (message/*)."""
    yield msg
    if msg.get_content_maintype() == "message":
        return
    payload = msg.get_payload()
    if isinstance(payload, list):
        for sub in payload:
            if hasattr(sub, "get_content_type"):
                yield from _own_parts(sub)


def _content(part) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = _charset(part) or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except (LookupError, TypeError):
        return payload.decode("utf-8", "replace")


_CHARSET = re.compile(r';\s*charset\s*=\s*("?)([^";\s]*)\1\s*(?=;|$)', re.I)


def _charset(part) -> str | None:
    """`part.get_content_charset()`, read with one regex when the header is plain (no RFC 2231
    parameters, no comments, no quotes but the charset's own): the full parameter parser costs more
    than decoding the body. Anything else goes to the parser."""
    value = part.get("Content-Type")
    if not isinstance(value, str):
        return part.get_content_charset()
    count = value.lower().count("charset")
    if not count:
        return None
    m = _CHARSET.search(value) if count == 1 else None
    if m is None or "*" in value or "(" in value or value.count('"') != (2 if m.group(1) else 0):
        return part.get_content_charset()
    charset = m.group(2)
    return charset.lower() if charset.isascii() else None


def _html_to_text(html: str) -> str:
    import html as htmllib

    html = re.sub(r"(?is)<(script|style).*?</\1>", " ", html)
    html = re.sub(r"(?is)<blockquote.*?</blockquote>", "\n", html)  # quoted original
    html = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", html)
    return htmllib.unescape(re.sub(r"<[^>]+>", "", html))
