"""`coldmail serve` over real HTTP (uvicorn on 127.0.0.1): RFC 8058 one-click unsubscribe from the
link in a rendered email, a GET that never unsubscribes, the same 404 for every bad token, CSRF,
rate limits, security headers, and an erased person's page; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import threading
import time
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from coldmail.mail.rendering import compose_for
from coldmail.prospects.importing import import_csv
from coldmail.store.db import session_scope
from coldmail.store.models import AuditEntry
from coldmail.suppression import register, tokens
from coldmail.web.app import create_app
from conftest import free_port, write_csv

PUBLIC = "https://links.acme-tools.example"
HANA = "hana@freightly.example"
CLAIRE = "claire@transports.example"


@contextmanager
def running(ws, **limits):
    """A real uvicorn server for the workspace, on a free local port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ws, **limits), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def with_people(ws, tmp_path):
    f = write_csv(tmp_path / "p.csv", "email,first_name,last_name,company,role,country,source,source_url,justification\n"
                  f"{HANA},Hana,Example,Freightly,Head of Operations,GB,company website (team page),"
                  "https://freightly.example/team,Leads operations at a freight firm of our customers' size\n"
                  f"{CLAIRE},Claire,Martin,Transports Martin,Directrice des opérations,FR,site de l'entreprise,"
                  "https://transports.example/equipe,Dirige les opérations d'un transporteur\n")
    import_csv(ws, path=f, list_name="ops", purpose="route-planning software for freight firms", source_public=True)
    ws.config.controller.public_url = PUBLIC
    return ws


def local(url: str, base: str) -> str:
    """What the TLS proxy does: the public URL's path, asked of the local server."""
    assert url.startswith(PUBLIC + "/"), url
    return base + url[len(PUBLIC):]


def unsubscribe_url(ws, email: str) -> str:
    header = compose_for(ws, template="first_touch", email=email).as_email()["List-Unsubscribe"]
    return re.search(r"<(https://[^>]+)>", header).group(1)


def suppression_adds(ws) -> int:
    with session_scope(ws.engine, write=False) as s:
        return s.execute(select(func.count()).select_from(AuditEntry)
                         .where(AuditEntry.action == "suppression.add")).scalar()


def test_one_click_from_the_rendered_header(any_ws, tmp_path):
    ws = with_people(any_ws, tmp_path)
    msg = compose_for(ws, template="first_touch", email=HANA).as_email()
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(r"<(https://[^>]+)>", msg["List-Unsubscribe"]).group(1)
    assert "hana" not in link and "/u/" in link
    with running(ws) as base:
        before = suppression_adds(ws)
        got = httpx.get(local(link, base))  # a link scanner, or a person who clicked
        assert got.status_code == 200 and 'id="unsubscribe"' in got.text
        assert register.check(ws, HANA) is None, "a GET must never unsubscribe"
        r = httpx.post(local(link, base), content=b"List-Unsubscribe=One-Click",
                       headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 200
        assert register.check(ws, HANA) is not None
        assert suppression_adds(ws) == before + 1
        again = httpx.post(local(link, base), data={"List-Unsubscribe": "One-Click"})
        assert again.status_code == 200 and suppression_adds(ws) == before + 1  # idempotent
        assert register.check(ws, CLAIRE) is None  # only that contact


def test_one_click_then_the_cli_says_suppressed(ws, tmp_path, cli):
    from coldmail.store.config import save_config

    with_people(ws, tmp_path)
    save_config(ws.home, ws.config)
    link = unsubscribe_url(ws, HANA)
    with running(ws) as base:
        assert httpx.post(local(link, base), data={"List-Unsubscribe": "One-Click"}).status_code == 200
    out = cli("suppression", "check", HANA, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["suppressed"] is True


def test_a_post_without_the_one_click_body_changes_nothing(ws, tmp_path):
    link = unsubscribe_url(with_people(ws, tmp_path), HANA)
    with running(ws) as base:
        for body in ({}, {"List-Unsubscribe": "yes"}):
            assert httpx.post(local(link, base), data=body).status_code == 400
    assert register.check(ws, HANA) is None


def test_every_bad_token_gets_the_same_404(ws, tmp_path):
    link = unsubscribe_url(with_people(ws, tmp_path), HANA)
    token = link.rsplit("/", 1)[1]
    cid = tokens.read(ws.fingerprint_key, token)
    forged = token[:-1] + ("a" if token[-1] != "a" else "b")
    unknown = tokens.issue(b"another workspace's key", cid + 1000)
    with running(ws) as base:
        answers = []
        for bad in (forged, unknown, "nonsense", "1.aaaaaaaaaaaaaaaa", "%00", "x" * 500):
            for path in (f"/u/{bad}", f"/p/{bad}", f"/p/{bad}/erase"):
                r = httpx.get(base + path)
                answers.append((r.status_code, r.text))
            r = httpx.post(f"{base}/u/{bad}", data={"List-Unsubscribe": "One-Click"})
            answers.append((r.status_code, r.text))
        answers.append((httpx.get(base + "/nowhere").status_code, httpx.get(base + "/nowhere").text))
    assert set(answers) == {(404, "Not found\n")}
    assert register.check(ws, HANA) is None


def test_security_headers_and_no_third_party_assets(ws, tmp_path):
    link = unsubscribe_url(with_people(ws, tmp_path), HANA)
    page = link.replace("/u/", "/p/")
    with running(ws) as base:
        for r in (httpx.get(local(page, base)), httpx.get(base + "/p/forged"), httpx.get(local(link, base))):
            assert "default-src 'self'" in r.headers["content-security-policy"]
            assert r.headers["referrer-policy"] == "no-referrer"
            assert r.headers["x-frame-options"] == "DENY"
        body = httpx.get(local(page, base)).text
    # Assets (stylesheets, scripts, images, fonts) come from this server only; links to, say, the
    # supervisory authority are plain navigation, sent with no referrer.
    assert not re.search(r'src="(https?:)?//', body) and not re.search(r'<link[^>]+href="(https?:)?//', body)
    assert all("noreferrer" in a for a in re.findall(r'<a [^>]*href="https?://[^>]*>', body))
    assert "<script" not in body


def test_forms_need_the_csrf_token_and_cookie(ws, tmp_path):
    link = unsubscribe_url(with_people(ws, tmp_path), HANA)
    page = local(link.replace("/u/", "/p/"), "")
    with running(ws) as base:
        assert httpx.post(base + page + "/stop", data={}).status_code == 403
        assert httpx.post(base + page + "/erase", data={"csrf": "0" * 40}).status_code == 403
        with httpx.Client(base_url=base) as browser:
            html = browser.get(page).text
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)
            other_site = browser.post(page + "/stop", data={"csrf": csrf}, headers={"origin": "https://evil.example"})
            assert other_site.status_code == 403
            assert register.check(ws, HANA) is None
            # Another contact's form token does not work for this one.
            claire = local(unsubscribe_url(ws, CLAIRE).replace("/u/", "/p/"), "")
            assert browser.post(claire + "/stop", data={"csrf": csrf}).status_code == 403
            assert browser.post(page + "/stop", data={"csrf": csrf}).status_code == 200
    assert register.check(ws, HANA) is not None
    assert register.check(ws, CLAIRE) is None


def test_rate_limits_per_token_and_per_address(ws, tmp_path):
    link = unsubscribe_url(with_people(ws, tmp_path), HANA)
    with running(ws, per_ip=8, per_token=3) as base:
        codes = [httpx.get(local(link, base)).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        other = local(unsubscribe_url(ws, CLAIRE), base)
        codes = [httpx.get(other).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and 429 in codes  # the address's budget runs out too


def test_an_erased_persons_page_says_only_suppressed(ws, tmp_path):
    from coldmail.privacy.erasure import erase

    link = unsubscribe_url(with_people(ws, tmp_path), HANA)
    erase(ws, HANA)
    with running(ws) as base:
        for url in (link.replace("/u/", "/p/"), link):
            r = httpx.get(local(url, base))
            assert r.status_code == 200
            for held in ("hana", "Hana", "Freightly", "freightly", "team page", "Leads operations"):
                assert held not in r.text
        assert "suppressed" in httpx.get(local(link.replace("/u/", "/p/"), base)).text
        assert httpx.post(local(link, base), data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert register.check(ws, HANA) is not None


def test_init_public_url_must_be_https(cli, home):
    from conftest import IDENTITY

    args = [f"--{k.replace('_', '-')}={v}" for k, v in IDENTITY.items()]
    bad = cli("init", *args, "--public-url", "http://links.acme-tools.example")
    assert bad.returncode == 2 and "https" in bad.stderr
    good = cli("init", *args, "--public-url", "https://links.acme-tools.example/", "--collected-by", "the sales team",
               "--json")
    assert good.returncode == 0, good.stderr
    data = json.loads(good.stdout)
    assert data["public_url"] == "https://links.acme-tools.example" and data["collected_by"] == "the sales team"


@pytest.mark.parametrize("path", ["/u/", "/p/"])
def test_links_in_the_email_body_point_at_the_server(ws, tmp_path, path):
    with_people(ws, tmp_path)
    text = compose_for(ws, template="first_touch", email=HANA).as_email().get_body(("plain",)).get_content()
    assert PUBLIC + path in text
