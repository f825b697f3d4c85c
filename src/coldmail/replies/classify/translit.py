"""Replies typed in Latin letters in a language written in another script: Greeklish ("parakalw mi
mou ksanasteilete"), translit Russian, Ukrainian and Bulgarian ("pozhaluysta ne pishite mne bolshe").
The language detector never proposes Greek or Cyrillic languages for Latin text, and their lexicons
are written in their own script, so such a reply was read in no language at all.

Both sides are folded to one Latin *skeleton*: the lexicon's entries through anyascii (a maintained
transliteration table for every script) and then the skeleton rules, the reply through the skeleton
rules alone. The rules merge what writers spell differently: in Greek η, ι, υ, ει, οι all become "i",
ο and ω "o", χ "h" (written x, ch, kh or h), ξ "ks" (ks, 3); in Cyrillic й, ы, и, і "i", я "ia"
(ya, ja, ia), х, г and ґ "h" (Ukrainian г is h), ц "c" (ts, tz, c), ш and щ "sh" (sh, shch, sch, w).
A skeleton loses letters on purpose: it is read only when no language reads a reply, and what it finds
is acted on only where the second opinion agrees (intent.py)."""

from __future__ import annotations

import functools
import re

FAMILY = {"el": "greek", "ru": "cyrillic", "uk": "cyrillic", "bg": "cyrillic"}
_NATIVE = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff\u0400-\u04ff]")
_LETTER = re.compile(r"[^\W\d_]")

# Ordered: digraphs before the letters they hold. Placeholders in capitals keep a rule's output from
# being rewritten by a later one.
_RULES = {
    "greek": [
        (r"(?<=[a-z])8|8(?=[a-z])", "th"), (r"(?<=[a-z])3|3(?=[a-z])", "ks"), (r"(?<=[a-z])4|4(?=[a-z])", "ps"),
        (r"ou|oy", "U"), (r"a[uy]|af(?=[^aeiouy])", "AV"), (r"e[uy]|ef(?=[^aeiouy])", "EV"),
        (r"ch|kh|x", "H"), (r"ph", "f"), (r"mp|b", "v"), (r"nt", "d"), (r"g[kg]", "g"),
        (r"ei|oi|[yu]i", "i"), (r"ai", "e"), (r"[yu]", "i"), (r"w", "o"), (r"h", "H"),
    ],
    "cyrillic": [
        (r"'", ""), (r"(?<=[a-z])4|4(?=[a-z])", "CH"), (r"shch|sch|sht", "SH"), (r"sh|w", "SH"),
        (r"zh", "Z"), (r"ch", "CH"), (r"kh|x|h|g", "H"), (r"ts|tz|c", "C"),
        (r"[yji]a", "IA"), (r"[yji]u", "IU"), (r"[yj]e|ie", "e"), (r"[yj]o", "e"), (r"[yj]", "i"),
    ],
}
_COMPILED = {family: [(re.compile(p), r) for p, r in rules] for family, rules in _RULES.items()}
_DOUBLE = re.compile(r"([a-z])\1+")


LATIN_SHARE = 0.8  # "parakalw mi mou ksanasteilete\n\nΣτάλθηκε από το iPhone μου": a phone's line in the script


def latin_only(text: str) -> bool:
    """Letters, nearly all of them Latin: at most a line or two in Greek or Cyrillic beside them."""
    letters = len(_LETTER.findall(text))
    return letters > 0 and len(_NATIVE.findall(text)) <= (1 - LATIN_SHARE) * letters


_WORD = re.compile(r"\w+(?:'\w+)*")


@functools.lru_cache(maxsize=65536)
def _word(word: str, family: str) -> str:
    from coldmail.replies.classify.lexicon import plain

    out = plain(word)
    for pattern, repl in _COMPILED[family]:
        out = pattern.sub(repl, out)
    return _DOUBLE.sub(r"\1", out.lower())


def skeleton(text: str, family: str) -> str:
    """Latin text with each word folded to the skeleton of a script family (lower case, no
    diacritics); the punctuation and line breaks between words stay as written."""
    return _WORD.sub(lambda m: _word(m.group(), family), text)


def from_native(text: str, family: str) -> str:
    """A lexicon entry written in its own script, as the skeleton of its Latin spelling."""
    from anyascii import anyascii

    from coldmail.replies.classify.lexicon import plain

    folded = plain(text)
    if family == "greek":
        folded = folded.replace("ξ", "κσ").replace("ψ", "πσ")  # anyascii's "x" is χ's letter in Greeklish
    return skeleton(anyascii(folded), family)


def latin_entries(entries: list[str], family: str, english: frozenset[str]) -> list[str]:
    """A part's entries as skeletons ("=" kept). Not the English loanwords a lexicon holds as written
    ("email", "newsletter": an English reply holds them too; its own translit entries, "pishete",
    stay), nor an entry that folds to fewer than two letters ("www" folds to "o", the Greek article)."""
    out = []
    for entry in entries:
        word = entry.lstrip("=")
        if word.isascii() and word.lower() in english:
            continue
        folded = from_native(word, family)
        if sum(ch.isalpha() for ch in folded) >= 2:
            out.append(("=" if entry.startswith("=") else "") + folded)
    return out
