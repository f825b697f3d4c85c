"""The phrase files (`phrases/*.txt`, one per language) read into prefix-tree patterns: the
automatic-reply subjects and return-date words (autoreply.py), and the company-wide markers."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from coldmail.replies.classify.text import fold, is_word_char, trie_pattern

PHRASES_DIR = Path(__file__).parent / "phrases"

# ---------------------------------------------------------------------------- phrases


@dataclass(frozen=True)
class PhraseSet:
    contains: dict[str, tuple[str, ...]]
    whole: dict[str, tuple[str, ...]]


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
                whole.setdefault(section, []).append(fold(line[1:]))
            else:
                contains.setdefault(section, []).append(fold(line))
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
    return re.compile(trie_pattern(words) + r"(?!\w)"), firsts, plain


_RUN = re.compile(r"\w+")


def _words(folded: str) -> set[str]:
    """The words (maximal runs of word characters) of the text."""
    return set(_RUN.findall(folded))


def _starts(folded: str, word: str) -> list[int]:
    """Where `word` stands in the text as a whole word."""
    found = []
    size = len(word)
    i = folded.find(word)
    while i >= 0:
        j = i + size
        if (i == 0 or not is_word_char(folded[i - 1])) and (j == len(folded) or not is_word_char(folded[j])):
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


@functools.cache
def _whole_opt_outs() -> frozenset[str]:
    return frozenset(phrases().whole.get("opt_out", ()))
