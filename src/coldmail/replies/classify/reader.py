"""Reading a reply: bounce, complaint, auto-reply or a person; and what the person asked for.

The order matters: bounces often carry Auto-Submitted, so they are recognised first; a person's
reply is classified on its new text only, because the quoted original carries our own opt-out
footer ("reply 'no thanks'") and would otherwise suppress everyone who answers.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage, Message
from email.utils import getaddresses
from pathlib import Path

PHRASES_DIR = Path(__file__).parent / "phrases"
REVIEW_THRESHOLD = 0.8
_EMAIL = re.compile(r"[A-Za-z0-9._%+'=-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@dataclass
class Classification:
    kind: str  # opt_out, bounce_hard, bounce_soft, complaint, auto_reply, data_request, human
    confidence: float
    request: str | None = None  # source, access, erasure
    company_wide: bool = False
    also_opt_out: bool = False
    failed_recipients: list[str] = field(default_factory=list)
    return_date: date | None = None
    new_text: str = ""
    why: str = ""


# ---------------------------------------------------------------------------- phrases


@dataclass(frozen=True)
class PhraseSet:
    contains: dict[str, tuple[str, ...]]
    whole: dict[str, tuple[str, ...]]


_PUNCT = re.compile(r"[^\w@'\-]+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def _fold(text: str) -> str:
    """Lower-case, compatibility-normalised, without combining marks (niqqud, tashkeel), single-spaced."""
    if text.isascii():
        return " ".join(_PUNCT.sub(" ", text.lower()).split())
    text = unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES)
    if any(unicodedata.combining(ch) for ch in text):
        text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
        text = unicodedata.normalize("NFC", text)
    return " ".join(_PUNCT.sub(" ", text).split())


@functools.cache
def phrases(directory: Path = PHRASES_DIR) -> PhraseSet:
    """All languages' phrases, by section. Each file is `[section]` headers and one phrase a line."""
    contains: dict[str, list[str]] = {}
    whole: dict[str, list[str]] = {}
    for path in sorted(directory.glob("*.txt")):
        section = None
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                continue
            if section is None:
                continue
            if line.startswith("="):
                whole.setdefault(section, []).append(_fold(line[1:]))
            else:
                contains.setdefault(section, []).append(_fold(line))
    return PhraseSet({k: tuple(v) for k, v in contains.items()}, {k: tuple(v) for k, v in whole.items()})


def _is_cjk(text: str) -> bool:
    return any("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in text)


@functools.cache
def _section(section: str) -> tuple[re.Pattern | None, frozenset[str], tuple[str, ...]]:
    """A section's word phrases as one prefix-tree pattern, tried where one of them may start; the
    first word of each of them; and its CJK phrases, matched as substrings."""
    words = [p for p in phrases().contains.get(section, ()) if p and not _is_cjk(p) and re.match(r"\w", p[0])]
    plain = tuple(p for p in phrases().contains.get(section, ()) if p and p not in words)
    if not words:
        return None, frozenset(), plain
    firsts = frozenset(_RUN.match(w).group(0) for w in words)
    return re.compile(_trie_pattern(words) + r"(?!\w)"), firsts, plain


_RUN = re.compile(r"\w+")


def _words(folded: str) -> set[str]:
    """The words (maximal runs of word characters) of the text."""
    return set(_RUN.findall(folded))


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # what `\w` is for str patterns


def _starts(folded: str, word: str) -> list[int]:
    """Where `word` stands in the text as a whole word."""
    found = []
    size = len(word)
    i = folded.find(word)
    while i >= 0:
        j = i + size
        if (i == 0 or not _is_word_char(folded[i - 1])) and (j == len(folded) or not _is_word_char(folded[j])):
            found.append(i)
        i = folded.find(word, j)
    return found


def _spans(folded: str, section: str, vocab: set[str]) -> list[tuple[int, int]]:
    pattern, firsts, _ = _section(section)
    if pattern is None:
        return []
    return _find(pattern, firsts, folded, vocab)


def _find(pattern: re.Pattern, firsts: frozenset[str], folded: str, vocab: set[str]) -> list[tuple[int, int]]:
    r"""The spans `(?<!\w)(?:phrases)(?!\w)` finds with finditer, given `pattern` (the phrases and
    `(?!\w)`), the phrases' first words and the text's words, but tried only where a first word
    stands. A match starts at a word start, and its first word must be a whole word of the text (the
    phrase goes on with a non-word character, or the pattern's `(?!\w)` ends it), so no other
    position can match, and a text without any phrase's first word is not read at all."""
    present = vocab & firsts
    if not present:
        return []
    starts = sorted(pos for word in present for pos in _starts(folded, word))
    found: list[tuple[int, int]] = []
    end = 0
    for pos in starts:
        if pos < end:
            continue
        m = pattern.match(folded, pos)
        if m:
            found.append(m.span())
            end = m.end()
    return found


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each span replaced by one space, as `pattern.sub(" ", text)` does."""
    pieces, last = [], 0
    for a, b in spans:
        pieces.append(text[last:a])
        last = b
    pieces.append(text[last:])
    return " ".join(pieces)


def _matches(folded: str, section: str, vocab: set[str]) -> list[str]:
    found = [folded[a:b] for a, b in _spans(folded, section, vocab)]
    return found + [p for p in _section(section)[2] if p in folded]


def _trie_pattern(words: list[str]) -> str:
    """An alternation of `words` as a prefix tree: `no(?: thanks| thank you)?` rather than
    `no thanks|no thank you|no`, so the engine follows one branch per character instead of trying
    hundreds of phrases at every position. Longer continuations come first, so at a position the
    longest phrase wins, as in a length-sorted alternation."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        end = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            return "(?:" + body + ")?"
        return body

    return "(?:" + build(trie) + ")"


# ---------------------------------------------------------------------------- text


def header(msg, name: str) -> str:
    """A header as text, RFC 2047 words decoded, for either email policy."""
    value = msg.get(name)
    if value is None:
        return ""
    value = str(value)
    if "=?" in value:
        try:
            from email.header import decode_header, make_header

            value = str(make_header(decode_header(value)))
        except Exception:  # noqa: BLE001 - a broken encoded word reads as it stands
            pass
    return value


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


_QUOTE_HEADERS = [
    # "On Mon, 3 Jun 2024 at 10:00, Sam <sam@x> wrote:" in many languages (possibly wrapped).
    re.compile(r"^\s*(on|le|am|el|il|op|den|em|på|w dniu|dne|в|את|في|于|在)\b.{0,200}?"
               r"(wrote|a écrit|schrieb|escribió|escribio|ha scritto|schreef|skrev|napisał|napisal|escreveu|"
               r"написал|написала|kirjoitti|írta|kirjutas|rakstīja|כתב|كتب|写道)\s*:?\s*$", re.I),
    re.compile(r"^.{0,200}\b(wrote|a écrit|schrieb|escribió|ha scritto|schreef|skrev|napisał|escreveu|"
               r"написал|написала|kirjoitti|rakstīja|כתב|كتب|写道)\s*:\s*$", re.I),
    re.compile(r"^\s*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|"
               r"messaggio originale|oorspronkelijk bericht|originalmeddelande|wiadomość oryginalna|"
               r"mensagem original|исходное сообщение|forwarded message|weitergeleitete nachricht)\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*_{20,}\s*$"),
    re.compile(r"^\s*(sent from my|gesendet von meinem|envoyé de mon|enviado desde mi|inviato da|verzonden vanaf|"
               r"skickat från min|wysłane z|enviado do meu|отправлено с)\b", re.I),
]
_HEADER_BLOCK = re.compile(r"^\s*\*?(from|von|de|da|van|fra|från|od|от|de la|מאת|من|发件人|差出人)\s*\*?\s*:", re.I)
_HEADER_NEXT = re.compile(r"^\s*\*?(sent|gesendet|envoyé|enviado|inviato|verzonden|sendt|skickat|wysłano|"
                          r"отправлено|date|datum|fecha|data|to|an|à|para|a|aan|til|till|do|кому|"
                          r"subject|betreff|objet|asunto|oggetto|onderwerp|emne|ämne|temat|assunto|тема|"
                          r"נשלח|تاريخ|发送时间|送信日時)\s*\*?\s*:", re.I)


@functools.cache
def _own_footer_lines() -> tuple[str, ...]:
    """The first sentence of our own opt-out block in every language: if it appears unquoted (some
    clients do not mark quotes), the text from there on is ours, not theirs."""
    from coldmail.mail.templating import shipped_templates_dir

    lines = []
    for path in (shipped_templates_dir() / "layout").glob("optout.*.txt.j2"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        lines.append(_fold(first)[:40])
    for path in (shipped_templates_dir() / "layout").glob("notice.*.txt.j2"):
        head = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("{%")]
        if head:
            lines.append(_fold(head[0]))
    return tuple(x for x in lines if x)


# Cheap tests that every match of the patterns above passes, so that the patterns (slow: a lazy
# `.{0,200}?` and case-insensitive alternations) run on a handful of lines rather than on all of them.
_WROTE = ("wrote", "a écrit", "schrieb", "escribió", "escribio", "ha scritto", "schreef", "skrev", "napisał",
          "napisal", "escreveu", "написал", "написала", "kirjoitti", "írta", "kirjutas", "rakstīja", "כתב", "كتب",
          "写道")
_SENT_FROM = ("sent from my", "gesendet von meinem", "envoyé de mon", "enviado desde mi", "inviato da",
              "verzonden vanaf", "skickat från min", "wysłane z", "enviado do meu", "отправлено с")


def _ends_with_wrote(lowered: str) -> bool:
    tail = lowered.rstrip()
    if tail.endswith(":"):
        tail = tail[:-1].rstrip()
    return tail.endswith(_WROTE)


def _quote_header_line(stripped: str) -> bool:
    """One of _QUOTE_HEADERS matches the (stripped) line."""
    if not stripped:
        return False
    lowered = stripped.lower()
    if _ends_with_wrote(lowered) and (_QUOTE_HEADERS[0].match(stripped) or _QUOTE_HEADERS[1].match(stripped)):
        return True
    first = stripped[0]
    if first == "-":
        return bool(_QUOTE_HEADERS[2].match(stripped))
    if first == "_":
        return bool(_QUOTE_HEADERS[3].match(stripped))
    return lowered.startswith(_SENT_FROM) and bool(_QUOTE_HEADERS[4].match(stripped))


def _wrote_line(stripped: str) -> bool:
    """_QUOTE_HEADERS[1] matches the (stripped) line."""
    return stripped.endswith(":") and _ends_with_wrote(stripped.lower()) and bool(_QUOTE_HEADERS[1].match(stripped))


@functools.cache
def _own_footer_initials() -> frozenset[str]:
    return frozenset(line[0] for line in _own_footer_lines())


def _is_quote_header(lines: list[str], i: int) -> bool:
    stripped = lines[i].strip()
    if _quote_header_line(stripped):
        return True
    nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
    # a quote header wrapped over two lines: 'On 02.04.2012 14:20, "Bob" <' / 'bob@example.com> wrote:'
    if nxt and not stripped.startswith(">") and not nxt.startswith(">") and _wrote_line(nxt):
        return bool(re.search(r"\d|@|<", stripped)) and len(stripped) < 200
    if ":" in stripped and _HEADER_BLOCK.match(stripped) and any(_HEADER_NEXT.match(n) for n in lines[i + 1:i + 5]):
        return True
    return False


def new_text(text: str) -> str:
    """The reply's own words: quoted original, forwarded headers and signature removed.
    Top-posted and inline replies keep the lines outside the quote; a bottom-posted reply (quote
    first, then the answer) keeps what follows the quote."""
    lines = text.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    own = _own_footer_lines()
    own_first = _own_footer_initials()
    after_quote = False
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith(">"):
            i += 1
            continue  # quoted; inline replies keep their own lines between quotes
        if _is_quote_header(lines, i):
            if any(x.strip() for x in out) or after_quote:
                break
            after_quote = True  # nothing above it: a bottom-posted reply may follow the quote
            i += 2 if (i + 1 < len(lines) and not _wrote_line(stripped) and _wrote_line(lines[i + 1].strip())) else 1
            continue
        if stripped in ("--", "-- ", "—"):
            break
        # Our own opt-out/notice, unquoted? (Folding every line is costly: an ASCII line that starts
        # with a letter or digit folds to that character, lower-cased, first.)
        if not (stripped[:1].isascii() and stripped[:1].isalnum() and stripped[0].lower() not in own_first):
            folded = _fold(stripped)
            if folded and folded.startswith(own):
                break
        out.append(line)
        i += 1
    return "\n".join(out).strip()


# ---------------------------------------------------------------------------- bounces


_BOUNCE_FROM = re.compile(r"mailer-daemon|postmaster|mail delivery|mailadmin|mail administrator|"
                          r"system administrator|deliverystatus|returned mail|mdaemon|smtp32|"
                          r"microsoft outlook|bounce", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery status|delivery (has )?fail|failure notice|returned mail|"
    r"mail delivery failed|delivery failure|failure delivery|non.?delivery|nondeliverable|could not be delivered|"
    r"mail system error|delivery notification|message status|returned to sender|warning: could not send|"
    r"delivery report|not delivered|unzustellbar|non remis|no se puede entregar|mail failure|bounce|"
    r"error sending|delayed mail|delivery delayed|unable to deliver|mail error|failed mail|delivery warning|"
    r"not yet been delivered|could not be delivered|deliver(y|ing) problem", re.I)
# Phrases of bounce bodies, matched in the lower-cased text: literal ones through a prefix tree,
# the few with gaps through a small pattern of their own.
_BOUNCE_BODY_PHRASES = re.compile(_trie_pattern([
    "could not be delivered", "couldn't be delivered", "permanent fatal errors", "user unknown",
    "unknown user", "no such user", "mailbox unavailable", "mailbox not found", "does not exist",
    "this is the qmail-send program", "wasn't able to deliver", "was not able to deliver", "unable to deliver",
    "delivery failed", "undeliverable", "did not reach the following recipient",
    "delivery to the following recipient", "recipient address rejected", "message could not be delivered",
    "not be delivered to", "returned to you", "failed to deliver", "delivery has failed", "invalid recipient",
    "address rejected", "host unknown", "no mailbox", "unrouteable", "unroutable", "over quota",
    "mailbox full", "quota exceeded", "will retry", "still undelivered", "message delivery has been delayed",
    "could not deliver", "permanent error", "temporary error", "retry timeout exceeded", "undeliverable mail",
    "delivery status notification", "bad destination", "not a valid", "rejected your message",
    "message removed", "cannot be delivered", "can't be delivered", "not yet been delivered",
    "has been postponed", "full mailbox", "space not enough", "did not exactly match",
    "mail delivery software",
]))
_BOUNCE_BODY_GAPS = re.compile(r"account.{0,20}disabled|delivery.{0,40}delayed|recipient.{0,20}unknown")
_BOUNCE_ADDRESS_LINE = re.compile(r"^<[^>\s]+@[^>\s]+>:\s*$", re.M)  # qmail: "<user@host>:" alone on a line
# (Each pattern above starts with a literal character, so the regex engine skips ahead to the
# positions where a match can start; an alternative starting with `^` or `\b` would make it try
# every position.)


def _bounce_body(lowered: str) -> bool:
    return bool(_BOUNCE_BODY_PHRASES.search(lowered) or _BOUNCE_BODY_GAPS.search(lowered)
                or (lowered.startswith("<") or "\n<" in lowered) and _BOUNCE_ADDRESS_LINE.search(lowered))


# Matched in the lower-cased text, like the bounce phrases above.
_SOFT = re.compile(_trie_pattern([
    "mailbox full", "full mailbox", "over quota", "quota exceeded", "temporar", "delayed", "will retry",
    "will be retried", "still undelivered", "not yet been delivered", "postponed", "try again later", "deferred",
    "space not enough", "continue to attempt",
]))
_HARD = re.compile(_trie_pattern(["user unknown", "no such user", "does not exist", "permanent"]))


def _code_classes(text: str, classes: str) -> set[str]:
    r"""The classes of the enhanced status codes in the text, as `findall` with
    `\b([245])\.\d{1,3}\.\d{1,3}\b` finds them (non-overlapping: "JetMail 2.5.3.0" holds 2.5.3, not
    5.3.0), for `classes` among "245". Searched for without the leading `\b`, which would make the
    engine try every position; the boundary is checked here."""
    pattern = _CODES[classes]
    found: set[str] = set()
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        start = m.start()
        if start == 0 or not _is_word_char(text[start - 1]):
            found.add(text[start])
            pos = m.end()
        else:
            pos = start + 1
    return found


_CODES = {k: re.compile(f"[{k}]" + r"\.\d{1,3}\.\d{1,3}\b") for k in ("245", "4")}


class _Mail:
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


def _walk_parts(msg):
    try:
        yield from msg.walk()
    except Exception:  # noqa: BLE001 - broken MIME trees
        return


def _dsn(mail: _Mail) -> tuple[list[str], str | None, str] | None:
    """RFC 3464: (failed recipients, status code, action) from message/delivery-status."""
    if mail.ctype != "multipart/report":
        return None
    recipients, status, action = [], None, ""
    for part in _walk_parts(mail.msg):
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        texts = []
        if isinstance(blocks, list):
            for b in blocks:
                texts.append("\n".join(f"{k}: {v}" for k, v in b.items()))
        else:
            texts.append(str(blocks))
        for block in texts:
            for line in block.splitlines():
                key, _, value = line.partition(":")
                key = key.strip().lower()
                value = value.strip()
                if key in ("final-recipient", "original-recipient") and value:
                    addr = value.split(";", 1)[-1].strip().strip("<>")
                    if "@" in addr and addr.lower() not in recipients:
                        recipients.append(addr.lower())
                elif key == "status" and value:
                    status = status or value.split()[0]
                elif key == "action" and value:
                    action = action or value.lower()
    return recipients, status, action


def _failed_from_text(mail: _Mail, text: str) -> list[str]:
    msg = mail.msg
    found: list[str] = []
    for name in ("X-Failed-Recipients", "X-Original-To-Failed", "X-MDRcpt-To"):
        for _, addr in getaddresses(mail.get_all(name)):
            if addr and addr.lower() not in found:
                found.append(addr.lower())
    if found:
        return found
    candidates = _EMAIL.findall(text)
    # The message's own addresses are not the failed ones (every address in those headers; the
    # regex is much cheaper than parsing the headers and errs on the side of leaving one out).
    own = {a.lower() for h in ("From", "To", "Return-Path", "Sender") for a in _EMAIL.findall(str(mail.get(h) or ""))}
    for addr in candidates:
        a = addr.lower().rstrip(".")
        if a in own or re.match(r"(mailer-daemon|postmaster|abuse|noreply|no-reply)@", a):
            continue
        if a not in found:
            found.append(a)
    if not found:  # the returned original names whom it was for
        for part in _walk_parts(msg):
            if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
                inner = part.get_payload(0) if part.is_multipart() else None
                headers = inner if inner is not None else part
                for _, addr in getaddresses([str(v) for v in headers.get_all("To", [])]):
                    if addr and addr.lower() not in found and addr.lower() not in own:
                        found.append(addr.lower())
    return found[:5]


def _bounce(mail: _Mail, text: str) -> Classification | None:
    dsn = _dsn(mail)
    if dsn is not None and dsn[0]:
        recipients, status, action = dsn
        soft = (status or "").startswith("4") or action in ("delayed", "relayed")
        return Classification("bounce_soft" if soft else "bounce_hard", 0.99, failed_recipients=recipients,
                              why=f"delivery status notification ({status or action or 'failed'})")
    sender = header(mail.msg, "From") if "from" in mail.names else ""
    looks = bool(_BOUNCE_FROM.search(sender)) + bool(_BOUNCE_SUBJECT.search(mail.subject)) + (dsn is not None)
    failed_header = mail.get("X-Failed-Recipients")
    if not looks and not failed_header:
        return None  # the body alone cannot make it a bounce; most replies stop here, unread
    whole = text[:20000]
    lowered = whole.lower()
    looks += _bounce_body(lowered)
    if looks < 2 and not (looks and failed_header):
        return None
    failed = _failed_from_text(mail, text)
    soft = ("5" not in _code_classes(whole, "245") and not _HARD.search(lowered)
            and bool(_SOFT.search(lowered) or _code_classes(lowered, "4")))
    return Classification("bounce_soft" if soft else "bounce_hard", 0.9 if failed else 0.6,
                          failed_recipients=failed, why="bounce (vendor format)")


def _complaint(mail: _Mail) -> Classification | None:
    """An abuse report (ARF, RFC 5965): the report itself, or a message carrying one."""
    msg = mail.msg
    report = (mail.ctype == "message/feedback-report"
              or mail.ctype == "multipart/report" and "feedback-report" in str(msg.get("Content-Type", "")).lower()
              or msg.is_multipart() and any(p.get_content_type() == "message/feedback-report" for p in _walk_parts(msg)))
    return Classification("complaint", 0.99, why="abuse report (ARF)") if report else None


# ---------------------------------------------------------------------------- auto-replies

_MONTHS = {m: i for i, names in enumerate([
    (), ("january", "jan", "januar", "janvier", "enero", "gennaio", "januari", "janeiro"),
    ("february", "feb", "februar", "février", "febrero", "febbraio", "februari", "fevereiro"),
    ("march", "mar", "märz", "mars", "marzo", "maart", "março"),
    ("april", "apr", "avril", "abril", "aprile"),
    ("may", "mai", "mayo", "maggio", "mei", "maio"),
    ("june", "jun", "juni", "juin", "junio", "giugno", "junho"),
    ("july", "jul", "juli", "juillet", "julio", "luglio", "julho"),
    ("august", "aug", "août", "agosto", "augustus"),
    ("september", "sep", "sept", "septembre", "septiembre", "settembre", "setembro"),
    ("october", "oct", "oktober", "octobre", "octubre", "ottobre", "outubro"),
    ("november", "nov", "novembre", "noviembre", "novembro"),
    ("december", "dec", "dezember", "décembre", "diciembre", "dicembre", "dezembro"),
]) for m in names}


def return_date(text: str, today: date) -> date | None:
    """A return date stated in an out-of-office message, if there is one."""
    folded = text.lower()
    candidates: list[date] = []
    for y, m, d in re.findall(r"\b(20\d\d)-(\d{1,2})-(\d{1,2})\b", folded):
        candidates.append(_mk(int(y), int(m), int(d)))
    for d, m, y in re.findall(r"\b(\d{1,2})[./](\d{1,2})[./](20\d\d|\d\d)\b", folded):
        y = int(y) + (2000 if len(y) == 2 else 0)
        candidates.append(_mk(y, int(m), int(d)))
    for d, month in re.findall(r"\b(\d{1,2})(?:st|nd|rd|th|\.)?\s+(?:de\s+)?([a-zéûäç]+)", folded):
        if month in _MONTHS:
            candidates.append(_next(today, _MONTHS[month], int(d)))
    for month, d in re.findall(r"\b([a-zéûäç]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b", folded):
        if month in _MONTHS:
            candidates.append(_next(today, _MONTHS[month], int(d)))
    future = sorted(c for c in candidates if c and c >= today and (c - today).days <= 120)
    return future[-1] if future else None


def _mk(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _next(today: date, month: int, day: int) -> date | None:
    for year in (today.year, today.year + 1):
        candidate = _mk(year, month, day)
        if candidate and candidate >= today:
            return candidate
    return None


@functools.cache
def _auto_subject() -> re.Pattern:
    """An auto-reply phrase at the start of the subject or after a space (the phrase may end mid-word)."""
    words = [p for p in phrases().contains.get("auto_subject", ()) if p]
    return re.compile(r"(?:^| )" + _trie_pattern(words)) if words else re.compile(r"(?!)")


@functools.cache
def _auto_subject_starts() -> tuple[str, ...]:
    return tuple(phrases().contains.get("auto_subject", ()))


@functools.cache
def _whole_opt_outs() -> frozenset[str]:
    return frozenset(phrases().whole.get("opt_out", ()))


def _auto_reply(mail: _Mail, text: str, today: date) -> Classification | None:
    auto = str(mail.get("Auto-Submitted") or "").strip().lower()
    precedence = str(mail.get("Precedence") or "").strip().lower()
    subject = _fold(mail.subject)
    flagged = (auto.startswith("auto-replied") or auto.startswith("auto-generated") or mail.get("X-Autoreply")
               or mail.get("X-Autorespond") or precedence == "auto_reply" or mail.get("X-Auto-Response-Suppress") and
               subject and subject.startswith(_auto_subject_starts()))
    by_subject = bool(subject) and _auto_subject().search(subject) is not None
    if not (flagged or by_subject):
        return None
    return Classification("auto_reply", 0.95 if flagged else 0.85, return_date=return_date(text, today),
                          why="automatic reply")


# ---------------------------------------------------------------------------- people


def classify_text(text: str) -> Classification:
    """Classify the new words of a person's reply."""
    folded = _fold(text)
    if not folded:
        return Classification("human", 0.5, new_text=text, why="empty reply")
    words = len(folded.split())
    vocab = _words(folded)
    requests = [(kind, _matches(folded, kind, vocab)) for kind in ("erasure", "source", "access")]
    requests = [(k, m) for k, m in requests if m]
    # Opt-out phrases are looked for with the negations and polite positives ("no problem") blanked.
    # (Blanking whole-word phrases leaves a subset of the words, so `vocab` still covers them; blanking
    # a CJK phrase may split a word, so the words are then read again.)
    spans = _spans(folded, "not_opt_out", vocab)
    cleaned = _blank(folded, spans) if spans else folded
    blanked_cjk = False
    for p in _section("not_opt_out")[2]:
        if p in cleaned:
            cleaned = cleaned.replace(p, " ")
            blanked_cjk = True
    whole = folded.strip(" .!") in _whole_opt_outs()
    opt = _matches(cleaned, "opt_out", _words(cleaned) if blanked_cjk else vocab)
    company = bool(_matches(folded, "company", vocab))
    if requests:
        kind = requests[0][0]
        conf = 0.95 if words <= 60 else 0.75
        return Classification("data_request", conf, request=kind, also_opt_out=bool(opt) or kind == "erasure",
                              company_wide=company, new_text=text, why=f"asks: {requests[0][1][0]!r}")
    if whole or opt:
        conf = 0.99 if whole else (0.95 if words <= 40 else 0.85 if words <= 80 else 0.6)
        return Classification("opt_out", conf, company_wide=company, new_text=text,
                              why=f"says: {(opt or ['(whole message)'])[0]!r}")
    return Classification("human", 0.9, new_text=text, why="a person's reply")


def classify(msg: EmailMessage, *, today: date | None = None) -> Classification:
    today = today or datetime.now().date()
    mail = _Mail(msg)
    text = body_text(msg)
    found = _bounce(mail, text) or _complaint(mail) or _auto_reply(mail, text, today)
    if found:
        return found
    return classify_text(new_text(text))
