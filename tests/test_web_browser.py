"""The recipient's page in a real browser (headless Chromium, driven by Playwright with the system's
/usr/bin/chromium): opened from the link in a rendered email, it shows the source and the
justification; each button works and the database says so; a GET never unsubscribes; a forged
token gets a 404. Also saves docs/screenshots/recipient-page.png for the README."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from coldmail.contacts.views import show_contact
from coldmail.mail.rendering import compose_for
from coldmail.suppression import register
from test_web import CLAIRE, HANA, local, running, with_people

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run must install it (apt: chromium)")
        pytest.skip("chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, locale="en-GB")
    yield context.new_page()
    context.close()


def page_link(ws, email: str) -> str:
    """The recipient's page link as it appears in the email's text."""
    text = compose_for(ws, template="first_touch", email=email).as_email().get_body(("plain",)).get_content()
    return re.search(r"https://\S+/p/\S+", text).group(0)


def test_the_page_shows_source_and_justification_then_stop(ws, tmp_path, page):
    with_people(ws, tmp_path)
    with running(ws) as base:
        response = page.goto(local(page_link(ws, HANA), base))
        assert response.status == 200
        assert "Leads operations at a freight firm" in page.inner_text("#justification")
        assert page.inner_text("#source-name") == "company website (team page)"
        assert page.inner_text("#source-url") == "https://freightly.example/team"
        assert "publicly accessible" in page.inner_text("#source")
        held = page.inner_text("#held")
        for value in (HANA, "Hana", "Freightly", "Head of Operations"):
            assert value in held
        assert "route-planning software" in page.inner_text("#purposes")
        assert "24 months" in page.inner_text("#retention")
        assert "object" in page.inner_text("#rights") and "Information Commissioner" in page.inner_text("#rights")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "recipient-page.png"), full_page=True)
        assert register.check(ws, HANA) is None  # looking is not objecting
        page.click("#stop")
        assert "will not write to you again" in page.inner_text("#stopped")
        assert register.check(ws, HANA) is not None
        assert show_contact(ws, HANA).suppressed
        assert register.check(ws, CLAIRE) is None


def test_send_me_a_copy_downloads_the_art15_export(ws, tmp_path, page):
    with_people(ws, tmp_path)
    with running(ws) as base:
        page.goto(local(page_link(ws, HANA), base))
        with page.expect_download() as info:
            page.click("#copy")
        download = info.value
        data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert download.suggested_filename == "my-data.json"
    assert data["email"] == HANA and data["contact"]["source"] == "company website (team page)"
    assert register.check(ws, HANA) is None


def test_erase_asks_first_then_erases_keeping_the_fingerprint(ws, tmp_path, page):
    with_people(ws, tmp_path)
    with running(ws) as base:
        url = local(page_link(ws, HANA), base)
        page.goto(url)
        page.click("#erase")
        assert "/erase" in page.url and show_contact(ws, HANA) is not None  # only the question so far
        page.click("#erase-cancel")
        assert show_contact(ws, HANA) is not None
        page.click("#erase")
        page.click("#erase-confirm")
        assert page.inner_text("#erased")
        assert show_contact(ws, HANA) is None
        assert register.check(ws, HANA) is not None  # the fingerprint stays: never written to again
        page.goto(url)  # the same link now shows nothing but that
        assert page.inner_text("#suppressed") and "Freightly" not in page.content()
        page.screenshot(path=str(SCREENSHOTS / "recipient-page-erased.png"))


def test_the_unsubscribe_link_in_a_browser_needs_the_button(ws, tmp_path, page):
    with_people(ws, tmp_path)
    link = re.search(r"<(https://[^>]+)>", compose_for(ws, template="first_touch", email=HANA)
                     .as_email()["List-Unsubscribe"]).group(1)
    with running(ws) as base:
        for _ in range(2):
            page.goto(local(link, base))
            assert page.is_visible("#unsubscribe")
        assert register.check(ws, HANA) is None, "opening the link never unsubscribes"
        page.click("#unsubscribe")
        assert page.is_visible("#unsubscribed")
    assert register.check(ws, HANA) is not None


def test_a_forged_token_gets_404(ws, tmp_path, page):
    with_people(ws, tmp_path)
    link = page_link(ws, HANA)
    forged = link[:-2] + ("aa" if not link.endswith("aa") else "bb")
    with running(ws) as base:
        response = page.goto(local(forged, base))
        assert response.status == 404
        assert "Hana" not in page.content() and "Freightly" not in page.content()


def test_the_page_speaks_the_contacts_language(ws, tmp_path, page):
    with_people(ws, tmp_path)
    with running(ws) as base:
        page.goto(local(page_link(ws, CLAIRE), base))
        assert page.get_attribute("html", "lang") == "fr"
        assert "Dirige les opérations" in page.inner_text("#justification")
