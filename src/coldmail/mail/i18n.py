"""Which language to write to a contact in, and which supervisory authority is theirs."""

from __future__ import annotations

LANGUAGES = ("en", "de", "fr", "es", "he", "lv", "ar", "zh")
RTL = frozenset({"he", "ar"})

_BY_COUNTRY = {
    **dict.fromkeys(("DE", "AT", "LI", "CH"), "de"),
    **dict.fromkeys(("FR", "LU", "MC", "BE", "SN", "CI"), "fr"),
    **dict.fromkeys(("ES", "MX", "AR", "CO", "CL", "PE", "VE", "UY", "EC", "BO", "PY", "CR"), "es"),
    "IL": "he",
    "LV": "lv",
    **dict.fromkeys(
        ("SA", "AE", "EG", "JO", "MA", "DZ", "TN", "QA", "KW", "BH", "OM", "LB", "IQ", "LY"), "ar"
    ),
    **dict.fromkeys(("CN", "TW", "HK", "MO", "SG"), "zh"),
}

# Art. 77: a person may complain to the authority of their habitual residence.
AUTHORITIES = {
    "GB": ("Information Commissioner's Office (ICO)", "https://ico.org.uk/make-a-complaint/"),
    "IE": ("Data Protection Commission (DPC)", "https://www.dataprotection.ie"),
    "DE": ("Der Bundesbeauftragte für den Datenschutz (BfDI) or your Land authority", "https://www.bfdi.bund.de"),
    "AT": ("Österreichische Datenschutzbehörde (DSB)", "https://www.dsb.gv.at"),
    "FR": ("Commission nationale de l'informatique et des libertés (CNIL)", "https://www.cnil.fr/fr/plaintes"),
    "BE": ("Autorité de protection des données (APD/GBA)", "https://www.autoriteprotectiondonnees.be"),
    "LU": ("Commission nationale pour la protection des données (CNPD)", "https://cnpd.public.lu"),
    "NL": ("Autoriteit Persoonsgegevens (AP)", "https://autoriteitpersoonsgegevens.nl"),
    "ES": ("Agencia Española de Protección de Datos (AEPD)", "https://www.aepd.es"),
    "IT": ("Garante per la protezione dei dati personali", "https://www.garanteprivacy.it"),
    "PL": ("Urząd Ochrony Danych Osobowych (UODO)", "https://uodo.gov.pl"),
    "SE": ("Integritetsskyddsmyndigheten (IMY)", "https://www.imy.se"),
    "LV": ("Datu valsts inspekcija (DVI)", "https://www.dvi.gov.lv"),
    "IL": ("Privacy Protection Authority (PPA)", "https://www.gov.il/en/departments/the_privacy_protection_authority"),
    "CH": ("Federal Data Protection and Information Commissioner (FDPIC)", "https://www.edoeb.admin.ch"),
}
EDPB_MEMBERS = "https://edpb.europa.eu/about-edpb/about-edpb/members_en"


def language_for(country: str | None, explicit: str | None = None, available: tuple[str, ...] = LANGUAGES) -> str:
    """An explicit language if we have it, else the country's, else English."""
    if explicit and explicit.lower() in available:
        return explicit.lower()
    lang = _BY_COUNTRY.get((country or "").upper(), "en")
    return lang if lang in available else "en"


def authority_for(country: str | None, configured: str = "") -> tuple[str, str]:
    """(name, url) of the supervisory authority to complain to."""
    if country and country.upper() in AUTHORITIES:
        return AUTHORITIES[country.upper()]
    if configured:
        return configured, ""
    return "the data protection authority of the country where you live or work", EDPB_MEMBERS
