"""Erased means gone: one contact's unique name, address and phone number are planted everywhere
coldmail can carry them, then `erase` must leave no byte of them in any file under the workspace
(SQLite, WAL included) and in no row (PostgreSQL)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from sqlalchemy import inspect, text

from coldmail.contacts.views import show_contact
from coldmail.outreach import campaigns
from coldmail.outreach.sending import send_campaign
from coldmail.privacy.erasure import erase
from coldmail.privacy.export import dumps, export
from coldmail.privacy.requests import answer, list_requests
from coldmail.prospects.importing import import_csv
from coldmail.replies.ingest import import_paths
from coldmail.store.config import Sending, save_config
from coldmail.store.db import session_scope
from coldmail.suppression import register as suppression
from conftest import free_port, write_csv
from smtp_server import Faults, SmtpServer
from test_sending import MONDAY_10

NAME = ("Zyxxa", "Quenbyrr")
EMAIL = "zyxxa.quenbyrr@marker-corp.example"
PHONE = "+44 7700 913 582"
COLLEAGUE = "ops.lead@marker-corp.example"


def _markers() -> list[bytes]:
    return [EMAIL.encode(), EMAIL.upper().encode(), b"Zyxxa.Quenbyrr@Marker-Corp.example", NAME[0].encode(),
            NAME[1].encode(), PHONE.encode(), PHONE.replace(" ", "").encode()]


def _reply(path: Path, frm: str, subject: str, body: str, in_reply_to: str = "") -> Path:
    headers = f"From: {frm}\nTo: sam@acme-tools.example\nSubject: {subject}\nMessage-ID: <{path.stem}@mail.example>\n"
    if in_reply_to:
        headers += f"In-Reply-To: {in_reply_to}\n"
    path.write_text(headers + "Date: Mon, 23 Nov 2026 11:00:00 +0000\n\n" + body, encoding="utf-8")
    return path


def _plant_everywhere(ws, tmp_path: Path) -> None:
    ws.config.sending = Sending.unpaced()
    save_config(ws.home, ws.config)
    csv = write_csv(tmp_path / "leads.csv",
                    "email,first_name,last_name,company,role,country,source,justification\n"
                    f"{EMAIL.upper()},{NAME[0]},{NAME[1]},Marker Corp,Head of Operations,GB,event list,runs ops\n"
                    f"{COLLEAGUE},Robin,Ash,Marker Corp,Ops Lead,GB,event list,runs ops\n")
    import_csv(ws, path=csv, list_name="markers")
    campaigns.create(ws, name="m1", list_name="markers", template="first_touch")
    # A dry run writes .eml files inside the workspace.
    asyncio.run(send_campaign(ws, name="m1", dry_run_dir=ws.home / "dry-run" / "m1", now=MONDAY_10))
    # The server rejects her and echoes her address; the colleague's message goes through.
    rejection = f"550 5.1.1 <{EMAIL}>: Recipient address rejected: User unknown in virtual mailbox table"
    with SmtpServer(free_port(), Faults(rcpt={EMAIL: rejection})) as server:
        asyncio.run(send_campaign(ws, name="m1", smtp_url=server.url, now=MONDAY_10))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _reply(inbox / "r1.eml", f"{NAME[0]} {NAME[1]} <{EMAIL}>", "Re: routes",
           f"Please remove me from your list. And where did you get my email address?\n\n"
           f"{NAME[0]} {NAME[1]}\nHead of Operations, Marker Corp\nMobile: {PHONE}\n")
    _reply(inbox / "r2.eml", f"Robin Ash <{COLLEAGUE}>", "Re: routes",
           f"Please remove everyone at our company from your list, {NAME[0]} {NAME[1]} included. "
           "Do not contact anyone at Marker Corp again.\n")
    import_paths(ws, [inbox])
    source = [r for r in list_requests(ws) if r["kind"] == "source"]
    assert source, list_requests(ws)
    answer(ws, source[0]["id"], out=ws.home / "answers")  # a file the user asked for, inside the workspace
    (ws.home / "exports").mkdir()
    (ws.home / "exports" / "copy.json").write_text(dumps(export(ws, EMAIL)), encoding="utf-8")


def test_erasure_leaves_no_byte_of_the_person_in_the_workspace(ws, tmp_path):
    _plant_everywhere(ws, tmp_path)
    before = b"".join(p.read_bytes() for p in ws.home.rglob("*") if p.is_file())
    assert EMAIL.encode() in before.lower() and PHONE.encode() in before  # the markers really are planted

    result = erase(ws, EMAIL)
    assert result.erased and result.files_removed >= 3
    assert show_contact(ws, EMAIL) is None and suppression.check(ws, EMAIL) is not None
    assert suppression.check(ws, "anyone@marker-corp.example") is not None  # the colleague's opt-out stands
    for path in ws.home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            lowered = data.lower()
            for marker in _markers():
                assert marker.lower() not in lowered, f"{marker!r} left in {path.relative_to(ws.home)}"
            assert not re.search(rb"quenbyrr|zyxxa", lowered), path


def test_erasure_on_postgresql_leaves_no_row_holding_the_person(postgres, home, tmp_path):
    from conftest import make_ws

    ws = make_ws(home, postgres.new_database())
    try:
        _plant_everywhere(ws, tmp_path)
        erase(ws, EMAIL)
        with session_scope(ws.engine, write=False) as s:
            tables = inspect(s.connection()).get_table_names()
            dump = "\n".join(str(row) for t in tables for row in s.execute(text(f'SELECT * FROM "{t}"')).all())
        for marker in _markers():
            assert marker.decode().lower() not in dump.lower(), marker
    finally:
        ws.close()
