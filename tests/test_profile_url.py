"""Honest provenance (issue 19): a person's profile page is stored as `profile_url`, not as the source
URL, and is shown, exported and erased like the rest of what we hold; `collected_by` names the rep."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, text

from coldmail.contacts.views import show_contact
from coldmail.privacy.erasure import erase
from coldmail.privacy.export import dumps, export
from coldmail.privacy.where import where
from coldmail.prospects.csvfile import map_headers
from coldmail.prospects.importing import import_csv
from coldmail.prospects.rowreader import Defaults, Layout, prepare, prepare_many
from coldmail.store import db
from coldmail.store.workspace import open_workspace
from coldmail.suppression.screening import FingerprintCache
from conftest import write_csv

SRC = dict(source="Sales Navigator search", justification="runs operations")
PROFILE = "https://www.linkedin.com/in/zyxxa-quenbyrr-4471"
APOLLO = ("Email,First Name,Last Name,Person Linkedin Url,Source URL,Country\n"
          f"zyxxa@marker.example,Zyxxa,Quenbyrr,{PROFILE},https://marker.example/team,GB\n")


def test_a_linkedin_column_is_the_profile_not_the_source(any_ws, tmp_path):
    import_csv(any_ws, path=write_csv(tmp_path / "a.csv", APOLLO), list_name="l", **SRC)
    c = show_contact(any_ws, "zyxxa@marker.example")
    assert (c.profile_url, c.source_url, c.source) == (PROFILE, "https://marker.example/team", SRC["source"])
    assert c.held()["profile"] == PROFILE and c.to_json()["profile_url"] == PROFILE


@pytest.mark.parametrize("ragged", [False, True], ids=["by-column", "row-by-row"])
def test_a_profile_in_the_source_url_column_moves_to_the_profile(ws, tmp_path, ragged):
    rows = ("email,source_url\n" f"a@m.example,{PROFILE}\n" "b@m.example,https://m.example/speakers\n"
            "c@m.example,https://github.com/cee\n" + ("x@m.example,https://x.example,extra\n" if ragged else ""))
    result = import_csv(ws, path=write_csv(tmp_path / "a.csv", rows), list_name="l", **SRC)
    assert len(result.rejected) == int(ragged)  # a longer row: the batch is read row by row
    a, b, c = (show_contact(ws, f"{x}@m.example") for x in "abc")
    assert (a.profile_url, a.source_url) == (PROFILE, "")
    assert (b.profile_url, b.source_url) == ("", "https://m.example/speakers")
    assert (c.profile_url, c.source_url) == ("https://github.com/cee", "")
    # A repeat brings the person's latest page, as it brings their other details.
    import_csv(ws, path=write_csv(tmp_path / "b.csv", "email,linkedin\na@m.example,https://linkedin.com/in/a2\n"),
               list_name="l", **SRC)
    assert show_contact(ws, "a@m.example").profile_url == "https://linkedin.com/in/a2"


@pytest.mark.parametrize("header", [["email", "source_url"], ["email", "source_url", "profile_url"]])
def test_reading_whole_columns_agrees_with_reading_each_row(header):
    layout = Layout.of(map_headers(header))
    defaults = Defaults("web", "fit", "https://default.example/search", None)
    of_email = FingerprintCache(b"k").of_email
    cells = [PROFILE, "https://m.example/team", "", "https://x.com/someone"]
    rows = [[f"p{i}@m.example", url, *(["https://linkedin.com/in/own"] if i % 2 and len(header) == 3 else [""])
             ][:len(header)] for i, url in enumerate(cells)]
    many = prepare_many(rows, layout, defaults, of_email)
    assert many is not None and many == [prepare(r, layout, defaults, of_email) for r in rows]
    assert {rec[-1] for rec in many} >= {PROFILE}


def test_contacts_show_where_and_the_export_show_the_profile(ws, cli, tmp_path):
    import_csv(ws, path=write_csv(tmp_path / "a.csv", APOLLO), list_name="l", **SRC)
    shown = cli("contacts", "show", "zyxxa@marker.example")
    assert f"profile_url         {PROFILE}" in shown.stdout
    assert json.loads(cli("contacts", "show", "zyxxa@marker.example", "--json").stdout)["profile_url"] == PROFILE
    answer = where(ws, "zyxxa@marker.example")
    assert answer["profile_url"] == PROFILE and answer["data_held"]["profile"] == PROFILE
    assert PROFILE in answer["text"] and f"({PROFILE})" not in answer["text"]  # held, never given as the source
    assert cli("where", "zyxxa@marker.example").stdout == answer["text"]
    assert export(ws, "zyxxa@marker.example")["contact"]["profile_url"] == PROFILE


def test_erasure_leaves_no_byte_of_the_profile(ws, tmp_path):
    import_csv(ws, path=write_csv(tmp_path / "a.csv", APOLLO), list_name="l", **SRC)
    (ws.home / "copy.json").write_text(dumps(export(ws, "zyxxa@marker.example")), encoding="utf-8")
    slug = b"zyxxa-quenbyrr-4471"
    assert slug in b"".join(p.read_bytes() for p in ws.home.rglob("*") if p.is_file())
    assert erase(ws, "zyxxa@marker.example").erased
    for path in ws.home.rglob("*"):
        if path.is_file():
            assert slug not in path.read_bytes().lower(), path.relative_to(ws.home)


def test_erasure_on_postgresql_leaves_no_row_with_the_profile(postgres, home, tmp_path):
    from conftest import make_ws

    ws = make_ws(home, postgres.new_database())
    try:
        import_csv(ws, path=write_csv(tmp_path / "a.csv", APOLLO), list_name="l", **SRC)
        export(ws, "zyxxa@marker.example")
        erase(ws, "zyxxa@marker.example")
        with db.session_scope(ws.engine, write=False) as s:
            dump = "\n".join(str(row) for t in inspect(s.connection()).get_table_names()
                             for row in s.execute(text(f'SELECT * FROM "{t}"')).all())
        assert "zyxxa-quenbyrr" not in dump.lower()
    finally:
        ws.close()


def test_the_migration_moves_profiles_out_of_the_source_url(any_ws):
    from alembic import command

    command.downgrade(db.alembic_config(any_ws.engine), "0006")
    with any_ws.engine.begin() as conn:
        conn.execute(text("INSERT INTO lists (name, purpose, geography, industry, company_size, roles, lia_purpose, "
                          "lia_necessity, lia_balancing, lia_recorded_by, created_by, created_at) "
                          "VALUES ('l', '', '', '', '', '', '', '', '', '', 't', CURRENT_TIMESTAMP)"))
        for email, url in (("a@m.example", f" {PROFILE} "), ("b@m.example", "https://m.example/team"),
                           ("c@m.example", "https://www.linkedin.com/company/m")):
            conn.execute(text(
                "INSERT INTO contacts (email, fingerprint, first_name, last_name, company, role, country, website, "
                "list_id, source, source_url, collected_at, collected_by, justification, status, created_at, "
                "updated_at) VALUES (:e, :e, '', '', '', '', '', '', 1, 's', :u, CURRENT_TIMESTAMP, 't', 'j', 'new', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"e": email, "u": url})
    db.migrate(any_ws.engine)
    with any_ws.engine.connect() as conn:
        rows = dict((e, (s, p)) for e, s, p in conn.execute(text("SELECT email, source_url, profile_url FROM contacts")))
    assert rows == {"a@m.example": ("", PROFILE), "b@m.example": ("https://m.example/team", ""),
                    "c@m.example": ("https://www.linkedin.com/company/m", "")}  # a company page is a source


# ---------------------------------------------------------------- collected by


def _collected_by(ws, tmp_path, **options) -> str:
    import_csv(ws, path=write_csv(tmp_path / "c.csv", "email\nana@m.example\n"), list_name="l", **SRC, **options)
    return show_contact(ws, "ana@m.example").collected_by


def test_collected_by_is_the_rep_given_at_import(ws, tmp_path):
    assert _collected_by(ws, tmp_path, collected_by=" Dana\nReyes ") == "Dana Reyes"


def test_collected_by_defaults_to_the_rep_named_at_init_then_the_sender(ws, tmp_path):
    from coldmail.privacy.controller import init_workspace

    assert _collected_by(ws, tmp_path) == "Sam Carter"  # the sender (conftest's identity)
    init_workspace(ws, collected_by="the freight sales team")
    import_csv(ws, path=write_csv(tmp_path / "d.csv", "email\nbo@m.example\n"), list_name="l", **SRC)
    assert show_contact(ws, "bo@m.example").collected_by == "the freight sales team"


def test_collected_by_without_an_identity_is_who_runs_coldmail(home, tmp_path):
    ws = open_workspace(home)  # no `init` yet
    try:
        assert _collected_by(ws, tmp_path) == "tester"  # COLDMAIL_USER, else the OS user
    finally:
        ws.close()


def test_the_cli_takes_collected_by_and_refuses_an_overlong_one(ws, cli, tmp_path):
    f = write_csv(tmp_path / "c.csv", "email\nana@m.example\n")
    args = ["import", str(f), "--list", "l", "--source", "web", "--justification", "fit", "--collected-by"]
    too_long = cli(*args, "x" * 101)
    assert too_long.returncode == 2 and "--collected-by is 101 characters long" in too_long.stderr
    assert cli(*args, "Dana Reyes").returncode == 0
    assert json.loads(cli("contacts", "show", "ana@m.example", "--json").stdout)["collected_by"] == "Dana Reyes"
