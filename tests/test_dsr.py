"""Data-subject requests: answers with every Art. 15(1) item, export, extension, retention, Art. 30."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from coldmail.contacts.views import show_contact
from coldmail.privacy import export as dsr_export
from coldmail.privacy import records as dsr_records
from coldmail.privacy import requests as dsr
from coldmail.privacy import retention as dsr_retention
from coldmail.privacy.requests import list_requests, open_request_cmd
from coldmail.prospects.importing import import_csv
from coldmail.prospects.lists import update_list
from coldmail.suppression import register as suppression
from conftest import write_csv

ROWS = (
    "email,first_name,last_name,company,role,country,source,source_url,source_public,justification\n"
    "hana@freightly.example,Hana,Quartermain,Freightly,Head of Operations,GB,company website,https://freightly.example/team,yes,Runs operations at a freight firm\n"
    "jonas@spedition.example,Jonas,Weber,Spedition Weber,Geschäftsführer,DE,LinkedIn profile,,yes,Managing director of a haulier\n"
)

ART15_EN = ("(a) PURPOSES", "(b) CATEGORIES", "(c) RECIPIENTS", "(d) HOW LONG", "(e) YOUR RIGHTS", "(f) COMPLAINTS",
            "(g) SOURCE", "(h) AUTOMATED DECISIONS", "COPY OF YOUR DATA")
ART15_DE = ("(a) VERARBEITUNGSZWECKE", "(b) KATEGORIEN", "(c) EMPFÄNGER", "(d) SPEICHERDAUER", "(e) IHRE RECHTE",
            "(f) BESCHWERDERECHT", "(g) HERKUNFT", "(h) AUTOMATISIERTE", "KOPIE IHRER DATEN")


@pytest.fixture
def people(any_ws, tmp_path):
    import_csv(any_ws, path=write_csv(tmp_path / "p.csv", ROWS), list_name="ops", purpose="route-planning software")
    return any_ws


@pytest.mark.parametrize(("email", "items", "facts"), [
    ("hana@freightly.example", ART15_EN, ("company website", "Runs operations at a freight firm", "Quartermain",
                                          "Information Commissioner", "route-planning software")),
    ("jonas@spedition.example", ART15_DE, ("LinkedIn profile", "Managing director of a haulier", "Weber", "BfDI")),
])
def test_access_answers_contain_every_article_15_item(people, tmp_path, email, items, facts):
    req = open_request_cmd(people, email=email, kind="access")
    ans = dsr.answer(people, req["id"], out=tmp_path)
    for needle in (*items, *facts):
        assert needle in ans.text, needle
    assert ans.path.read_text(encoding="utf-8") == ans.text
    [row] = list_requests(people)
    assert row["status"] == "answered"


def test_erasure_and_objection_answers_act(people, tmp_path):
    er = open_request_cmd(people, email="hana@freightly.example", kind="erasure")
    ans = dsr.answer(people, er["id"], out=tmp_path)
    assert "erased" in ans.text and "fingerprint" in ans.text
    assert show_contact(people, "hana@freightly.example") is None
    assert suppression.check(people, "hana@freightly.example").reason in ("erasure", "erasure request")
    ob = open_request_cmd(people, email="jonas@spedition.example", kind="objection")
    ans = dsr.answer(people, ob["id"], out=tmp_path)
    assert "Widerspruch" in ans.text
    assert suppression.check(people, "jonas@spedition.example").reason == "objection"
    assert show_contact(people, "jonas@spedition.example") is not None  # kept to prove it was honoured


def test_source_answer_is_the_where_answer(people, tmp_path):
    req = open_request_cmd(people, email="hana@freightly.example", kind="source")
    assert "Where we got your data" in dsr.answer(people, req["id"], out=tmp_path).text


def test_export_is_complete_json(people):
    data = dsr_export.export(people, "hana@freightly.example")
    json.dumps(data)
    assert data["contact"]["source"] == "company website" and data["contact"]["source_public"] is True
    assert data["suppression"] == {"suppressed": False, "reason": None, "since": None}
    assert set(data) >= {"contact", "messages", "replies", "suppression", "controller"}


def test_extension_up_to_two_months_with_a_reason(people):
    req = open_request_cmd(people, email="hana@freightly.example", kind="access",
                           received_at=datetime.now(UTC).replace(day=1))
    with pytest.raises(ValueError, match="one or two"):
        dsr.extend(people, req["id"], months=3, reason="complex")
    with pytest.raises(ValueError, match="reason"):
        dsr.extend(people, req["id"], months=1, reason=" ")
    item = dsr.extend(people, req["id"], months=2, reason="many systems to search")
    received = datetime.fromisoformat(req["received_at"])
    assert datetime.fromisoformat(item["due_at"]).month == (received.month + 2) % 12 + 1


def test_retention_dry_run_and_real_run_agree(ws, tmp_path):
    import_csv(ws, path=write_csv(tmp_path / "p.csv", ROWS), list_name="ops")
    later = datetime(2030, 1, 1, tzinfo=UTC)
    planned = dsr_retention.retention_run(ws, dry_run=True, now=later)
    assert {i.email for i in planned} == {"hana@freightly.example", "jonas@spedition.example"}
    assert show_contact(ws, "hana@freightly.example") is not None  # the dry run erased nothing
    done = dsr_retention.retention_run(ws, now=later)
    assert [(i.email, i.rule) for i in done] == [(i.email, i.rule) for i in planned]
    assert show_contact(ws, "hana@freightly.example") is None
    assert suppression.check(ws, "hana@freightly.example") is not None  # only the fingerprint is left
    ws.close()
    for path in ws.home.glob("coldmail.db*"):
        assert b"hana@freightly" not in path.read_bytes() and b"Quartermain" not in path.read_bytes()


def test_retention_spares_recent_and_open_request_contacts(ws, tmp_path):
    import_csv(ws, path=write_csv(tmp_path / "p.csv", ROWS), list_name="ops")
    assert dsr_retention.retention_run(ws, dry_run=True) == []
    open_request_cmd(ws, email="hana@freightly.example", kind="access")
    assert [i.email for i in dsr_retention.retention_run(ws, dry_run=True, now=datetime(2030, 1, 1, tzinfo=UTC))] == [
        "jonas@spedition.example"]


def test_records_of_processing(people):
    update_list(people, name="ops", lia_purpose="relevant B2B offer", lia_necessity="work email only",
                lia_balancing="role-relevant, easy opt-out")
    text = dsr_records.records(people)
    for needle in ("Art. 30", "Acme Tools Ltd", "route-planning software", "relevant B2B offer", "work email only",
                   "role-relevant, easy opt-out", "Security measures", "Erasure time limits", "company website"):
        assert needle in text, needle


def test_cli_lists_lia_reports_missing_parts(cli, tmp_path):
    from test_cli_contract import INIT

    cli(*INIT)
    cli("import", str(write_csv(tmp_path / "p.csv", ROWS)), "--list", "ops")
    missing = cli("lists", "lia", "ops")
    assert missing.returncode == 1 and "MISSING" in missing.stdout
    done = cli("lists", "lia", "ops", "--purpose", "p", "--necessity", "n", "--balancing", "b")
    assert done.returncode == 0 and "MISSING" not in done.stdout
