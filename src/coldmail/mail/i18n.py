"""Which language to write to a contact in, the words of each language, and which supervisory
authority is the contact's.

The words live in `mail/locales/<code>.toml`, one file per language, in tables: `common` (shared by
several texts), `fields` (the names of the data we hold), `email` (the notice and the opt-out under
every email), `page` (the recipient's page), `answers` (the answers to data-subject requests) and
`notice` (the full Art. 14 notice, `coldmail notice`). One file per language keeps a translator in one
place and the logic in the shared templates: a fix to a sentence's structure is made once, not 32 times.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

# The 24 official EU languages, then Hebrew, Arabic, Chinese, Japanese, Russian, Ukrainian, Turkish
# and Portuguese (Brazil). BCP 47 codes: what `<html lang>` and Content-Language carry.
LANGUAGES = (
    "en", "bg", "cs", "da", "de", "el", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv", "mt",
    "nl", "pl", "pt", "ro", "sk", "sl", "sv",
    "he", "ar", "zh", "ja", "ru", "uk", "tr", "pt-BR",
)
RTL = frozenset({"he", "ar"})
LOCALES_DIR = Path(__file__).with_name("locales")
TABLES = ("common", "fields", "email", "page", "answers", "notice")

# Where a country has several languages, the one most business mail is written in; Ireland and Malta
# write business mail in English (Irish and Maltese are there for a template that declares them).
_BY_COUNTRY = {
    **dict.fromkeys(("DE", "AT", "LI", "CH"), "de"),
    **dict.fromkeys(("FR", "LU", "MC", "BE", "SN", "CI"), "fr"),
    **dict.fromkeys(("ES", "MX", "AR", "CO", "CL", "PE", "VE", "UY", "EC", "BO", "PY", "CR"), "es"),
    **dict.fromkeys(("IT", "SM", "VA"), "it"),
    **dict.fromkeys(("NL", "SR"), "nl"),
    **dict.fromkeys(("PT", "AO", "MZ", "CV"), "pt"),
    "BR": "pt-BR",
    **dict.fromkeys(("GR", "CY"), "el"),
    **dict.fromkeys(("RO", "MD"), "ro"),
    **dict.fromkeys(("SE", "AX"), "sv"),
    "BG": "bg", "CZ": "cs", "DK": "da", "EE": "et", "FI": "fi", "HR": "hr", "HU": "hu", "LT": "lt",
    "LV": "lv", "PL": "pl", "SK": "sk", "SI": "sl",
    "IL": "he",
    **dict.fromkeys(
        ("SA", "AE", "EG", "JO", "MA", "DZ", "TN", "QA", "KW", "BH", "OM", "LB", "IQ", "LY"), "ar"
    ),
    **dict.fromkeys(("CN", "TW", "HK", "MO", "SG"), "zh"),
    "JP": "ja",
    **dict.fromkeys(("RU", "BY", "KZ", "KG"), "ru"),
    "UA": "uk",
    "TR": "tr",
}

# Art. 77: a person may complain to the authority of their habitual residence. Names as the
# authorities write them, so they read as names in any language.
AUTHORITIES = {
    "GB": ("Information Commissioner's Office (ICO)", "https://ico.org.uk/make-a-complaint/"),
    "IE": ("Data Protection Commission (DPC)", "https://www.dataprotection.ie"),
    "DE": ("Landesdatenschutzbehörden / Bundesbeauftragte für den Datenschutz und die Informationsfreiheit (BfDI)",
           "https://www.bfdi.bund.de"),
    "AT": ("Österreichische Datenschutzbehörde (DSB)", "https://www.dsb.gv.at"),
    "FR": ("Commission nationale de l'informatique et des libertés (CNIL)", "https://www.cnil.fr/fr/plaintes"),
    "BE": ("Autorité de protection des données (APD/GBA)", "https://www.autoriteprotectiondonnees.be"),
    "LU": ("Commission nationale pour la protection des données (CNPD)", "https://cnpd.public.lu"),
    "NL": ("Autoriteit Persoonsgegevens (AP)", "https://autoriteitpersoonsgegevens.nl"),
    "ES": ("Agencia Española de Protección de Datos (AEPD)", "https://www.aepd.es"),
    "IT": ("Garante per la protezione dei dati personali", "https://www.garanteprivacy.it"),
    "PT": ("Comissão Nacional de Proteção de Dados (CNPD)", "https://www.cnpd.pt"),
    "PL": ("Urząd Ochrony Danych Osobowych (UODO)", "https://uodo.gov.pl"),
    "CZ": ("Úřad pro ochranu osobních údajů (ÚOOÚ)", "https://uoou.gov.cz"),
    "SK": ("Úrad na ochranu osobných údajov Slovenskej republiky", "https://dataprotection.gov.sk"),
    "SI": ("Informacijski pooblaščenec", "https://www.ip-rs.si"),
    "HR": ("Agencija za zaštitu osobnih podataka (AZOP)", "https://azop.hr"),
    "HU": ("Nemzeti Adatvédelmi és Információszabadság Hatóság (NAIH)", "https://naih.hu"),
    "RO": ("Autoritatea Națională de Supraveghere a Prelucrării Datelor cu Caracter Personal (ANSPDCP)",
           "https://www.dataprotection.ro"),
    "BG": ("Комисия за защита на личните данни (КЗЛД)", "https://www.cpdp.bg"),
    "GR": ("Αρχή Προστασίας Δεδομένων Προσωπικού Χαρακτήρα", "https://www.dpa.gr"),
    "CY": ("Γραφείο Επιτρόπου Προστασίας Δεδομένων Προσωπικού Χαρακτήρα", "https://www.dataprotection.gov.cy"),
    "MT": ("Information and Data Protection Commissioner (IDPC)", "https://idpc.org.mt"),
    "DK": ("Datatilsynet", "https://www.datatilsynet.dk"),
    "SE": ("Integritetsskyddsmyndigheten (IMY)", "https://www.imy.se"),
    "FI": ("Tietosuojavaltuutetun toimisto", "https://tietosuoja.fi"),
    "EE": ("Andmekaitse Inspektsioon (AKI)", "https://www.aki.ee"),
    "LV": ("Datu valsts inspekcija (DVI)", "https://www.dvi.gov.lv"),
    "LT": ("Valstybinė duomenų apsaugos inspekcija (VDAI)", "https://vdai.lrv.lt"),
    "NO": ("Datatilsynet", "https://www.datatilsynet.no"),
    "IS": ("Persónuvernd", "https://www.personuvernd.is"),
    "LI": ("Datenschutzstelle Liechtenstein", "https://www.datenschutzstelle.li"),
    "CH": ("Eidgenössischer Datenschutz- und Öffentlichkeitsbeauftragter (EDÖB)", "https://www.edoeb.admin.ch"),
    "IL": ("הרשות להגנת הפרטיות", "https://www.gov.il/he/departments/the_privacy_protection_authority"),
    "JP": ("個人情報保護委員会", "https://www.ppc.go.jp"),
    "TR": ("Kişisel Verileri Koruma Kurumu (KVKK)", "https://www.kvkk.gov.tr"),
    "BR": ("Autoridade Nacional de Proteção de Dados (ANPD)", "https://www.gov.br/anpd"),
}
EDPB_MEMBERS = "https://edpb.europa.eu/about-edpb/about-edpb/members_en"
# Data kept by a controller established here stays in the EEA or the UK (Art. 14(1)(f) has nothing to tell).
EEA_UK = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO GB".split())
AUTHORITY_FALLBACK = "the data protection authority of the country where you live or work"
PURPOSE_DEFAULT = "business-to-business outreach about our products and services"


def normalize(code: str | None) -> str | None:
    """A language code as coldmail spells it ("pt_br" -> "pt-BR", "de-AT" -> "de"), or None."""
    if not code:
        return None
    wanted = code.strip().replace("_", "-").lower()
    by_lower = {c.lower(): c for c in LANGUAGES}
    return by_lower.get(wanted) or by_lower.get(wanted.split("-")[0])


def language_for(country: str | None, explicit: str | None = None, available: tuple[str, ...] = LANGUAGES) -> str:
    """An explicit language if we have it, else the country's, else English."""
    code = normalize(explicit)
    if code and code in available:
        return code
    lang = _BY_COUNTRY.get((country or "").upper(), "en")
    return lang if lang in available else "en"


def authority_for(country: str | None, configured: str = "") -> tuple[str, str]:
    """(name, url) of the supervisory authority to complain to. The fallback name is English; a
    template shows it in its own language through the `localized` filter."""
    if country and country.upper() in AUTHORITIES:
        return AUTHORITIES[country.upper()]
    if configured:
        return configured, ""
    return AUTHORITY_FALLBACK, EDPB_MEMBERS


def outside_eea(country: str | None) -> bool:
    """Whether a controller established in `country` transfers data outside the EEA and the UK."""
    return bool(country) and country.upper() not in EEA_UK


def _read(code: str) -> dict[str, dict[str, str]]:
    return tomllib.loads((LOCALES_DIR / f"{code}.toml").read_text(encoding="utf-8"))


@lru_cache(maxsize=64)
def locale(lang: str) -> dict[str, dict[str, str]]:
    """Every word of one language, table by table. English fills a missing key so that a reader
    never meets a blank; tests/test_notice_languages.py fails on any such gap."""
    english = _read("en")
    if lang == "en":
        return english
    own = _read(lang)
    return {table: {**english[table], **own.get(table, {})} for table in TABLES}


@lru_cache(maxsize=256)
def words(lang: str, part: str) -> dict[str, str]:
    """The flat words one text uses: the shared ones, the field names as `field_<name>`, and its own
    table (`email`, `page`, `answers` or `notice`). Read-only: it is cached."""
    loc = locale(lang)
    return {**loc["common"], **{f"field_{k}": v for k, v in loc["fields"].items()}, **loc[part]}


def plural(n: int, lang: str) -> str:
    """The CLDR plural category of a whole number in `lang`: "one", "two", "few", "many", "zero" or
    "other". Slavic, Baltic, Celtic, Semitic and Romanian nouns change with the number ("24 месяца",
    "36 месяцев", "24 de luni"), so a count is never written as a number before a fixed word."""
    base, m10, m100 = lang.split("-")[0], n % 10, n % 100
    teen = 11 <= m100 <= 19
    if base in ("ja", "zh"):
        return "other"
    if lang in ("fr", "pt-BR"):  # 0 and 1 are "one"
        return "one" if n in (0, 1) else "other"
    if base == "lv":
        return "zero" if m10 == 0 or teen else "one" if m10 == 1 else "other"
    if base == "lt":
        return "one" if m10 == 1 and not teen else "few" if m10 >= 2 and not teen else "other"
    if base in ("ru", "uk", "hr", "pl"):
        if base == "pl" and n == 1 or base != "pl" and m10 == 1 and m100 != 11:
            return "one"
        if 2 <= m10 <= 4 and not 12 <= m100 <= 14:
            return "few"
        return "other" if base == "hr" else "many"
    if base in ("cs", "sk"):
        return "one" if n == 1 else "few" if 2 <= n <= 4 else "other"
    if base == "sl":
        return {1: "one", 2: "two", 3: "few", 4: "few"}.get(m100, "other")
    if base == "ro":
        return "one" if n == 1 else "few" if n == 0 or 2 <= m100 <= 19 else "other"
    if base == "ar":
        return {0: "zero", 1: "one", 2: "two"}.get(n) or ("few" if 3 <= m100 <= 10 else "many" if m100 >= 11
                                                           else "other")
    if base == "ga":
        return {1: "one", 2: "two"}.get(n) or ("few" if 3 <= n <= 6 else "many" if 7 <= n <= 10 else "other")
    if base == "mt":
        if n in (1, 2):
            return "one" if n == 1 else "two"
        return "few" if n == 0 or 3 <= m100 <= 10 else "many" if teen else "other"
    if base == "he":
        return {1: "one", 2: "two"}.get(n, "other")
    return "one" if n == 1 else "other"


def months(n: int, lang: str) -> str:
    """"6 months" in `lang`, in the form its sentences use (the `months_<category>` words)."""
    common = locale(lang)["common"]
    form = common.get(f"months_{plural(n, lang)}") or common["months_other"]
    return form.format(n=n)


def localized(value: str | None, lang: str) -> str | None:
    """English defaults that other modules put into a template's context (the authority when the
    contact's country has none listed, the purpose of a list without one) in `lang`; anything else,
    such as the rep's own words, unchanged."""
    common = locale(lang)["common"]
    if value == AUTHORITY_FALLBACK:
        return common["authority_fallback"]
    if value == PURPOSE_DEFAULT:
        return common["purpose_default"]
    return value
