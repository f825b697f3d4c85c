"""Names and a rep's words inside our sentences, per language: possessives ("Greenway Grocers'",
never "Grocers's"), a fragment that continues a sentence (no capital mid-sentence, unless it is a
name or an acronym), a sentence that ends with a full stop, the rep's own words quoted in the
quotation marks of the email's language, and profile links told apart from sources."""

from __future__ import annotations

import re

# Opening and closing quotation marks by language (CLDR's primary quotes).
QUOTES = {
    "en": ("\"", "\""), "de": ("„", "“"), "fr": ("« ", " »"), "es": ("«", "»"), "it": ("«", "»"),
    "pt": ("«", "»"), "pt-br": ("“", "”"), "nl": ("‘", "’"), "pl": ("„", "”"), "cs": ("„", "“"),
    "sk": ("„", "“"), "sl": ("„", "“"), "hr": ("„", "“"), "hu": ("„", "”"), "ro": ("„", "”"),
    "bg": ("„", "“"), "el": ("«", "»"), "da": ("“", "”"), "sv": ("”", "”"), "fi": ("”", "”"),
    "et": ("„", "“"), "lv": ("“", "”"), "lt": ("„", "“"), "mt": ("“", "”"), "ga": ("“", "”"),
    "he": ("”", "“"), "ar": ("«", "»"), "zh": ("“", "”"), "ja": ("「", "」"), "ru": ("«", "»"),
    "uk": ("«", "»"), "tr": ("“", "”"),
}
_PROFILE = re.compile(
    r"^https?://([a-z0-9-]+\.)*(linkedin\.com/(in|pub)/|xing\.com/profile/|twitter\.com/|x\.com/|"
    r"facebook\.com/|instagram\.com/|github\.com/[^/]+/?$)", re.IGNORECASE)


def quoted(text: str, lang: str = "en") -> str:
    """The rep's words as a quotation, never as if they were our translated sentence."""
    opening, closing = QUOTES.get(lang.lower(), QUOTES["en"])
    return f"{opening}{text.strip()}{closing}"


def possessive(name: str, lang: str = "en") -> str:
    """`name`'s, as the language writes it: en "Acme's", "Greenway Grocers'"; de "Annas", "Hans'";
    sv/da/nb "Acmes", "Grocers". Languages that say "the X of Acme" get the name unchanged."""
    name = name.strip()
    lang = lang.lower()
    if lang == "en":
        return name + ("'" if name.endswith(("s", "S")) else "'s")
    if lang == "de":
        return name + ("'" if name.endswith(("s", "ß", "x", "z", "S", "X", "Z")) else "s")
    if lang in ("sv", "da", "nb", "no"):
        return name if name.endswith(("s", "x", "z", "S", "X", "Z")) else name + "s"
    return name


def fragment(text: str) -> str:
    """Text that continues our sentence: its first letter in lower case, unless the first word is a
    name or an acronym (a capital after the first letter: "SAP", "McKinsey", "iPhone"), and
    without a final full stop (ours follows)."""
    text = text.strip().rstrip(".")
    if not text:
        return text
    first = text.split()[0]
    if first == "I" or not first[:1].isupper() or any(ch.isupper() for ch in first[1:]):
        return text
    return first[0].lower() + text[1:]


def sentence(text: str) -> str:
    """Text as a sentence of its own: a capital first letter and a closing full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?。！？…»”“\"'" else text + "."


def is_profile(url: str) -> bool:
    """A personal profile page (LinkedIn and the like): data we hold about the person, not a source."""
    return bool(_PROFILE.match(url.strip()))


FILTERS = {"quoted": quoted, "possessive": possessive, "fragment": fragment, "sentence": sentence}
