"""Every language of the recipient's page is complete: the same keys and placeholders as English,
really translated, and the rendered page carries every Art. 14 item in that language."""

from __future__ import annotations

import re

import pytest

from coldmail.mail import i18n
from coldmail.web import pages
from coldmail.web.recipient import resolve
from test_notice_languages import english, own
from test_web import CLAIRE, with_people

ENGLISH = english("page")
LANGS = [code for code in pages.page_languages() if code != "en"]


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_is_translated_with_the_same_placeholders(lang):
    mine = own(lang)["page"]  # the page's table of mail/locales/<lang>.toml, without the English fallback
    assert set(mine) == set(ENGLISH), set(mine) ^ set(ENGLISH)
    for key, text in mine.items():
        assert text.strip(), (lang, key)
        assert placeholders(text) == placeholders(ENGLISH[key]), (lang, key)
    same = [k for k in mine if mine[k] == ENGLISH[k]]
    assert len(same) <= 2, (lang, same)  # a translation, not a copy of the English
    assert pages.strings(lang) == i18n.words(lang, "page")


@pytest.mark.parametrize("lang", ["en", *LANGS])
def test_the_page_carries_every_article_14_item(ws, tmp_path, lang):
    with_people(ws, tmp_path)
    ws.config.recipients = []
    from coldmail.mail.rendering import compose_for

    token = re.search(r"/p/(\S+)", compose_for(ws, template="first_touch", email=CLAIRE).as_email()
                      .get_body(("plain",)).get_content()).group(1)
    who = resolve(ws, token)
    html = pages.render("page.html.j2", ws=ws, lang=lang, token=token, csrf="x", done="",
                        **pages.page_context(ws, who, lang))
    t = pages.strings(lang)
    items = {
        "14(1)(a) controller": ["Acme Tools Ltd", "1 Main St", t["who_heading"]],
        "14(1)(b) contact": ["privacy@acme-tools.example", "sam@acme-tools.example"],
        "14(1)(c) purpose and basis": ["route-planning software for freight firms", t["legal_basis"]],
        "14(1)(d) categories": [t["held_heading"], t["field_email"], t["field_company"], "Transports Martin"],
        "14(1)(e) recipients": [t["recipients_none"].format(company="Acme Tools Ltd")],
        "14(1)(f) transfers": [i18n.words(lang, "notice")["no_transfers"]],
        "14(2)(a) retention": [t["retention_heading"], *(i18n.months(n, lang) for n in (6, 24, 36))],
        "14(2)(b) interests": ["Dirige les opérations d", t["why_words_label"]],
        "14(2)(c) rights": [t["rights_body"], t["button_stop"], t["button_copy"], t["button_erase"]],
        "14(2)(e) complaint": ["CNIL"],
        "14(2)(f) source": ["site de l", "https://transports.example/equipe", t["public_yes"]],
        "14(2)(g) automated": [t["automated"]],
    }
    import html as htmlmod

    text = htmlmod.unescape(re.sub(r"<[^>]+>", " ", html))
    for item, needles in items.items():
        for needle in needles:
            assert htmlmod.unescape(needle) in text, (lang, item, needle)
    assert f'lang="{lang}"' in html

