"""The layered notice: with a public URL the email carries a short first layer (at most five lines,
one language, the template's) and links to the recipient's page; the rep's words are quoted as
theirs; grammar helpers per language; a profile URL is never shown as the source."""

from __future__ import annotations

import os
import re

import pytest

from coldmail.mail import grammar
from coldmail.mail.rendering import compose_for, render_for
from test_rendering import GOLDEN, MARKERS, NOW, PEOPLE, normalise, own_template, parse
from test_rendering import people as people  # noqa: F401 - the fixture

PUBLIC = "https://links.acme-tools.example"
# The short layer's words per language: (who is writing, where the details came from, the page's line)
SHORT = {
    "en": ("is writing to you", "Where your details came from", "including to object at any time"),
    "de": ("schreibt Ihnen", "Ihre Daten stammen aus", "jederzeitigen Widerspruchs"),
    "fr": ("vous écrit", "Origine de vos coordonnées", "vous opposer à tout moment"),
    "es": ("le escribe", "De dónde obtuvimos sus datos", "oponerse en cualquier momento"),
    "he": ("פונה אליך", "מקור פרטיך", "להתנגד בכל עת"),
    "lv": ("jums raksta", "Jūsu datu avots", "jebkurā laikā iebilst"),
    "ar": ("تكتب إليك", "مصدر بياناتك", "الاعتراض في أي وقت"),
    "zh": ("联系您", "您的信息来源", "随时反对"),
}


def layered(ws):
    ws.config.controller.public_url = PUBLIC
    return ws


@pytest.mark.parametrize("lang", list(PEOPLE))
def test_short_layer_in_the_templates_language(people, lang):  # noqa: F811
    mail, first, _cc = PEOPLE[lang]
    m = parse(render_for(layered(people), template=own_template(people, lang), email=mail, now=NOW))
    text = m.get_body(("plain",)).get_content().replace("\r\n", "\n")
    body, sep, notice = text.partition("\n-- \n")
    assert sep
    lines = [line for line in notice.strip().splitlines() if line.strip()]
    assert len(lines) <= 5, notice
    who, source_label, rights = SHORT[lang]
    for needle in ("Acme Tools Ltd", "1 Main St, Bristol", who, source_label, "company website (team page)",
                   "Leads operations at a firm that matches", rights, f"{PUBLIC}/p/", "sam@acme-tools.example"):
        assert needle in notice, (lang, needle)
    # The rep's words are quoted, in the language's quotation marks, never run into our sentence.
    assert grammar.quoted("Leads operations at a firm that matches our customer profile", lang) in notice
    # The opt-out stays apart, above the notice, with the one-click link.
    assert MARKERS[lang][3] in body and f"{PUBLIC}/u/" in body
    assert m["Content-Language"] == lang
    for other, words in SHORT.items():
        if other != lang and words[1] not in SHORT[lang][1]:
            assert words[1] not in text, (lang, other)  # one language per email
    assert "We hold only" not in text or lang == "en"


def test_without_a_public_url_the_full_notice_stays(people):  # noqa: F811
    m = parse(render_for(people, template="first_touch", email=PEOPLE["en"][0], now=NOW))
    text = m.get_body(("plain",)).get_content()
    assert "We hold only" in text and "/p/" not in text and m["List-Unsubscribe-Post"] is None


def test_layered_golden(people):  # noqa: F811
    # The English version, asked for by name: 7-bit, so the tokens in its links are never wrapped.
    composed = compose_for(layered(people), template="first_touch", email=PEOPLE["fr"][0], now=NOW,
                           message_id="<golden-2@acme-tools.example>", language="en")
    got = re.sub(r"/(u|p)/[0-9a-z]{1,12}\.[a-z2-7]{16}", r"/\1/TOKEN", normalise(composed.raw))
    path = GOLDEN / "first_touch.layered.eml"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")
    assert "Content-Language: en\n" in got and "vous écrit" not in got
    # Left to her country, the French contact gets the shipped French version: French throughout.
    m = parse(render_for(layered(people), template="first_touch", email=PEOPLE["fr"][0], now=NOW))
    text = m.get_body(("plain",)).get_content()
    assert m["Content-Language"] == "fr" and text.startswith("Bonjour Claire,")
    assert "vous écrit" in text and "is writing to you" not in text and "I'm writing" not in text


def test_a_profile_url_is_not_shown_as_the_source(people):  # noqa: F811
    from sqlalchemy import update

    from coldmail.store.db import session_scope
    from coldmail.store.models import Contact

    with session_scope(people.engine) as s:
        s.execute(update(Contact).where(Contact.email == PEOPLE["en"][0])
                  .values(source="Apollo.io B2B contact database", source_url="http://www.linkedin.com/in/hana-x"))
    text = parse(render_for(people, template="first_touch", email=PEOPLE["en"][0], now=NOW)).get_body(
        ("plain",)).get_content()
    assert "Apollo.io B2B contact database" in text and "linkedin" not in text


@pytest.mark.parametrize(("lang", "name", "want"), [
    ("en", "Greenway Grocers", "Greenway Grocers'"), ("en", "Acme", "Acme's"), ("en", "ACME CORPS", "ACME CORPS'"),
    ("de", "Anna", "Annas"), ("de", "Hans", "Hans'"), ("de", "Schulz", "Schulz'"),
    ("sv", "Acme", "Acmes"), ("sv", "Grocers", "Grocers"), ("da", "Acme", "Acmes"),
    ("fr", "Greenway Grocers", "Greenway Grocers"), ("es", "Acme", "Acme"),
])
def test_possessives(lang, name, want):
    assert grammar.possessive(name, lang) == want


@pytest.mark.parametrize(("text", "want"), [
    ("Works in supply-chain planning.", "works in supply-chain planning"),
    ("SAP user in logistics", "SAP user in logistics"), ("McKinsey alumnus", "McKinsey alumnus"),
    ("Leitet den Einkauf", "leitet den Einkauf"), ("É responsável pela logística", "é responsável pela logística"),
    ("A firm we know", "a firm we know"), ("I run logistics", "I run logistics"), ("", ""),
])
def test_fragment_continues_a_sentence(text, want):
    assert grammar.fragment(text) == want


@pytest.mark.parametrize(("text", "want"), [
    ("works in supply-chain planning", "Works in supply-chain planning."), ("Done!", "Done!"),
    ("负责物流", "负责物流."), ("负责物流。", "负责物流。"),
])
def test_sentence(text, want):
    assert grammar.sentence(text) == want


def test_quotes_per_language():
    assert grammar.quoted(" x ", "fr") == "« x »" and grammar.quoted("x", "de") == "„x“"
    assert grammar.quoted("x", "ja") == "「x」" and grammar.quoted("x", "xx") == '"x"'


@pytest.mark.parametrize(("url", "profile"), [
    ("http://www.linkedin.com/in/someone", True), ("https://de.linkedin.com/in/x-y", True),
    ("https://www.xing.com/profile/Max_Muster", True), ("https://freightly.example/team", False),
    ("https://www.linkedin.com/company/freightly", False),
])
def test_profile_urls(url, profile):
    assert grammar.is_profile(url) is profile


def test_the_public_notice_lists_purposes_not_internal_list_names(people, tmp_path):  # noqa: F811
    from coldmail.privacy.notice import render_notice
    from coldmail.prospects.importing import import_csv
    from conftest import write_csv

    f = write_csv(tmp_path / "n.csv", "email,source,justification\nx@nolia.example,referral,Asked to be introduced\n")
    import_csv(people, path=f, list_name="nolia")  # an internal list with no purpose recorded
    text = render_notice(people)
    assert "route-planning software for freight firms" in text
    assert "nolia" not in text and "ops:" not in text and "not yet recorded" not in text
    assert "no phone numbers" in text and "social profiles" not in text


def test_answers_name_the_collector_never_the_os_user(people):  # noqa: F811
    from coldmail.privacy.controller import init_workspace
    from coldmail.privacy.where import where

    assert where(people, PEOPLE["en"][0])["collected_by"] == "Sam Carter, Acme Tools Ltd"
    init_workspace(people, collected_by="the Acme sales team")
    data = where(people, PEOPLE["en"][0])
    assert data["collected_by"] == "the Acme sales team" and "tester" not in data["text"]
