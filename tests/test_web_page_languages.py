"""The recipient's page, its confirmation steps and the unsubscribe pages speak every language: the
contact's by default (or `?lang=`), `<html lang>` and `dir="rtl"` set, every placeholder filled, no
English left, through the real app (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import html as htmlmod
import re

import httpx
import pytest
from sqlalchemy import select

from coldmail.mail import i18n
from coldmail.prospects.importing import import_csv
from coldmail.store.db import session_scope
from coldmail.store.models import Contact
from coldmail.suppression import tokens
from coldmail.web import pages
from coldmail.web.recipient import resolve
from conftest import make_ws, write_csv
from test_notice_languages import COUNTRY, LANGS, assert_one_language
from test_web import running

PUBLIC = "https://links.acme-tools.example"


def address(lang: str) -> str:
    return f"w-{lang.lower()}@firm.example"


def visible(page: str) -> str:
    return htmlmod.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home = tmp_path_factory.mktemp("pages") / "ws"
    ws = make_ws(home)
    ws.config.controller.public_url = PUBLIC
    rows = "".join(f"{address(code)},Ana,Example,Firm {code},Head of Operations,{COUNTRY[code]},company website,"
                   f"https://firm.example/team,Leads operations at a firm like our customers\n" for code in LANGS)
    csv = write_csv(home.parent / "w.csv", "email,first_name,last_name,company,role,country,source,source_url,"
                    "justification\n" + rows)
    import_csv(ws, path=csv, list_name="ops", purpose="route-planning software", source_public=True)
    with session_scope(ws.engine, write=False) as s:
        ids = dict(s.execute(select(Contact.email, Contact.id)).all())
    toks = {code: tokens.issue(ws.fingerprint_key, ids[address(code)]) for code in LANGS}
    with running(ws, per_ip=10_000, per_token=10_000) as base, httpx.Client(base_url=base) as client:
        yield ws, toks, client
    ws.close()


def opening(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)


@pytest.mark.parametrize("lang", LANGS)
def test_the_page_in_the_contacts_language(world, lang):
    ws, toks, client = world
    explicit = f"?lang={lang}" if lang in ("ga", "mt") else ""  # Irish and Maltese contacts default to English
    r = client.get(f"/p/{toks[lang]}{explicit}")
    assert r.status_code == 200
    page = r.text
    assert f'lang="{lang}"' in opening(page) and ('dir="rtl"' in opening(page)) == (lang in i18n.RTL)
    t = pages.strings(lang)
    text = visible(page)
    for key in ("who_heading", "why_heading", "source_heading", "held_heading", "retention_heading", "rights_heading",
                "legal_basis", "rights_body", "automated", "button_stop", "button_copy", "button_erase",
                "field_email", "field_company", "field_provenance", "public_yes"):
        assert t[key] in text, (lang, key)
    assert t["retention_body"].split("{")[0] in text and i18n.months(24, lang) in text
    assert "Leads operations at a firm like our customers" in text and f"Firm {lang}" in text
    assert i18n.words(lang, "notice")["no_transfers"] in text  # Art. 14(1)(f), in the full notice's words
    assert_one_language(text, lang, "common", "fields", "page", "notice")


@pytest.mark.parametrize("lang", LANGS)
def test_the_other_pages_in_every_language(world, lang):
    ws, toks, client = world
    q = f"?lang={lang}"
    who = resolve(ws, toks[lang])
    rendered = {
        "unsubscribe": client.get(f"/u/{toks[lang]}{q}").text,
        "erase": client.get(f"/p/{toks[lang]}/erase{q}").text,
        "unsubscribed": pages.render("unsubscribe.html.j2", ws=ws, lang=lang, token=who.token, csrf="x", done=True),
        "erased": pages.render("suppressed.html.j2", ws=ws, lang=lang, token="", erased=True),
    }
    t = pages.strings(lang)
    needs = {"unsubscribe": ("unsub_heading", "unsub_button", "page_link"), "erase": ("erase_heading", "erase_confirm",
             "cancel"), "unsubscribed": ("unsub_done_heading",), "erased": ("suppressed_heading", "erased_body")}
    for name, page in rendered.items():
        assert f'lang="{lang}"' in opening(page), (lang, name)
        assert ('dir="rtl"' in opening(page)) == (lang in i18n.RTL), (lang, name)
        for key in needs[name]:
            assert t[key] in visible(page), (lang, name, key)
        assert_one_language(visible(page), lang, "common", "fields", "page")
