"""Which language a reply is written in: lingua's detector, built once and lazily, for the 32
languages the lexicons cover (Maltese, which lingua lacks, by its own letters). The contact's
country language is only a prior: it is added to the candidates, never the only one."""

from __future__ import annotations

import functools
import re

# The lexicon codes (lexicons/<code>.txt) and lingua's names for them. Brazilian Portuguese shares `pt`.
LINGUA_NAMES = {
    "ar": "ARABIC", "bg": "BULGARIAN", "cs": "CZECH", "da": "DANISH", "de": "GERMAN", "el": "GREEK",
    "en": "ENGLISH", "es": "SPANISH", "et": "ESTONIAN", "fi": "FINNISH", "fr": "FRENCH", "ga": "IRISH",
    "he": "HEBREW", "hr": "CROATIAN", "hu": "HUNGARIAN", "it": "ITALIAN", "ja": "JAPANESE", "lt": "LITHUANIAN",
    "lv": "LATVIAN", "nl": "DUTCH", "pl": "POLISH", "pt": "PORTUGUESE", "ro": "ROMANIAN", "ru": "RUSSIAN",
    "sk": "SLOVAK", "sl": "SLOVENE", "sv": "SWEDISH", "tr": "TURKISH", "uk": "UKRAINIAN", "zh": "CHINESE",
}
# Letters only Maltese uses among the 32 languages (ż is Polish too, so it is not one of them).
_MALTESE = re.compile(r"[ħċġĦĊĠ]|għ", re.I)
DETECT_CHARS = 240  # the detector reads the reply's first characters: enough to tell, and the cost grows with length
SHORT = 160  # characters: below it the detector's trigrams are few, so more of its guesses are read
RUNNERS_UP = 3  # at most this many detected languages are read
CLOSE = 0.25  # ...each at least this share of the best one's confidence
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@functools.cache
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in LINGUA_NAMES.values()]
    # Low-accuracy mode (trigrams only) is about 15x faster and good enough beside the script tests.
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


@functools.cache
def _codes() -> dict[str, str]:
    return {name: code for code, name in LINGUA_NAMES.items()}


def normalise(code: str | None) -> str | None:
    """A language or locale code as a lexicon code: `pt-BR` -> `pt`, `hbs` -> `hr`."""
    if not code:
        return None
    code = code.lower().replace("_", "-").split("-")[0]
    return {"hbs": "hr", "sr": "hr", "bs": "hr", "iw": "he", "nb": "da", "no": "da"}.get(code, code)


def candidates(text: str, prior: str | None = None) -> list[str]:
    """The languages to read `text` in, most likely first: the detected language, a close runner-up,
    the prior (the contact's country language) and English, which replies fall back to everywhere."""
    found: list[str] = []
    if _KANA.search(text):
        found.append("ja")
    elif _HAN.search(text):
        found.append("zh")
    if _MALTESE.search(text):
        found.append("mt")
    if not found:
        values = _detector().compute_language_confidence_values(text[:DETECT_CHARS])
        codes = _codes()
        if values:
            # Short replies are where the detector errs most: there the first four are all read;
            # in a longer one, close runners-up only.
            if len(text) < SHORT:
                found.extend(codes[v.language.name] for v in values[:4])
            else:
                found.extend(codes[v.language.name] for v in values[:RUNNERS_UP] if v.value >= CLOSE * values[0].value)
    prior = normalise(prior)
    for extra in (prior, "en"):
        if extra and extra not in found:
            found.append(extra)
    return found
