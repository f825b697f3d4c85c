"""The terminal UI, driven by Textual's pilot: each screen's main flow, at 80x24."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coldmail.contacts.views import show_contact
from coldmail.outreach import campaigns
from coldmail.privacy.requests import list_requests
from coldmail.replies.review import list_replies
from coldmail.suppression import register as suppression
from coldmail.tui.app import ColdmailApp
from coldmail.tui.modals.text_modal import TextModal

SIZE = (80, 24)


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    from coldmail.demo import build

    ws, _result = build(tmp_path_factory.mktemp("demo") / "ws")
    ws.close()
    return ws.home


@pytest.fixture
def demo_ws(demo_home, tmp_path):
    """A private copy of the demo workspace per test."""
    import shutil

    from coldmail.store.workspace import open_workspace

    home = tmp_path / "ws"
    shutil.copytree(demo_home, home)
    ws = open_workspace(home)
    yield ws
    ws.close()


async def settle(pilot, times: int = 3):
    """Let thread workers finish and their messages land (no timing is asserted).

    Idle means no worker running at three looks in a row: a worker's message may start the next one
    (rows, then the highlighted row's detail), and the machine may be busy."""
    idle = 0
    for _ in range(times * 10):
        await pilot.pause(0.1)
        idle = 0 if any(w.is_running for w in pilot.app.workers) else idle + 1
        if idle == 3:
            break
    await pilot.pause(0.1)


async def leave_out_campaign_variables(pilot) -> list[str]:
    """A new campaign asks for the variables its templates use; Escape leaves an optional one out.
    Returns the prompts' titles (bounded: a template uses a few)."""
    from coldmail.tui.modals.prompt_modal import PromptModal

    titles = []
    for _ in range(10):
        screen = pilot.app.screen
        if not (isinstance(screen, PromptModal) and "Campaign variable" in screen.title_text):
            break
        titles.append(screen.title_text)
        await pilot.press("escape")
        await settle(pilot, 1)
    await settle(pilot)
    return titles


async def test_every_area_opens_from_its_key(demo_ws):
    app = ColdmailApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        names = []
        for key in "123456789":
            await pilot.press(key)
            await settle(pilot, 1)
            names.append(type(app.screen).__name__)
        assert names == ["DashboardScreen", "ContactsScreen", "ListsScreen", "CampaignsScreen", "InboxScreen",
                         "SuppressionScreen", "RequestsScreen", "TemplatesScreen", "ImportScreen"]


async def test_open_a_contact_and_answer_where(demo_ws):
    app = ColdmailApp(demo_ws, mode="contacts")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)
        detail = str(app.screen.query_one("#contact-detail").render())
        assert "Provenance" in detail and "Justification" in detail and "referral from Dana Cohen" in detail
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, TextModal)
        assert "Where did you get my data" in app.screen.title_text
        assert "referral from Dana Cohen" in app.screen.text


async def test_search_finds_one_address(demo_ws):
    app = ColdmailApp(demo_ws, mode="contacts")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"ethan", "enter")
        await settle(pilot)
        table = app.screen.query_one("#contacts-table")
        assert table.row_count == 1 and "ethan.brooks" in str(table.get_row_at(0)[0])


async def test_a_search_without_matches_says_so_and_forgets_the_contact_shown(demo_ws):
    app = ColdmailApp(demo_ws, mode="contacts")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)
        assert app.screen.current is not None
        await pilot.press("slash", *"nobody@nowhere.example", "enter")
        await settle(pilot)
        assert app.screen.query_one("#contacts-table").row_count == 0
        detail = str(app.screen.query_one("#contact-detail").render())
        assert "No contact matches this search" in detail and "No contacts yet" not in detail
        assert app.screen.current is None


async def test_suppress_from_the_contacts_screen(demo_ws):
    app = ColdmailApp(demo_ws, mode="contacts")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")  # first row: Hana
        await settle(pilot, 1)
        await pilot.press(*"asked by phone", "enter")
        await settle(pilot)
    assert suppression.check(demo_ws, "hana.quartermain@freightly.example").reason == "asked by phone"
    assert show_contact(demo_ws, "hana.quartermain@freightly.example").suppressed


async def test_campaign_dry_run_writes_files_and_changes_nothing(demo_ws):
    campaigns.create(demo_ws, name="spring", list_name="freight-ops", template="first_touch")
    app = ColdmailApp(demo_ws, mode="campaigns")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("DataTable")
        while table.get_row_at(table.cursor_row)[0] != "spring":
            await pilot.press("down")
        await pilot.press("y")
        await settle(pilot, 6)
        messages = [n.message for n in app._notifications]
        detail = str(app.screen.query_one(".detail").render())
    assert any("written to" in m for m in messages), messages
    # The notification stays short at 80x24; the whole summary (the country rules' checks) is in the pane.
    assert all(len(m) < 300 for m in messages), messages
    assert "Last run here" in detail and "check: GB:" in detail, detail
    files = list((demo_ws.home / "dry-run" / "spring").glob("*.eml"))
    assert files and not any("noa.levi" in f.name for f in files)  # suppressed by her Hebrew "no thanks"
    assert campaigns.get(demo_ws, "spring").counts == {}


async def test_confirm_a_review_item(demo_ws, tmp_path):
    from email.message import EmailMessage

    from coldmail.replies.ingest import import_paths

    msg = EmailMessage()
    msg["From"] = "claire.martin@transports-martin.example"
    msg["Subject"] = "Re: hello"
    msg["Message-ID"] = "<long-1@client.example>"
    # a data request said once, in an aside of a long reply: a person looks (a refusal would be acted on)
    msg.set_content(("Merci pour votre message. " * 40) + "Au fait, supprimez mes données personnelles de vos "
                    "fichiers. " + ("Bonne journée. " * 30))
    (tmp_path / "r.eml").write_bytes(msg.as_bytes())
    [r] = import_paths(demo_ws, [tmp_path / "r.eml"])
    assert r.status == "review"
    app = ColdmailApp(demo_ws, mode="inbox")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("DataTable")
        status = [str(c.label) for c in table.ordered_columns].index("Status")
        rows = [str(table.get_row_at(i)[status]) for i in range(table.row_count)]
        assert any("REVIEW" in r for r in rows), rows  # a bounded search: never loop forever
        for _ in range(next(i for i, r in enumerate(rows) if "REVIEW" in r)):
            await pilot.press("down")
        await pilot.press("c")
        await settle(pilot)
    assert not list_replies(demo_ws, status="review")
    assert suppression.check(demo_ws, "claire.martin@transports-martin.example") is not None  # erasure: no more mail
    from coldmail.privacy.requests import list_requests

    assert any(r["kind"] == "erasure" for r in list_requests(demo_ws, only_open=True))


async def test_import_a_csv_from_the_import_screen(demo_ws, tmp_path, monkeypatch):
    csv = tmp_path / "new.csv"
    csv.write_text("E-mail,First Name,Phone\nzoe@newco.example,Zoë,+1 555\nbad,Bob,\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    app = ColdmailApp(demo_ws, mode="import")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.path = csv
        screen._load_preview(csv)
        await settle(pilot)
        preview = str(screen.query_one("#imp-preview").render())
        assert "Phone" in preview and "not stored" in preview
        screen.query_one("#imp-list").value = "newco"
        screen.query_one("#imp-source").value = "company website"
        screen.query_one("#imp-just").value = "head of ops"
        await pilot.click("#imp-go")
        await settle(pilot, 5)
        result = str(screen.query_one("#imp-preview").render())
    assert "1 imported" in result and "line 3" in result
    assert show_contact(demo_ws, "zoe@newco.example").source == "company website"


async def test_requests_where_and_mark_answered(demo_ws):
    app = ColdmailApp(demo_ws, mode="requests")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, TextModal) and "trade show attendee list" in app.screen.text
        await pilot.press("escape")
        await pilot.press("m")
        await settle(pilot)
    assert [r["status"] for r in list_requests(demo_ws)] == ["answered"]


async def test_errors_are_notifications_not_tracebacks(demo_ws):
    app = ColdmailApp(demo_ws, mode="suppression")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a", *"not-an-address", "enter", *"test", "enter")
        await settle(pilot)
        assert any(n.title == "Error" and "@-sign" in n.message for n in app._notifications)


def _pin_dates(ws):
    """Snapshots must not change with the calendar: pin the one date the lists screen shows."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from coldmail.store.db import session_scope
    from coldmail.store.models import ProspectList

    with session_scope(ws.engine) as s:
        s.execute(update(ProspectList).values(lia_recorded_at=datetime(2026, 1, 15, tzinfo=UTC), lia_recorded_by="sam"))


def test_lists_screen_snapshot(demo_ws, snap_compare):
    _pin_dates(demo_ws)
    assert snap_compare(ColdmailApp(demo_ws, mode="lists"), terminal_size=SIZE,
                        run_before=lambda pilot: settle(pilot))


def test_help_snapshot(demo_ws, snap_compare):
    _pin_dates(demo_ws)
    async def open_help(pilot):
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(ColdmailApp(demo_ws, mode="lists"), terminal_size=SIZE, run_before=open_help)


async def test_filters_and_timeline(demo_ws):
    app = ColdmailApp(demo_ws, mode="contacts")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"status:suppressed", "enter")
        await settle(pilot)
        table = app.screen.query_one("#contacts-table")
        rows = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert rows == {"noa.levi@shipfast.example", "olivia.smith@gone-logistics.example"}
        await pilot.press("down", "up")
        await settle(pilot)
        detail = str(app.screen.query_one("#contact-detail").render())
        assert "Timeline" in detail and "sent freight-q4 step 1" in detail and "reply:" in detail


async def test_create_a_campaign_and_export_a_request(demo_ws):
    app = ColdmailApp(demo_ws, mode="campaigns")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", *"winter", "enter")
        await settle(pilot, 1)
        await pilot.press("enter")  # the suggested list
        await settle(pilot, 1)
        await pilot.press("enter")  # the suggested steps
        await settle(pilot)
        assert await leave_out_campaign_variables(pilot) == [  # the shipped templates' optional ones
            "Campaign variable topic (optional: Escape skips it)",
            "Campaign variable value_proposition (optional: Escape skips it)"]
        await pilot.press("7")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
    assert [s.template for s in campaigns.get(demo_ws, "winter").steps] == ["first_touch", "follow_up_1", "follow_up_2"]
    assert (demo_ws.home / "exports" / "ethan.brooks@midwest-freight.example.json").exists()


async def test_a_campaign_on_a_list_without_assessment_is_flagged(demo_ws, tmp_path):
    from coldmail.prospects.importing import import_csv
    from conftest import write_csv

    csv = write_csv(tmp_path / "fair.csv", "email,first_name,country\nzoe@fairco.example,Zoe,GB\n"
                                           "max@fairco-de.example,Max,DE\n")
    import_csv(demo_ws, path=csv, list_name="fair", source="event attendee list", justification="met at the fair")
    app = ColdmailApp(demo_ws, mode="campaigns")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        detail = str(app.screen.query_one(".detail").render())
        assert "List: freight-ops — legitimate-interests assessment complete" in detail  # the demo's has one
        await pilot.press("n", *"autumn", "enter")
        await settle(pilot, 1)
        app.screen.query_one("Input").value = "fair"
        await pilot.press("enter")
        await settle(pilot, 1)
        await pilot.press("enter")  # the suggested steps
        await settle(pilot)
        await leave_out_campaign_variables(pilot)
        messages = [n.message for n in app._notifications]
        assert any("'fair' has no complete legitimate-interests assessment (missing: interest, necessity, "
                   "balancing): record it on the Lists screen (3)" in m for m in messages), messages
        table = app.screen.query_one("DataTable")
        table.move_cursor(row=[table.get_row_at(i)[0] for i in range(table.row_count)].index("autumn"))
        await settle(pilot)
        detail = str(app.screen.query_one(".detail").render())
        assert ("List: fair — legitimate-interests assessment incomplete (missing: interest, necessity, "
                "balancing)") in detail
        app.clear_notifications()
        await pilot.press("y")  # a dry run says it too
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("'fair' has no complete legitimate-interests assessment" in m for m in messages), messages
        # Max, in Germany, needs consent that was not recorded; the summary says so.
        assert any("1 written to" in m and "1 blocked by country rules" in m for m in messages), messages
    assert campaigns.get(demo_ws, "autumn").list_name == "fair"


def test_a_million_contacts_first_page_and_search(tmp_path):
    """1,000,000 contacts: the first page shows and a search finds one address (timing: bench_scale.py)."""
    import asyncio
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    from _common import workspace, write_prospects

    from coldmail.prospects.importing import import_csv

    ws = workspace(tmp_path / "big")
    import_csv(ws, path=write_prospects(tmp_path / "big.csv", 1_000_000), list_name="big")
    probe = "p765432@company65432.example"

    async def drive():
        app = ColdmailApp(ws, mode="contacts")
        async with app.run_test(size=SIZE) as pilot:
            table = app.screen.query_one("#contacts-table")
            for _ in range(200):
                if table.row_count:
                    break
                await pilot.pause(0.05)
            assert 0 < table.row_count <= 100  # one page, never the whole table
            await pilot.press("slash", *probe, "enter")
            for _ in range(200):
                if table.row_count == 1 and str(table.get_row_at(0)[0]) == probe:
                    break
                await pilot.pause(0.05)
            assert table.row_count == 1 and str(table.get_row_at(0)[0]) == probe

    asyncio.run(drive())
    ws.close()


async def test_reports_from_the_command_palette(demo_ws):
    app = ColdmailApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app._report("Privacy: record of processing (Art. 30)", "records")
        await settle(pilot)
        assert isinstance(app.screen, TextModal) and "Art. 30" in app.screen.text
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Deliverability: doctor (SPF, DKIM, DMARC)" in titles
        assert "Contacts: where did you get my data?" in titles


async def test_the_verify_report_names_the_flagged_addresses(demo_ws, monkeypatch):
    """As `coldmail verify` does: not only "Flags: role 1" but which address (the DNS is not asked here)."""
    from coldmail.deliverability import checks

    async def verify(ws, **_kwargs):
        return checks.VerifyResult(contacts=3, domains=2, looked_up=2, by_status={"ok": 2, "undeliverable": 1},
                                   flagged={"role": 1, "free-mail": 1}, undeliverable=["ann@gone.example"],
                                   flagged_addresses={"role": ["info@good.example"], "free-mail": ["bo@gmail.com"]})

    monkeypatch.setattr(checks, "verify", verify)
    app = ColdmailApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app._report("Deliverability: verify domains (MX)", "verify")
        await settle(pilot)
        assert isinstance(app.screen, TextModal)
        text = app.screen.text
        assert "Flags: free-mail 1, role 1" in text
        assert "role:\n  info@good.example" in text and "free-mail:\n  bo@gmail.com" in text
        assert "Undeliverable:\n  ann@gone.example" in text


async def test_escape_closes_the_where_answer_at_once(demo_ws):
    app = ColdmailApp(demo_ws, mode="contacts")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, TextModal)
        await pilot.press("escape")
        await settle(pilot, 1)
        assert type(app.screen).__name__ == "ContactsScreen"


async def test_escape_leaves_a_text_field_so_area_keys_work_again(demo_ws):
    app = ColdmailApp(demo_ws, mode="templates")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        field = app.screen.query_one("Input")
        field.focus()
        await pilot.press("5")
        assert type(app.screen).__name__ == "TemplatesScreen" and field.value.endswith("5")  # typed, not a key
        await pilot.press("escape", "5")
        await settle(pilot, 1)
        assert type(app.screen).__name__ == "InboxScreen"


async def test_answering_an_erasure_request_in_the_tui_erases(demo_ws):
    """The one answer path: `m` on an erasure request erases the person and keeps them suppressed;
    it cannot close the request and leave the data (GDPR Art. 17). It asks first, as the CLI does."""
    from sqlalchemy import select

    from coldmail.privacy.requests import open_request_cmd
    from coldmail.store import db
    from coldmail.store.models import Contact, DataRequest
    from coldmail.tui.modals.confirm_modal import ConfirmModal

    email = "liam.byrne@atlantic-haulage.example"
    assert show_contact(demo_ws, email) is not None
    opened = open_request_cmd(demo_ws, email=email, kind="erasure")
    app = ColdmailApp(demo_ws, mode="requests")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("DataTable")
        keys = [row.value for row in table.rows]
        for _ in range(keys.index(str(opened["id"]))):
            await pilot.press("down")
        await settle(pilot)
        detail = str(app.screen.query_one(".detail").render())
        assert "m answers: erases this person's data and keeps them suppressed" in detail  # said before it is done
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)  # it cannot be undone: asked first
        await pilot.press("n")
        await settle(pilot)
        assert show_contact(demo_ws, email) is not None  # "no" keeps everything
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("enter")  # the focused button is Cancel: Enter on a reflex erases nothing
        await settle(pilot)
        assert show_contact(demo_ws, email) is not None
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
    with db.session_scope(demo_ws.engine, write=False) as session:
        req = session.get(DataRequest, opened["id"])
        assert req.status == "answered" and req.email is None
        assert session.execute(select(Contact.id).where(Contact.email == email)).first() is None
    assert show_contact(demo_ws, email) is None
    assert suppression.check(demo_ws, email) is not None


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"))))
def test_user_text_shows_as_typed_through_either_markup_parser(text):
    """Textual's parser (details, labels) and Rich's (table cells) each get text escaped their way."""
    from rich.text import Text
    from textual.content import Content

    from coldmail.tui.markup import escape_cell, escape_text

    assert Content.from_markup(f"[b]a[/b] {escape_text(text)} [red]z[/red]").plain == f"a {text} z"
    assert Text.from_markup(f"[b]a[/b] {escape_cell(text)}").plain in (f"a {text}", f"a {text}\\")


async def test_brackets_in_what_users_type_do_not_break_the_screens(demo_ws):
    """A lone "[" in a list's purpose once raised MarkupError when the detail pane rendered it."""
    from rich.text import Text

    from coldmail.prospects.lists import update_list

    update_list(demo_ws, name="freight-ops", purpose="ops leads [EU, [/b] and C:\\[x]")
    app = ColdmailApp(demo_ws, mode="lists")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        detail = str(app.screen.query_one(".detail").render())
        assert "ops leads [EU, [/b] and C:\\[x]" in detail
        cell = app.screen.query_one("DataTable").get_row_at(0)[3]  # markup, read by Rich when drawn
        assert Text.from_markup(cell).plain == "ops leads [EU, [/b] and C:\\[x]"


async def test_override_a_review_item_as_a_request_of_a_named_kind(demo_ws, tmp_path):
    """The Inbox's override takes a request's kind as its Kind column writes it ("data_request/access"): a
    bare "data_request" had opened a source request whatever the reply asked, and no other could be chosen."""
    from email.message import EmailMessage

    from coldmail.errors import BadInput
    from coldmail.privacy.requests import list_requests
    from coldmail.replies.ingest import import_paths
    from coldmail.replies.review import resolve

    msg = EmailMessage()
    msg["From"] = "claire.martin@transports-martin.example"
    msg["Subject"] = "Re: hello"
    msg["Message-ID"] = "<long-2@client.example>"
    msg.set_content(("Merci pour votre message. " * 40) + "Au fait, supprimez mes données personnelles de vos "
                    "fichiers. " + ("Bonne journée. " * 30))
    (tmp_path / "r.eml").write_bytes(msg.as_bytes())
    [r] = import_paths(demo_ws, [tmp_path / "r.eml"])
    assert r.status == "review"
    [item] = list_replies(demo_ws, status="review")
    with pytest.raises(BadInput):  # a request kind goes with data_request only, and must be one
        resolve(demo_ws, item.id, as_kind="opt_out", request="access")
    with pytest.raises(BadInput):
        resolve(demo_ws, item.id, as_kind="data_request", request="everything")
    app = ColdmailApp(demo_ws, mode="inbox")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("DataTable")
        status = [str(c.label) for c in table.ordered_columns].index("Status")
        rows = [str(table.get_row_at(i)[status]) for i in range(table.row_count)]
        for _ in range(next(i for i, r in enumerate(rows) if "REVIEW" in r)):
            await pilot.press("down")
        await pilot.press("o")
        await settle(pilot, 1)
        await pilot.press(*"data_request/access", "enter")
        await settle(pilot)
    assert not list_replies(demo_ws, status="review")
    opened = [r["kind"] for r in list_requests(demo_ws, only_open=True)]
    assert "access" in opened and "erasure" not in opened
    assert suppression.check(demo_ws, "claire.martin@transports-martin.example") is None  # access suppresses no one
