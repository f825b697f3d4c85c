"""Every language coldmail writes in (the 24 official EU languages, Hebrew, Arabic, Chinese, Japanese,
Russian, Ukrainian, Turkish, Brazilian Portuguese) is complete: every key of English with the same
placeholders, really translated; and an email to a contact in that language carries the short layer
or the full notice and the opt-out in it, every placeholder filled, no English left, and
`<html lang>` (with `dir="rtl"` for Hebrew and Arabic) saying so. The full Art. 14 notice for the
website too. tests/test_answers_languages.py and tests/test_web_page_languages.py do the answers
and the recipient's page."""

from __future__ import annotations

import re
import tomllib

import pytest

from coldmail.mail import i18n
from coldmail.mail.rendering import compose_for
from coldmail.privacy.notice import render_notice
from coldmail.prospects.importing import import_csv
from conftest import make_ws, write_csv

OFFICIAL_EU = ("bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv",
               "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv")
MORE = ("he", "ar", "zh", "ja", "ru", "uk", "tr", "pt-BR")
LANGS = OFFICIAL_EU + MORE
NOT_ENGLISH = [code for code in LANGS if code != "en"]
# A contact's country for each language; Irish and Maltese are reached by the template's language.
COUNTRY = {"bg": "BG", "cs": "CZ", "da": "DK", "de": "DE", "el": "GR", "en": "GB", "es": "ES", "et": "EE",
           "fi": "FI", "fr": "FR", "ga": "IE", "hr": "HR", "hu": "HU", "it": "IT", "lt": "LT", "lv": "LV",
           "mt": "MT", "nl": "NL", "pl": "PL", "pt": "PT", "ro": "RO", "sk": "SK", "sl": "SI", "sv": "SE",
           "he": "IL", "ar": "AE", "zh": "CN", "ja": "JP", "ru": "RU", "uk": "UA", "tr": "TR", "pt-BR": "BR"}
PUBLIC = "https://links.acme-tools.example"
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def english(table: str) -> dict[str, str]:
    return tomllib.loads((i18n.LOCALES_DIR / "en.toml").read_text(encoding="utf-8"))[table]


def own(lang: str) -> dict[str, dict[str, str]]:
    """The language's file as written, without the English that fills gaps at run time."""
    return tomllib.loads((i18n.LOCALES_DIR / f"{lang}.toml").read_text(encoding="utf-8"))


def english_fragments(*tables: str) -> set[str]:
    """English text that must not appear in another language's output: each English string cut at
    its placeholders, the pieces of two words or more (a single word such as "Website" may be the
    same in another language)."""
    out = set()
    for table in tables:
        for key, text in english(table).items():
            if key.startswith("months_"):
                continue
            for piece in PLACEHOLDER.split(text)[::2]:
                piece = piece.strip(" .,:;()")
                if len(re.findall(r"[A-Za-z]{2,}", piece)) >= 2:
                    out.add(piece)
    return out


def assert_one_language(text: str, lang: str, *tables: str) -> None:
    """No English left (for a language other than English) and no placeholder left unfilled."""
    assert "{" not in text and "}" not in text, (lang, re.findall(r".{0,40}[{}].{0,40}", text))
    if lang != "en":
        leaked = sorted(f for f in english_fragments(*tables) if f in text)
        assert not leaked, (lang, leaked)


def test_the_languages_are_the_ones_the_issue_asks_for():
    assert sorted(i18n.LANGUAGES) == sorted(LANGS) and len(LANGS) == 32
    assert sorted(p.stem for p in i18n.LOCALES_DIR.glob("*.toml")) == sorted(LANGS)
    assert i18n.RTL == {"he", "ar"}


@pytest.mark.parametrize("lang", NOT_ENGLISH)
def test_every_key_is_translated_with_the_same_placeholders(lang):
    mine = own(lang)
    assert set(mine) == set(i18n.TABLES), lang
    copies = []
    for table in i18n.TABLES:
        base = english(table)
        keys = {k for k in mine[table] if not k.startswith("months_")}
        assert keys == {k for k in base if not k.startswith("months_")}, (lang, table, keys ^ set(base))
        for key, text in mine[table].items():
            assert isinstance(text, str) and text.strip(), (lang, table, key)
            if key.startswith("months_"):
                assert set(PLACEHOLDER.findall(text)) <= {"n"}, (lang, key)
                continue
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(base[key])), (lang, table, key)
            assert text.count("**") == base[key].count("**"), (lang, table, key)  # Markdown bold kept
            if text == base[key] and re.search(r"[A-Za-z]{3}", PLACEHOLDER.sub("", text)):
                copies.append(key)
    # A translation, not a copy: only a word such as "Contact:" or "website" may stay the same.
    assert len(copies) <= 4, (lang, copies)


@pytest.mark.parametrize("lang", LANGS)
def test_month_counts_use_the_forms_of_the_language(lang):
    forms = {k.removeprefix("months_") for k in own(lang)["common"] if k.startswith("months_")}
    assert "other" in forms, lang
    used = {i18n.plural(n, lang) for n in range(0, 200)}
    assert forms - {"other"} <= used, (lang, forms - used)  # no form the language never takes
    for n in (1, 2, 3, 6, 11, 21, 24, 36, 100):
        assert i18n.months(n, lang).strip(), (lang, n)


@pytest.mark.parametrize(("lang", "n", "want"), [
    ("ru", 1, "1 месяц"), ("ru", 24, "24 месяца"), ("ru", 36, "36 месяцев"), ("ru", 21, "21 месяц"),
    ("uk", 24, "24 місяці"), ("uk", 6, "6 місяців"), ("pl", 24, "24 miesiące"), ("pl", 6, "6 miesięcy"),
    ("pl", 12, "12 miesięcy"), ("cs", 3, "3 měsíce"), ("cs", 24, "24 měsíců"), ("ro", 6, "6 luni"),
    ("ro", 24, "24 de luni"), ("lt", 6, "6 mėnesių"), ("lt", 1, "1 mėnesio"), ("ar", 6, "6 أشهر"),
    ("ar", 24, "24 شهرًا"), ("he", 2, "חודשיים"), ("sl", 2, "2 meseca"), ("sl", 5, "5 mesecev"),
    ("hr", 24, "24 mjeseca"), ("de", 1, "1 Monat"), ("en", 24, "24 months"), ("ja", 24, "24か月"),
])
def test_months(lang, n, want):
    assert i18n.months(n, lang) == want


@pytest.mark.parametrize(("given", "code"), [("pt-br", "pt-BR"), ("pt_BR", "pt-BR"), ("de-AT", "de"), ("EL", "el"),
                                             ("xx", None), ("", None)])
def test_language_codes(given, code):
    assert i18n.normalize(given) == code


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One workspace with a contact in every language and a template written in each of them
    (`pitch.<lang>.txt.j2`, the way a rep adds a language)."""
    home = tmp_path_factory.mktemp("languages") / "ws"
    ws = make_ws(home)
    rows = "".join(f"p-{code.lower()}@firm.example,Ana,Example,Firm {code},Head of Operations,{COUNTRY[code]},"
                   f"company website,https://firm.example/team,Leads operations at a firm like our customers\n"
                   for code in LANGS)
    csv = write_csv(home.parent / "p.csv", "email,first_name,last_name,company,role,country,source,source_url,"
                    "justification\n" + rows)
    import_csv(ws, path=csv, list_name="ops", purpose="route-planning software", source_public=True)
    email_dir = ws.home / "templates" / "email"
    email_dir.mkdir(parents=True, exist_ok=True)
    (email_dir / "pitch.txt.j2").write_text("Subject: Hello\nLanguage: en\nHello {{ first_name }}.\n", encoding="utf-8")
    for code in LANGS:
        if code != "en":  # no Language line: a language version is written in its language
            (email_dir / f"pitch.{code}.txt.j2").write_text(f"Subject: {code}\n{{{{ first_name }}}} ({code}).\n",
                                                            encoding="utf-8")
    yield ws
    ws.close()


def render(ws, lang: str, *, layered: bool):
    ws.config.controller.public_url = PUBLIC if layered else ""
    explicit = lang if lang in ("ga", "mt") else None  # Ireland and Malta write business mail in English
    return compose_for(ws, template="pitch", email=f"p-{lang.lower()}@firm.example", language=explicit).as_email()


@pytest.mark.parametrize("layered", [True, False], ids=["short-layer", "full-notice"])
@pytest.mark.parametrize("lang", LANGS)
def test_an_email_in_every_language(world, lang, layered):
    m = render(world, lang, layered=layered)
    text = m.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = m.get_body(("html",)).get_content()
    t = i18n.words(lang, "email")
    body, sep, notice = text.partition("\n-- \n")
    assert sep
    assert f"({lang})" in body or lang == "en"  # the template's version in the contact's language
    assert t["optout_reply"] in body  # the opt-out, in the language, above the notice
    if layered:
        assert t["short_page"].split("{")[0].strip() in notice and f"{PUBLIC}/p/" in notice
        assert len([line for line in notice.splitlines() if line.strip()]) <= 5
        assert f"{PUBLIC}/u/" in body
    else:
        assert t["notice_heading"] in notice and t["legal_basis_short"] in notice
        assert t["field_email"] in notice and "https://acme-tools.example/privacy" in notice
    assert_one_language(text, lang, "common", "fields", "email")
    assert m["Content-Language"] == lang
    opening = re.search(r"<html[^>]*>", html).group(0)
    assert f'lang="{lang}"' in opening
    assert ('dir="rtl"' in opening) == (lang in ("he", "ar"))
    assert "{" not in html and "}" not in html


@pytest.mark.parametrize("lang", LANGS)
def test_the_full_notice_for_the_website_in_every_language(world, lang):
    text = render_notice(world, language=lang)
    t = i18n.words(lang, "notice")
    headings = [t[k] for k in t if k.startswith("h_")]
    assert len(headings) == 13
    for needed in (*headings, t["title"].format(company="Acme Tools Ltd"), t["automated"], "route-planning software",
                   "privacy@acme-tools.example", "Information Commissioner", i18n.months(24, lang)):
        assert needed in text, (lang, needed)
    assert_one_language(text, lang, "common", "fields", "notice")


def test_an_unknown_authority_is_named_in_the_language(world):
    """A contact whose country has no authority listed gets the localized description, not English."""
    m = render(world, "ru", layered=False)
    world.config.controller.privacy_url = ""
    try:
        text = render(world, "ru", layered=False).get_body(("plain",)).get_content()
    finally:
        world.config.controller.privacy_url = "https://acme-tools.example/privacy"
    assert i18n.words("ru", "email")["authority_fallback"] in text and i18n.AUTHORITY_FALLBACK not in text
    assert m["Content-Language"] == "ru"
