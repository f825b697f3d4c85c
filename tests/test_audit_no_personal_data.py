"""Audit entries hold no personal data, by construction: random addresses and names are fed through
every action that writes an entry, and no entry's subject or detail holds any of them."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from coldmail.outreach import campaigns
from coldmail.outreach.sending import send_campaign
from coldmail.privacy import requests
from coldmail.privacy.erasure import erase
from coldmail.privacy.export import export
from coldmail.privacy.retention import retention_run
from coldmail.prospects.importing import import_csv
from coldmail.prospects.lists import update_list
from coldmail.replies.ingest import import_paths
from coldmail.store.config import Sending, save_config
from coldmail.store.db import session_scope
from coldmail.suppression import register as suppression
from conftest import free_port, make_ws, write_csv
from smtp_server import Faults, SmtpServer
from test_sending import MONDAY_10

LETTERS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéöß", min_size=3, max_size=9)


@st.composite
def people(draw):
    # A marker no code, key or word of the log could contain by chance ("Cre" is in "create").
    first, last = "Qx" + draw(LETTERS), "Zv" + draw(LETTERS)
    local = f"{first}.{last}".encode("ascii", "ignore").decode() or "x"
    domain = draw(st.sampled_from(["corp.example", "mail.example", "firm.example"]))
    return first.title(), last.title(), f"{local}{draw(st.integers(0, 999))}@{domain}"


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(people=st.lists(people(), min_size=3, max_size=3, unique_by=lambda p: p[2]))
def test_no_action_writes_an_address_or_a_name_into_the_log(people):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ws = make_ws(tmp / "ws")
        try:
            _every_action(ws, tmp, people)
            with session_scope(ws.engine, write=False) as s:
                rows = s.execute(text("SELECT action, subject, detail FROM audit_log")).all()
        finally:
            ws.close()
    dump = "\n".join(f"{sub} {d}" for _a, sub, d in rows).lower()
    assert len(rows) > 15
    for first, last, email in people:
        for marker in (email, email.split("@")[0], first, last):
            assert marker.lower() not in dump, (marker, [r for r in rows if marker.lower() in str(r).lower()])


def _every_action(ws, tmp: Path, people) -> None:
    (a_first, a_last, a), (b_first, b_last, b), (c_first, c_last, c) = people
    ws.config.sending = Sending.unpaced()
    save_config(ws.home, ws.config)
    rows = "".join(f"{e},{f},{la},Co,Ops,GB,met {f} {la} at an event,{f} {la} runs ops\n" for f, la, e in people)
    import_csv(ws, path=write_csv(tmp / f"{a_first} {a_last}.csv", "email,first_name,last_name,company,role,country,"
                                  "source,justification,Phone Of " + b_last + "\n"
                                  + rows.replace("\n", ",123\n")), list_name="l")
    update_list(ws, name="l", purpose=f"talk to {a_first}", lia_purpose=f"{b_last} needs it",
                lia_necessity="email", lia_balancing="fine")
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    rejection = f"550 5.1.1 <{c}>: Recipient address rejected: User unknown ({c_first} {c_last})"
    with SmtpServer(free_port(), Faults(rcpt={c: rejection})) as server:
        asyncio.run(send_campaign(ws, name="c1", smtp_url=server.url, now=MONDAY_10))
    campaigns.set_status(ws, "c1", "paused", f"paused because {a} ({a_first}) asked")
    campaigns.set_status(ws, "c1", "active")
    inbox = tmp / "inbox"
    inbox.mkdir()
    (inbox / "1.eml").write_text(f"From: {a_first} {a_last} <{a}>\nSubject: Re: hi\nMessage-ID: <1@x.example>\n\n"
                                 f"Please remove me from your list. Where did you get my address?\n{a_first} {a_last}\n")
    (inbox / "2.eml").write_text(f"From: {b}\nSubject: Re: hi\nMessage-ID: <2@x.example>\n\nSounds good, call me.\n")
    import_paths(ws, [inbox])
    suppression.add(ws, target=b, reason=f"{b_first} {b_last} phoned ({b})", evidence=f"call with {b_first}")
    suppression.undo(ws, b, reason=f"{b_first} {b_last} said it was a mistake ({b})")
    opened = requests.open_request_cmd(ws, email=b, kind="access", note=f"{b_first} asked by phone")
    requests.extend(ws, opened["id"], months=1, reason=f"{b_first} {b_last} has many records at {b}")
    requests.answer(ws, opened["id"])
    for r in requests.list_requests(ws, only_open=True):
        requests.answer(ws, r["id"])
    export(ws, b)
    erase(ws, a)
    retention_run(ws, dry_run=True)
