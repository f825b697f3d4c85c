"""Build the lemma maps shipped in the package (src/coldmail/replies/classify/lexicons/lemmas/).

    python scripts/build_lemma_maps.py            # every language whose map is missing or stale
    python scripts/build_lemma_maps.py --all      # every language

Run it after editing a lexicon (a test fails while a map is stale). For each simplemma language the
lexicons use, it keeps the forms of simplemma's dictionary whose lemma or form the lexicons can match
(lemmas.build), then checks that every lexicon compiles to the same lemma patterns over the map as over
simplemma's whole dictionary, and writes `<code>.json.gz` (sorted, no timestamp: reproducible).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time

from coldmail.replies.classify import lemmas
from coldmail.replies.classify.lexicon import LEXICON_DIR, read_file


def codes() -> list[str]:
    found = {read_file(p)[0].get("lemma", "none") for p in LEXICON_DIR.glob("*.txt")}
    return sorted(found - {"none"})


def patterns_with(lemma_fn, code: str) -> dict[str, list[str]]:
    """Each lexicon's lemma patterns of `code`, compiled with `lemma_fn` as the lemmatizer."""
    from coldmail.replies.classify import lexicon as lexmod

    saved = lexmod.lemma_of
    lexmod.lemma_of = lemma_fn
    lexmod.lexicon.cache_clear()
    try:
        out = {}
        for path in lemmas.lexicon_files(code):
            lex = lexmod.lexicon(path.stem)
            out[path.stem] = {part: p.pattern for part, p in lex.lemmas.items()}
        return out
    finally:
        lexmod.lemma_of = saved
        lexmod.lexicon.cache_clear()


def same_patterns(code: str, forms: dict[str, str]) -> bool:
    """Do the lexicons of `code` compile to the same lemma patterns over `forms` as over simplemma's whole
    dictionary?"""
    import simplemma
    from simplemma import Lemmatizer
    from simplemma.strategies import DefaultStrategy

    from coldmail.replies.classify.lexicon import _fold_word

    class One:
        def get_dictionary(self, lang):
            return forms

    restricted = Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=One()))

    def with_lemmatizer(lemmatize):
        def lemma(word: str, lang: str | None) -> str:
            return _fold_word(lemmatize(word, lang).lower()) if lang else _fold_word(word)
        return lemma

    return (patterns_with(with_lemmatizer(simplemma.lemmatize), code)
            == patterns_with(with_lemmatizer(restricted.lemmatize), code))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--all", action="store_true", help="rebuild every map, not only the stale ones")
    args = ap.parse_args()
    from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY

    lemmas.MAPS_DIR.mkdir(exist_ok=True)
    failed = 0
    for code in codes():
        path = lemmas.MAPS_DIR / f"{code}.json.gz"
        stamp = lemmas.stamp(code)
        if not args.all and path.exists() and json.loads(gzip.decompress(path.read_bytes())).get("stamp") == stamp:
            continue
        started = time.perf_counter()
        forms = lemmas.build(code)

        same = same_patterns(code, forms)
        if not same:
            failed += 1
        data = json.dumps({"stamp": stamp, "forms": forms}, ensure_ascii=False, sort_keys=True).encode()
        path.write_bytes(gzip.compress(data, mtime=0))
        DEFAULT_DICTIONARY_FACTORY._get_dictionary.cache_clear()  # one large dictionary at a time
        print(f"{code}: {len(forms):,} forms, {path.stat().st_size / 1024:.0f} KiB, "
              f"{time.perf_counter() - started:.1f} s, patterns {'the same' if same else 'DIFFER'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
