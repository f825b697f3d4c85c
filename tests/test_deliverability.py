"""MX checks, flags, doctor, DKIM and guards, against a DNS server of the tests' own on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import email
from email import policy

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from coldmail.deliverability.checks import doctor, flags, verify
from coldmail.mail.rendering import compose_for
from coldmail.outreach import campaigns
from coldmail.outreach.guards import check_guards
from coldmail.prospects.importing import import_csv
from coldmail.store.config import save_config
from coldmail.suppression import register as suppression
from conftest import free_port, write_csv
from dns_server import DnsServer, standard_zone
from test_sending import MONDAY_10, open_all_hours, run, seed


@pytest.fixture
def dns(ws):
    zone = standard_zone()
    port = free_port()
    with DnsServer(zone, port) as server:
        ws.config.dns.nameservers = ["127.0.0.1"]
        ws.config.dns.port = port
        ws.config.dns.timeout_seconds = 0.5
        save_config(ws.home, ws.config)
        yield server


def _import(ws, tmp_path, emails):
    f = write_csv(tmp_path / "v.csv", "email\n" + "".join(e + "\n" for e in emails))
    import_csv(ws, path=f, list_name="v", source="company website", justification="ops lead")


def test_mx_statuses(ws, tmp_path, dns):
    _import(ws, tmp_path, ["a@good.example", "b@good.example", "c@aonly.example", "d@v6only.example",
                           "e@nullmx.example", "f@missing.example", "g@nomail.example", "h@broken.example",
                           "i@slow.example"])
    result = asyncio.run(verify(ws))
    assert result.domains == 8 and result.looked_up == 8
    assert dict(result.by_status) == {"ok": 4, "undeliverable": 3, "unknown": 2}
    assert sorted(result.undeliverable) == ["e@nullmx.example", "f@missing.example", "g@nomail.example"]
    # Exactly one MX query per domain, and the cache answers the second run.
    assert dns.zone.queries[("good.example", "MX")] == 1
    again = asyncio.run(verify(ws))
    assert again.looked_up == 0 and dict(again.by_status) == dict(result.by_status)
    assert dns.zone.queries[("good.example", "MX")] == 1


def test_undeliverable_domains_are_never_sent_to(ws, tmp_path, dns):
    open_all_hours(ws)
    _import(ws, tmp_path, ["a@good.example", "e@nullmx.example"])
    asyncio.run(verify(ws))
    campaigns.create(ws, name="c", list_name="v", template="first_touch")
    from smtp_server import SmtpServer

    with SmtpServer(free_port()) as server:
        s = run(ws, name="c", smtp_url=server.url, now=MONDAY_10)
        assert [r.rcpt for r in server.recorder.received] == ["a@good.example"] and s.sent == 1


@pytest.mark.parametrize(("addr", "expected"), [
    ("info@acme.example", ["role"]), ("sales+eu@acme.example", ["role"]), ("jane@gmail.com", ["free-mail"]),
    ("contact@gmail.com", ["role", "free-mail"]), ("jane.doe@acme.example", []),
])
def test_flags(addr, expected):
    assert flags(addr) == expected


def test_doctor_reports_what_is_missing_and_how_to_fix_it(ws, dns):
    ws.config.smtp.url = "smtp://smtp.acme-tools.example:587"
    findings = {f.check: f for f in asyncio.run(doctor(ws))}
    assert findings["SPF"].ok and "ip4:192.0.2.0/24" in findings["SPF"].detail
    assert not findings["DKIM"].ok and "selector" in findings["DKIM"].fix
    assert findings["DMARC"].ok and "quarantine" in findings["DMARC"].detail
    assert findings["Alignment"].ok
    ws.config.smtp.url = "smtp://elsewhere.example:587"
    assert not {f.check: f for f in asyncio.run(doctor(ws))}["SPF"].ok
    ws.config.controller.sender_email = "sam@good.example"
    findings = {f.check: f for f in asyncio.run(doctor(ws))}
    assert not findings["SPF"].ok and not findings["DMARC"].ok and "v=DMARC1" in findings["DMARC"].fix


def test_dkim_signatures_verify_against_the_test_dns(ws, tmp_path, dns):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    (tmp_path / "dkim.pem").write_bytes(pem)
    pub = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    dns.zone.txt("cm1._domainkey.acme-tools.example", "v=DKIM1; k=rsa; p=" + base64.b64encode(pub).decode())
    ws.config.dkim.selector, ws.config.dkim.key_path = "cm1", str(tmp_path / "dkim.pem")
    ws.config.controller.unsubscribe_url = "https://acme-tools.example/u"
    _import(ws, tmp_path, ["jane@good.example"])
    raw = compose_for(ws, template="first_touch", email="jane@good.example").raw
    msg = email.message_from_bytes(raw, policy=policy.default)
    signed = msg["DKIM-Signature"].replace(" ", "").replace("\r\n", "")
    for header in ("from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post"):
        assert header in signed.split("h=")[1].split(";")[0].lower().split(":"), header

    import dns.resolver as dnsres

    res = dnsres.Resolver(configure=False)
    res.nameservers, res.port = ["127.0.0.1"], dns.port

    def dnsfunc(name, timeout=5):
        answer = res.resolve(name.decode().rstrip("."), "TXT")
        return b"".join(b"".join(r.strings) for r in answer)

    assert dkim.verify(raw, dnsfunc=dnsfunc)
    tampered = raw.replace(b"Subject: A question", b"Subject: B question")
    assert not dkim.verify(tampered, dnsfunc=dnsfunc)
    assert {f.check: f for f in asyncio.run(doctor(ws))}["DKIM"].ok


def test_bounce_guard_pauses_the_campaign(ws, tmp_path):
    open_all_hours(ws)
    emails = seed(ws, tmp_path, 40)
    campaigns.create(ws, name="c", list_name="l", template="first_touch")
    from smtp_server import Faults, SmtpServer

    bad = {e: "550 5.1.1 no such user" for e in emails[20:24]}
    with SmtpServer(free_port(), Faults(rcpt=bad)) as server:
        s = run(ws, name="c", smtp_url=server.url, now=MONDAY_10, connections=1)
    assert "bounce rate" in s.stopped
    view = campaigns.get(ws, "c")
    assert view.status == "paused" and "guard" in view.pause_reason
    assert s.sent < 40  # it stopped early rather than burning the domain
    assert check_guards(ws, view.id) is None  # already paused: nothing more to do
    assert suppression.check(ws, emails[20]).reason == "bounce"
