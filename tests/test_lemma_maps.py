"""The lexicons' lemmas come from small maps cut from simplemma's dictionaries (replies/classify/lemmas.py):
a reply in any language never loads a whole dictionary, the shipped maps are those of the current
lexicons, and a lexicon compiles to the same lemma patterns over its map as over the whole dictionary."""

from __future__ import annotations

import functools
import gzip
import json

import pytest
from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY

from coldmail.replies.classify import classify_text, lemmas
from coldmail.replies.classify.lexicon import LEXICON_DIR, lexicon, read_file

REPLIES = {
    "de": "Bitte nehmen Sie mich aus Ihrem Verteiler.",
    "pl": "Proszę usunąć mój adres z waszej bazy.",
    "fi": "Poistakaa minut postituslistaltanne.",
    "hu": "Kérem, töröljenek a levelezőlistájukról.",
    "et": "Palun eemaldage mind oma nimekirjast.",
    "tr": "Lütfen beni listenizden çıkarın.",
    "ru": "Пожалуйста, удалите меня из вашей рассылки.",
    "es": "Por favor, elimínenme de su lista.",
    "sv": "Ta bort mig från er lista, tack.",
    "bg": "Моля, заличете данните ми.",
    "el": "Παρακαλώ διαγράψτε τα δεδομένα μου.",
    "sk": "Prosím o vyčiarknutie z vášho zoznamu.",
}


def codes() -> list[str]:
    return sorted({read_file(p)[0].get("lemma", "none") for p in LEXICON_DIR.glob("*.txt")} - {"none"})


def test_replies_in_many_languages_never_load_a_whole_simplemma_dictionary():
    DEFAULT_DICTIONARY_FACTORY._get_dictionary.cache_clear()
    for text in REPLIES.values():
        r = classify_text(text)
        assert r.kind in ("opt_out", "data_request"), (text, r.why)
    # simplemma's own factory (8 dictionaries of up to 400 MB, reloaded as languages alternate) was not asked
    assert DEFAULT_DICTIONARY_FACTORY._get_dictionary.cache_info().currsize == 0


@pytest.mark.parametrize("code", codes())
def test_the_shipped_map_is_the_current_lexicons_one(code):
    path = lemmas.MAPS_DIR / f"{code}.json.gz"
    assert path.exists(), f"run scripts/build_lemma_maps.py ({path.name} is missing)"
    data = json.loads(gzip.decompress(path.read_bytes()))
    assert data["stamp"] == lemmas.stamp(code), f"run scripts/build_lemma_maps.py ({code}'s lexicon changed)"
    assert len(data["forms"]) > 100


def test_a_stale_map_is_not_used(monkeypatch, tmp_path):
    """An edited lexicon (the stamp differs) gets its map built from simplemma, not the old one."""
    path = lemmas.MAPS_DIR / "en.json.gz"
    stale = json.loads(gzip.decompress(path.read_bytes()))
    stale["stamp"] = "0" * 64
    stale["forms"] = {"removing": "wrong"}
    monkeypatch.setattr(lemmas, "MAPS_DIR", tmp_path)
    (tmp_path / "en.json.gz").write_bytes(gzip.compress(json.dumps(stale).encode()))
    forms = lemmas._load("en")
    assert forms.get("removing") == "remove"


@pytest.mark.parametrize("code", ["en", "bg"])  # bg: entry words simplemma lemmatizes by taking them apart
def test_lexicons_compile_to_the_same_lemma_patterns_as_over_the_whole_dictionary(code, monkeypatch, tmp_path):
    """Over a map built now (lemmas.build), as the build script checks for every language."""
    import simplemma

    from coldmail.replies.classify import lexicon as lexmod

    def whole_dictionary(word, lang):
        return lexmod._fold_word(simplemma.lemmatize(word, lang).lower()) if lang else lexmod._fold_word(word)

    expected = {}
    saved = lexmod.lemma_of
    lexmod.lemma_of = whole_dictionary
    lexmod.lexicon.cache_clear()
    try:
        for path in lemmas.lexicon_files(code):
            expected[path.stem] = {part: p.pattern for part, p in lexmod.lexicon(path.stem).lemmas.items()}
    finally:
        lexmod.lemma_of = saved
        lexmod.lexicon.cache_clear()
        DEFAULT_DICTIONARY_FACTORY._get_dictionary.cache_clear()
    monkeypatch.setattr(lemmas, "MAPS_DIR", tmp_path)  # no shipped map: built from simplemma here
    monkeypatch.setattr(lemmas, "lemmatizer", functools.cache(lemmas.lemmatizer.__wrapped__))
    lexmod.lemma_of.cache_clear()
    lexmod.lexicon.cache_clear()
    try:
        for lang, patterns in expected.items():
            assert {part: p.pattern for part, p in lexicon(lang).lemmas.items()} == patterns
    finally:
        lexmod.lemma_of.cache_clear()
        lexmod.lexicon.cache_clear()
        DEFAULT_DICTIONARY_FACTORY._get_dictionary.cache_clear()


def test_a_merge_conflict_marker_in_a_lexicon_is_an_error_naming_the_line(tmp_path):
    # session 27: two helpers' lexicon branches merged with markers left in nl.txt and pt.txt, which loaded
    # as words ("=======" in [past]) and changed readings without a word of warning
    path = tmp_path / "xx.txt"
    path.write_text("[meta]\nlemma = none\n[refusal]\nno thanks\n<<<<<<< HEAD\nnein\n=======\nnon\n>>>>>>> other\n",
                    encoding="utf-8")
    with pytest.raises(ValueError, match=r"xx.txt, line 5: a merge conflict marker"):
        read_file(path)
