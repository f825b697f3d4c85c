"""The answers to data-subject requests (source, access, erasure, objection, rectification) exist in
every language: each renders in the contact's language with every placeholder filled, no English left,
the right subject and the items its article requires."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coldmail.mail import i18n
from coldmail.privacy.answers import render_answer
from coldmail.privacy.requests import open_request_cmd
from coldmail.prospects.importing import import_csv
from coldmail.store.db import session_scope
from coldmail.store.models import Contact, Reply, utcnow
from coldmail.suppression.fingerprints import fingerprint
from conftest import make_ws, write_csv
from test_notice_languages import COUNTRY, LANGS, assert_one_language

KINDS = ("source", "access", "erasure", "objection", "rectification")
# What each answer must carry, as keys of the `answers` table (plus the contact's own data).
NEEDS = {
    "source": ("source_subject", "source_heading", "held_heading", "retention_heading", "rights_heading",
               "recipients_heading", "legal_basis_short"),
    "access": ("access_subject", "access_purposes", "access_categories", "access_recipients", "access_retention",
               "access_rights", "access_complaints", "access_source", "access_automated", "access_copy",
               "automated", "kind_human"),
    "erasure": ("erasure_subject", "erasure_fingerprint"),
    "objection": ("objection_subject", "objection_keep"),
    "rectification": ("rectification_subject",),
}


def address(lang: str) -> str:
    return f"a-{lang.lower()}@firm.example"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home = tmp_path_factory.mktemp("answers") / "ws"
    ws = make_ws(home)
    rows = "".join(f"{address(code)},Ana,Example,Firm {code},Head of Operations,{COUNTRY[code]},company website,"
                   f"https://firm.example/team,Leads operations at a firm like our customers\n" for code in LANGS)
    csv = write_csv(home.parent / "a.csv", "email,first_name,last_name,company,role,country,source,source_url,"
                    "justification\n" + rows)
    import_csv(ws, path=csv, list_name="ops", purpose="route-planning software", source_public=True)
    with session_scope(ws.engine) as s:  # a reply from each, so the access answer lists one
        for code in LANGS:
            contact_id = s.execute(select(Contact.id).where(Contact.email == address(code))).scalar_one()
            s.add(Reply(message_key=f"<r-{code}@firm.example>", received_at=utcnow(), contact_id=contact_id,
                        fingerprint=fingerprint(ws.fingerprint_key, address(code)), kind="human",
                        subject="Re: hello"))
    requests = {(code, kind): open_request_cmd(ws, email=address(code), kind=kind)["id"]
                for code in LANGS for kind in KINDS}
    yield ws, requests
    ws.close()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", LANGS)
def test_every_answer_in_every_language(world, lang, kind):
    ws, requests = world
    ans = render_answer(ws, requests[(lang, kind)], language=lang)
    assert ans.language == lang
    t = i18n.words(lang, "answers")
    subject, _, body = ans.text.partition("\n")
    assert subject == "Subject: " + t[f"{kind}_subject"]
    for key in NEEDS[kind]:
        assert t[key] in ans.text, (lang, kind, key)
    assert address(lang) in ans.text and "Acme Tools Ltd" in ans.text
    if kind in ("source", "access", "rectification"):
        assert f"{t['field_company']}: Firm {lang}" in ans.text  # the data held, under the language's names
    assert_one_language(body, lang, "common", "fields", "answers")


def test_the_answer_follows_the_contacts_country_without_being_asked(world):
    ws, requests = world
    for lang in ("pl", "pt-BR", "ja", "uk"):
        ans = render_answer(ws, requests[(lang, "objection")])
        assert ans.language == lang, lang


def test_a_workspace_can_replace_one_languages_answer(ws, tmp_path):
    import_csv(ws, path=write_csv(tmp_path / "pl.csv", f"email,country,source,justification\n{address('pl')},PL,"
                                  "company website,Leads operations\n"), list_name="ops")
    path = ws.home / "templates" / "answers" / "objection.pl.txt.j2"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("Subject: Nasz tekst\n\nDzień dobry, {{ email }}.\n", encoding="utf-8")
    request = open_request_cmd(ws, email=address("pl"), kind="objection")["id"]
    assert render_answer(ws, request).text == f"Subject: Nasz tekst\n\nDzień dobry, {address('pl')}.\n"
    other = render_answer(ws, request, language="cs").text  # the other languages keep the shipped text
    assert other.startswith("Subject: " + i18n.words("cs", "answers")["objection_subject"])


def test_an_answer_is_in_the_language_the_request_was_written_in(tmp_path):
    from coldmail.privacy.requests import open_request

    ws = make_ws(tmp_path / "ws")
    csv = write_csv(tmp_path / "c.csv", "email,first_name,company,country,source,justification\n"
                    "claire@firm.example,Claire,Firm,FR,company website,Leads operations\n"
                    "bia@firm.example,Bia,Firm,BR,company website,Leads operations\n"
                    "jan@firm.example,Jan,Firm,NL,company website,Leads operations\n"
                    "piet@firm.example,Piet,Firm,NL,company website,Leads operations\n")
    import_csv(ws, path=csv, list_name="ops", purpose="route-planning software", source_public=True)
    ids = {}
    with session_scope(ws.engine) as s:
        for email, read_in in (("claire@firm.example", "en"), ("bia@firm.example", "pt"), ("jan@firm.example", None),
                               ("piet@firm.example", "ga")):
            reply_id = None
            if read_in:
                # Piet's reply was read in every language, Irish first: a guess, so his country's language
                why = "SOURCE=x (a reply of 5 word(s), read in every language) [ga]" if read_in == "ga" else ""
                reply = Reply(message_key=f"<{email}>", received_at=utcnow(), kind="data_request", request_kind="access",
                              fingerprint=fingerprint(ws.fingerprint_key, email), language=read_in, subject="Re: hello",
                              why=why)
                s.add(reply)
                s.flush()
                reply_id = reply.id
            ids[email] = open_request(s, key=ws.fingerprint_key, actor="t", email=email, kind="access", reply_id=reply_id).id
    # asked in English by a French contact; in Portuguese by a Brazilian one; typed in by hand for a Dutch one
    assert render_answer(ws, ids["claire@firm.example"]).language == "en"
    assert render_answer(ws, ids["bia@firm.example"]).language == "pt-BR"
    assert render_answer(ws, ids["jan@firm.example"]).language == "nl"
    assert render_answer(ws, ids["piet@firm.example"]).language == "nl"
    assert render_answer(ws, ids["claire@firm.example"], language="fr").language == "fr"
    ws.close()
