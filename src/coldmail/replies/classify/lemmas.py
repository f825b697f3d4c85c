"""Lemmas for the lexicons, from simplemma, without its whole dictionaries in memory.

simplemma keeps at most 8 of its dictionaries loaded (0.1-2 s and up to 400 MB each; 2.3 GB for the
27 the lexicons use), so reading a mailbox that mixes languages reloaded them over and over: about a
second a reply. The lexicons only ever compare a sentence's lemmas with their own words, so each
language needs only the part of simplemma's dictionary whose lemma (or form) is one of those words:
a few thousand forms. Those parts are built from simplemma's data by `scripts/build_lemma_maps.py`
and shipped in `lexicons/lemmas/<code>.json.gz`, stamped with a hash of the lexicon files they were
built for. simplemma's own strategies (rules, affixes, hyphens, casing) still run, over that part.

A lexicon edited since (the stamp differs) gets its part built here from simplemma's full dictionary,
once per process (a few seconds for a large language), and a warning says to rebuild.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import logging
from collections.abc import Mapping

from coldmail.replies.classify.lexicon import (
    AS_WRITTEN,
    LEXICON_DIR,
    _fold_word,
    lemma_words,
    read_file,
    settings,
)

MAPS_DIR = LEXICON_DIR / "lemmas"
log = logging.getLogger(__name__)


def lexicon_files(code: str) -> list:
    """The lexicon files that lemmatize with simplemma's `code` (pt.txt for pt; hr.txt for hbs)."""
    return [p for p, lemma in _lemma_codes() if lemma == code]


@functools.cache
def _lemma_codes() -> tuple:
    """Each lexicon file with its simplemma code, read once (every language's map asks)."""
    return tuple((p, read_file(p)[0].get("lemma")) for p in sorted(LEXICON_DIR.glob("*.txt")))


def stamp(code: str) -> str:
    """What a map was built for: the lexicon files of `code` and simplemma's version."""
    from simplemma.__metadata__ import __version__

    digest = hashlib.sha256(__version__.encode() + b"\0")
    for path in lexicon_files(code):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def vocabulary(code: str, lemma) -> tuple[frozenset[str], tuple[str, ...], set[str]]:
    """The lemmas the lexicons of `code` compare with (exact words, and the stems of "*" entries),
    lemmatized by `lemma(word, code)`, with the negation words, which a "..." gap must see; and the
    entries' words that `lemma` was asked about."""
    exact: set[str] = set()
    stems: set[str] = set()
    asked: set[str] = set()

    def remember(word: str, lang: str | None) -> str:
        asked.add(word)
        return lemma(word, lang)

    for path in lexicon_files(code):
        meta, entries = read_file(path)
        lex = settings(path.stem, meta)
        for part, items in entries.items():
            if part == "negation":
                exact.update(_fold_word(e.casefold()) for e in items)
            if part in AS_WRITTEN:
                continue
            for entry in items:
                if not entry.startswith("="):
                    e, s = lemma_words(entry, lex, remember)
                    exact |= e
                    stems |= s
    return frozenset(exact), tuple(sorted(stems)), asked


def build(code: str) -> dict[str, str]:
    """The forms of simplemma's `code` dictionary whose lemma or form (folded) the lexicons can
    match, each with its lemma as simplemma stores it."""
    import simplemma
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    from coldmail.replies.classify.lexicon import plain

    fold = plain.__wrapped__  # uncached: millions of forms would only churn the cache

    def full_lemma(word: str, lang: str) -> str:
        return _fold_word(simplemma.lemmatize(word, lang).lower())

    exact, stems, words = vocabulary(code, full_lemma)

    def relevant(word: str) -> bool:
        word = fold(word.lower()).replace(" ", "_")
        return word in exact or word.startswith(stems)

    full = DefaultDictionaryFactory(cache_max_size=1).get_dictionary(code)
    lemma_ok: dict[str, bool] = {}
    out: dict[str, str] = {}
    for form, lemma in full.items():
        ok = lemma_ok.get(lemma)
        if ok is None:
            ok = lemma_ok[lemma] = relevant(lemma)
        if ok or relevant(form):
            out[form] = lemma
    # An entry's word that is no dictionary form keeps the lemma simplemma gives it with its whole
    # dictionary, itself included: over the map alone, its affix rules may take it apart otherwise
    # ("meililistist" stays itself with the whole Estonian dictionary, and became "meililistima").
    for word in words:
        if word not in out:
            out[word] = simplemma.lemmatize(word, code)
    return out


def _load(code: str) -> dict[str, str]:
    path = MAPS_DIR / f"{code}.json.gz"
    if path.exists():
        data = json.loads(gzip.decompress(path.read_bytes()))
        if data.get("stamp") == stamp(code):
            return data["forms"]
    log.warning("the lemma map for %s is missing or older than its lexicon; building it now "
                "(run scripts/build_lemma_maps.py to ship it)", code)
    return build(code)


def _factory():
    from simplemma.strategies.dictionaries.dictionary_factory import CachingDictionaryFactory

    class Maps(CachingDictionaryFactory):
        def _get_dictionary_uncached(self, lang: str) -> Mapping[str, str]:
            return _load(lang)

    return Maps(cache_max_size=256)  # a few thousand forms each: all of them stay loaded


@functools.cache
def lemmatizer():
    """simplemma's lemmatizer over the lexicons' parts of its dictionaries."""
    from simplemma import Lemmatizer
    from simplemma.strategies import DefaultStrategy

    return Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=_factory()))
