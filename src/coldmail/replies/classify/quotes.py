"""The reply's own words (`new_text`): the quoted original, forwarded headers, the signature and our
own footer (opt-out and notice, which some clients leave unquoted) are cut away, so that only what
the person wrote is read for intent."""

from __future__ import annotations

import functools
import re

from coldmail.replies.classify.text import fold

_QUOTE_HEADERS = [
    # "On Mon, 3 Jun 2024 at 10:00, Sam <sam@x> wrote:" in many languages (possibly wrapped).
    re.compile(r"^\s*(on|le|am|el|il|op|den|em|på|w dniu|dne|в|את|في|于|在)\b.{0,200}?"
               r"(wrote|a écrit|schrieb|escribió|escribio|ha scritto|schreef|skrev|napisał|napisal|escreveu|"
               r"написал|написала|kirjoitti|írta|kirjutas|rakstīja|כתב|كتب|写道)\s*[:：]?\s*$", re.I),
    # (写道 may follow the time with no space: "09:12写道：", a full-width colon from a Chinese client)
    re.compile(r"^.{0,200}(?:\b(?:wrote|a écrit|schrieb|escribió|ha scritto|schreef|skrev|napisał|escreveu|"
               r"написал|написала|kirjoitti|rakstīja|כתב|كتب)|写道)\s*[:：]\s*$", re.I),
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
        lines.append(fold(first)[:40])
    for path in (shipped_templates_dir() / "layout").glob("notice.*.txt.j2"):
        head = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("{%")]
        if head:
            lines.append(fold(head[0]))
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
    if tail.endswith((":", "：")):
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
    return stripped.endswith((":", "：")) and _ends_with_wrote(stripped.lower()) and bool(_QUOTE_HEADERS[1].match(stripped))


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
    return _attribution(lines, i, stripped) or _header_block(lines, i, stripped)


# Whatever the client's language: an attribution line ("Den tor. 3. dec. 2026 kl. 09.14 skrev Ann
# <ann@x>:", "чт, 3 дек. 2026 г. в 09:14, Ann <ann@x>:") ends with a colon, names a date or an
# address, and the quoted lines follow; a forwarded header block is "Label: value" lines, the
# first with an address ("Feladó: Ann <ann@x>" / "Elküldve: ..." / "Címzett: ..." / "Tárgy: ...").
_LABEL = re.compile(r"^\*?[^\s:>][^:]{0,24}?\*?:\s*\S")


def _next_nonblank(lines: list[str], i: int, within: int = 2) -> str:
    for line in lines[i + 1:i + 1 + within]:
        if line.strip():
            return line.strip()
    return ""


_TIME = re.compile(r"\d{1,2}[:.]\d{2}")


def _attribution(lines: list[str], i: int, stripped: str) -> bool:
    if not (stripped.endswith(":") and len(stripped) < 250 and not stripped.startswith(">")
            and ("@" in stripped or any(ch.isdigit() for ch in stripped))):
        return False
    below = _next_nonblank(lines, i)
    # the quote follows, or (an HTML reply whose blockquote was dropped) nothing does and the line
    # names both an address and a time
    return below.startswith(">") or (not below and "@" in stripped and bool(_TIME.search(stripped)))


# "Sendt fra min iPhone", "Von meinem iPhone gesendet", "iPhoneから送信", "Get Outlook for Android": a
# mobile client's line under the reply, in whatever language; the words are a device or a mail app.
_DEVICE = re.compile(r"(?<![^\W\d_])(iphone|ipad|android|blackberry|galaxy|huawei|xiaomi|outlook for (ios|android))",
                     re.IGNORECASE)


# Latin, full-width (zh, ja), Arabic and Greek question marks: a line that asks is no signature, and no phone's
QUESTION_MARKS = ("?", "？", "؟", "\u037e")
# A phone's line is a name and a few words ("Sent from my iPhone", "Von meinem iPhone gesendet"); one with a
# comma, a question or an exclamation mark says something ("Don't stop, I use Android"; an apostrophe does
# not: "Wysłane z iPhone'a")
_SAYS = re.compile("[" + re.escape("".join(QUESTION_MARKS)) + ",;!\u060c\u3001\uff0c\uff01]")


def device_line(stripped: str) -> bool:
    """A short line that names the phone or the app it was sent from, and asks and says nothing else.
    (Kept in the new text: "Mibgħut mill-iPhone tiegħi" tells the language detector it is Maltese.)"""
    if len(stripped) > 60 or _SAYS.search(stripped) or not _DEVICE.search(stripped):
        return False
    return len(stripped.split()) <= 7


def _header_block(lines: list[str], i: int, stripped: str) -> bool:
    if "@" not in stripped or not _LABEL.match(stripped):
        return False
    return sum(1 for n in lines[i + 1:i + 5] if _LABEL.match(n.strip())) >= 2


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
            i += 2 if (i + 1 < len(lines) and not _wrote_line(stripped) and _wrote_line(lines[i + 1].strip())) else 1
            if not _next_nonblank(lines, i - 1, 50).startswith(">"):
                break  # nothing above, and no ">" quote below: the rest is the original, unquoted (Outlook)
            after_quote = True  # nothing above it: a bottom-posted reply may follow the quote
            continue
        if stripped in ("--", "-- ", "—"):
            break
        # Our own opt-out/notice, unquoted? (Folding every line is costly: an ASCII line that starts
        # with a letter or digit folds to that character, lower-cased, first.)
        if not (stripped[:1].isascii() and stripped[:1].isalnum() and stripped[0].lower() not in own_first):
            folded = fold(stripped)
            if folded and folded.startswith(own):
                break
        out.append(line)
        i += 1
    return "\n".join(out).strip()


_LETTERED = re.compile(r"[^\W\d_]")


def _signature_line(sentence: str) -> bool:
    """A line of a signature: a greeting, a name, a title, a company, an address or a number ("Gruß",
    "Dr Priya Raman BVSc MRCVS", "Banca di Credito Cooperativo della Val Trebbia Alta", "Tel. 954 000 117").
    A few words, or a few more that are mostly capitalized or numbers and end without a full stop."""
    words = [w for w in sentence.split() if _LETTERED.search(w)]
    if sentence.rstrip().endswith(QUESTION_MARKS):
        return False
    if len(words) <= 3:
        return True
    capital = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
    return len(words) <= 10 and not sentence.rstrip().endswith((".", "!")) and capital * 2 >= len(words)


def said(sentences: tuple[str, ...], offsets: tuple[int, ...], ends: int) -> int:
    """How many words the writer said: the words before a disclaimer or a newsletter line, and before the
    signature above it (the lines at the end that `_signature_line` reads as one; the first sentence is
    always said). A formal one-line request above a bank's address and its confidentiality notice is short."""
    while ends > 1 and _signature_line(sentences[ends - 1]):
        ends -= 1
    return offsets[ends]
