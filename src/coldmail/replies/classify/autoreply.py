"""Automatic replies (out of office, vacation notices), recognised by their headers or subject,
and the return date they state."""

from __future__ import annotations

import functools
import re
from datetime import date

from coldmail.replies.classify.phrasefiles import phrases
from coldmail.replies.classify.result import Classification
from coldmail.replies.classify.text import Mail, fold, trie_pattern
from coldmail.store.states import ReplyKind

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
    """An auto-reply phrase at the start of the subject or after a space (the phrase may end mid-word).
    A phrase ending in a colon ("auto:") is a prefix, matched by `_auto_prefix` instead: folded, its
    colon would be gone, and "auto" would match "Re: automatic invoice processing"."""
    words = [p for p in phrases().contains.get("auto_subject", ()) if p and not p.endswith(":")]
    return re.compile(r"(?:^| )" + trie_pattern(words)) if words else re.compile(r"(?!)")


@functools.cache
def _auto_prefixes() -> tuple[str, ...]:
    return tuple(p for p in phrases().contains.get("auto_subject", ()) if p.endswith(":"))


def _auto_prefix(subject: str) -> bool:
    """The subject starts with a prefix phrase ("Auto: ..."), read before folding."""
    return bool(_auto_prefixes()) and subject.strip().lower().startswith(_auto_prefixes())


@functools.cache
def _auto_subject_starts() -> tuple[str, ...]:
    return tuple(p for p in phrases().contains.get("auto_subject", ()) if not p.endswith(":"))  # folded subjects


def auto_reply(mail: Mail, text: str, today: date) -> Classification | None:
    """An automatic reply, by its headers (Auto-Submitted, X-Autoreply...) or its subject; None otherwise."""
    auto = str(mail.get("Auto-Submitted") or "").strip().lower()
    precedence = str(mail.get("Precedence") or "").strip().lower()
    subject = fold(mail.subject)
    flagged = (auto.startswith("auto-replied") or auto.startswith("auto-generated") or mail.get("X-Autoreply")
               or mail.get("X-Autorespond") or precedence == "auto_reply" or mail.get("X-Auto-Response-Suppress") and
               subject and (subject.startswith(_auto_subject_starts()) or _auto_prefix(mail.subject)))
    by_subject = bool(subject) and (_auto_subject().search(subject) is not None or _auto_prefix(mail.subject))
    if not (flagged or by_subject):
        return None
    return Classification(ReplyKind.AUTO_REPLY, 0.95 if flagged else 0.85, return_date=return_date(text, today),
                          why="automatic reply")

