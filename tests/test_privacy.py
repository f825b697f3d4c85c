"""Answers to data subjects: where, erasure (bytes really gone), requests and their deadlines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coldmail.contacts.views import show_contact
from coldmail.privacy.erasure import erase
from coldmail.privacy.requests import add_months, list_requests, open_request_cmd
from coldmail.privacy.where import where
from coldmail.prospects.importing import import_csv
from coldmail.suppression import register as suppression
from conftest import write_csv

ROW = (
    "email,first_name,last_name,company,role,country,source,source_url,justification\n"
    "{email},{first},Quartermain,Freightly,Head of Operations,{country},LinkedIn profile,"
    "https://linkedin.example/in/q,Runs operations at a freight firm that matches our ideal customer\n"
)


def add_one(ws, tmp_path, email="hana@freightly.example", first="Hana", country="GB", public=True):
    f = write_csv(tmp_path / f"row{abs(hash(email))}.csv", ROW.format(email=email, first=first, country=country))
    import_csv(ws, path=f, list_name="freight", purpose="selling route-planning software to freight firms",
               source_public=public)


def test_where_answers_from_the_record(any_ws, tmp_path):
    add_one(any_ws, tmp_path)
    data = where(any_ws, "Hana@Freightly.example")
    assert data["held"] and data["language"] == "en"
    assert data["source"] == "LinkedIn profile" and data["source_public"] is True
    assert data["data_held"] == {
        "email": "hana@freightly.example", "first_name": "Hana", "last_name": "Quartermain",
        "company": "Freightly", "role": "Head of Operations", "country": "GB",
    }
    text = data["text"]
    for needle in (
        "LinkedIn profile", "https://linkedin.example/in/q", "publicly available", "Runs operations at a freight",
        "selling route-planning software", "Art. 6(1)(f)", "24 months", "Information Commissioner",
        "object", "erasure", "Acme Tools Ltd", "1 Main St", "privacy@acme-tools.example",
        "Quartermain", "Head of Operations", data["collected_at"][:10],
    ):
        assert needle in text, needle


def test_where_chooses_the_contacts_language(ws, tmp_path):
    add_one(ws, tmp_path, email="jonas@spedition.example", first="Jonas", country="DE", public=False)
    data = where(ws, "jonas@spedition.example")
    assert data["language"] == "de"
    assert "Woher wir Ihre Daten haben" in data["text"] and "nicht um eine öffentliche Quelle" in data["text"]
    assert "Art. 6 Abs. 1 lit. f DSGVO" in data["text"] and "BfDI" in data["text"]
    assert where(ws, "jonas@spedition.example", language="en")["language"] == "en"
    assert where(ws, "jonas@spedition.example", language="fr")["text"].startswith("Subject: D'où")


def test_where_for_unknown_and_erased_addresses(ws, tmp_path):
    unknown = where(ws, "nobody@nowhere.example")
    assert not unknown["held"] and not unknown["suppressed"]
    assert "We hold no personal data" in unknown["text"] and "fingerprint" not in unknown["text"]
    add_one(ws, tmp_path)
    erase(ws, "hana@freightly.example")
    gone = where(ws, "hana@freightly.example")
    assert not gone["held"] and gone["only_fingerprint"]
    assert "one-way fingerprint" in gone["text"]


def test_erase_leaves_only_the_fingerprint_and_no_bytes(ws, tmp_path):
    # Enough other rows that the target shares pages and index nodes with its neighbours.
    rows = "".join(f"p{i}@bulk.example,P{i},company{i},event list,attendee\n" for i in range(3000))
    f = write_csv(tmp_path / "bulk.csv", "email,first_name,company,source,justification\n" + rows)
    import_csv(ws, path=f, list_name="bulk")
    add_one(ws, tmp_path, email="zygmunt.erasable@freightly.example", first="Zygmunt")
    open_request_cmd(ws, email="zygmunt.erasable@freightly.example", kind="erasure", note="asked by Zygmunt")
    where(ws, "zygmunt.erasable@freightly.example")
    result = erase(ws, "zygmunt.erasable@freightly.example")
    assert result.erased and result.checkpoint_complete
    assert show_contact(ws, "zygmunt.erasable@freightly.example") is None
    check = suppression.check(ws, "Zygmunt.Erasable@freightly.example")
    assert check is not None and check.reason == "erasure"
    listed = [s for s in suppression.list_all(ws) if s.fingerprint == result.fingerprint]
    assert listed and listed[0].email is None
    # The request record survives for accountability, without the address.
    assert [r["email"] for r in list_requests(ws)] == [None]
    ws.close()
    for path in ws.home.glob("coldmail.db*"):
        blob = path.read_bytes()
        for secret in (b"zygmunt.erasable", b"Zygmunt", "zygmunt".encode("utf-16-le")):
            assert secret not in blob, f"{secret!r} still in {path.name}"
    # A later import of the same person is refused.
    f2 = write_csv(tmp_path / "again.csv", ROW.format(email="zygmunt.erasable@freightly.example", first="Z", country="GB"))
    from coldmail.store.workspace import open_workspace

    ws2 = open_workspace(ws.home)
    assert import_csv(ws2, path=f2, list_name="freight").suppressed == 1
    ws2.close()


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-01-31", "2026-02-28"),
        ("2028-01-31", "2028-02-29"),
        ("2026-03-15", "2026-04-15"),
        ("2026-03-31", "2026-04-30"),
        ("2026-12-31", "2027-01-31"),
        ("2026-08-31", "2026-09-30"),
    ],
)
def test_due_dates_are_one_calendar_month(received, due):
    start = datetime.fromisoformat(received).replace(tzinfo=UTC, hour=14)
    assert add_months(start, 1).date().isoformat() == due


def test_requests_list_shows_overdue_first(any_ws):
    open_request_cmd(any_ws, email="late@a.example", kind="access", received_at=datetime(2026, 1, 31, tzinfo=UTC))
    open_request_cmd(any_ws, email="fresh@a.example", kind="source")
    open_request_cmd(any_ws, email="later@a.example", kind="erasure", received_at=datetime(2025, 12, 1, tzinfo=UTC))
    rows = list_requests(any_ws, only_open=True)
    assert [r["email"] for r in rows] == ["later@a.example", "late@a.example", "fresh@a.example"]
    assert [r["overdue"] for r in rows] == [True, True, False]
    assert rows[1]["due_at"].startswith("2026-02-28")
    with pytest.raises(ValueError, match="kind must be one of"):
        open_request_cmd(any_ws, email="x@a.example", kind="gossip")
