"""A hurried phone reply's words, one typo from the words meant: "no thnaks not intrested pls dont emial
agian", "nie jestem zaintersowny prosze nie psiac wiecej". Used by intent.read when no reading of a short
reply finds anything: its words one typo (rapidfuzz's OSA distance, a swap of two letters counting one)
from a lexicon's words are read as those words. What that finds is a guess, acted on only where the model
is sure of the same (a stray reading, `intent.STRAY_SURE`)."""

from __future__ import annotations

import functools
import re

from rapidfuzz import process
from rapidfuzz.distance import OSA

from coldmail.replies.classify.lexicon import LEXICON_DIR, plain, read_file, words

TYPO_LETTERS = 5  # a word this long may be one typo from the word meant; a shorter one is another word as often
_TOKEN = re.compile(r"(\w+)")
_OPT_OUT = ("refusal", "stop", "contact", "action", "channel")


@functools.cache
def _negating(lang: str) -> tuple[str, ...]:
    """The language's short negations, which some languages write onto the verb ("ne" in "nepište")."""
    _, entries = read_file(LEXICON_DIR / f"{lang}.txt")
    return tuple(w for w in (plain(e) for e in entries.get("negation", ())) if w.isalpha() and len(w) <= 3)


@functools.cache
def vocabulary(lang: str) -> tuple[str, ...]:
    """The whole words of a language's opt-out entries (not stems, not scripts without spaces), folded."""
    meta, entries = read_file(LEXICON_DIR / f"{lang}.txt")
    if meta.get("script") == "chars":
        return ()
    # (only into an opt-out's words: "Datei" (file) is one letter from "Daten" (data), and "delete the mail, I
    # attached the wrong file" asks no erasure; never into a negation: "Napiste mi" (write to me) is not "nepište")
    found = {w for part, listed in entries.items() if part in _OPT_OUT for entry in listed if "*" not in entry
             for w in words(entry.lstrip("=").replace("...", " ")) if len(w) >= TYPO_LETTERS}
    return tuple(sorted(found))


def corrected(text: str, lang: str) -> str | None:
    """The text with each word that is not a lexicon word but one typo from one replaced by it, or None
    when no word was."""
    vocab = vocabulary(lang)
    if not vocab:
        return None
    known = frozenset(vocab)
    changed = False

    def fix(m: re.Match) -> str:
        nonlocal changed
        word = plain(m.group())
        if len(word) < TYPO_LETTERS or word in known or not word.isalpha():
            return m.group()
        near = process.extractOne(word, vocab, scorer=OSA.distance, score_cutoff=1)
        if near is None or any(near[0].startswith(n) and not word.startswith(n) for n in _negating(lang)):
            return m.group()  # (not "napište" into "nepište": a typo does not negate)
        changed = True
        return near[0]

    out = _TOKEN.sub(fix, text)
    return out if changed else None
