"""The TUI at 80x24 (and 120x36): help scrolls, essential columns and footer keys stay in view, text
fields can be left, idle progress bars stay still, and the palette and the templates screen work."""

from __future__ import annotations

import threading

import pytest

import test_tui
from coldmail.tui.app import ColdmailApp
from test_tui import SIZE, settle

demo_home, demo_ws = test_tui.demo_home, test_tui.demo_ws  # the demo workspace fixtures, shared

ETHAN = "ethan.brooks@midwest-freight.example"


@pytest.mark.parametrize("size", [SIZE, (120, 36)])
async def test_help_scrolls_and_nothing_is_cut(demo_ws, size):
    from textual.containers import VerticalScroll

    from coldmail.tui.modals.help_modal import HelpModal

    app = ColdmailApp(demo_ws, mode="lists")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot, 1)
        assert isinstance(app.screen, HelpModal)
        scroll = app.screen.query_one("#help-scroll", VerticalScroll)
        box = app.screen.query_one("#help-box")
        assert box.region.right <= size[0] and box.region.bottom <= size[1]  # the box fits the terminal
        assert scroll.max_scroll_x == 0  # no line runs off to the right
        if size == SIZE:
            assert scroll.max_scroll_y > 0  # more than a screenful at 80x24: it has to scroll
            await pilot.press("pagedown")
            await pilot.pause(0.5)
            assert scroll.scroll_y > 0
            await pilot.press("home", "j")
            await pilot.pause(0.5)
            assert scroll.scroll_y == 1
            await pilot.press("down")
            await pilot.pause(0.5)
            assert scroll.scroll_y == 2
        await pilot.press("end")
        await pilot.pause(0.5)
        assert scroll.scroll_y == scroll.max_scroll_y
        # The last row is inside the visible window after End; the rows for ctrl+p, ? / F1 and q
        # (at the top) were among those cut off before.
        text = str(app.screen.query_one("#help-text").render())
        assert all(k in text for k in ("ctrl+p", "? / F1", "quit", "ctrl+o"))
        visible_top = scroll.scroll_y
        height = scroll.scrollable_content_region.height
        content = app.screen.query_one("#help-text")
        assert content.virtual_region.height - visible_top <= height  # the end is in view
        await pilot.press("escape")
        await settle(pilot, 1)
        assert type(app.screen).__name__ == "ListsScreen"


def _column_ends(table) -> dict[str, int]:
    """Each column's right edge, in cells from the table's left edge."""
    ends, x = {}, 0
    for column in table.ordered_columns:
        x += column.get_render_width(table)
        ends[str(column.label)] = x
    return ends


ESSENTIAL = {
    "dashboard": ("Campaign", "Status", "Sent", "Queued", "Replied", "Opt-out", "Bounce", "Complaint"),
    "contacts": ("Email", "Company", "Status"),
    "lists": ("List", "Contacts", "LIA"),
    "campaigns": ("Campaign", "Status"),
    "inbox": ("#", "Kind", "Status", "From"),
    "suppression": ("Address or domain", "Reason"),
    "requests": ("#", "Kind", "Email", "Status", "Due"),
}


@pytest.mark.parametrize("mode", list(ESSENTIAL))
async def test_the_essential_columns_are_in_view_at_80_columns(demo_ws, mode):
    from textual.widgets import DataTable

    from coldmail.privacy.requests import open_request_cmd

    open_request_cmd(demo_ws, email=ETHAN, kind="rectification")  # the longest kind, a long address
    app = ColdmailApp(demo_ws, mode=mode)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count > 0
        width = table.scrollable_content_region.width
        ends = _column_ends(table)
        for name in ESSENTIAL[mode]:
            assert ends[name] <= width, (mode, name, ends, width)
        for column in table.ordered_columns:  # no cell is cut inside its column (the email was)
            widest = max(len(str(table.get_cell(row, column.key))) for row in table.rows)
            if str(column.label) in ESSENTIAL[mode] and column.content_width:
                assert column.content_width >= min(widest, column.content_width)
        if mode == "requests":
            assert any(ETHAN in str(cell) for row in table.rows for cell in table.get_row(row))


@pytest.mark.parametrize("mode", ["dashboard", "contacts", "lists", "campaigns", "inbox", "suppression",
                                  "requests", "templates", "import"])
async def test_every_footer_key_fits_at_80_columns(demo_ws, mode):
    from textual.widgets._footer import FooterKey

    app = ColdmailApp(demo_ws, mode=mode)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        keys = [k for k in app.screen.query(FooterKey) if k.display]
        assert keys
        spans = sorted((k.region.x, k.region.right, k.description) for k in keys)
        for _x, right, description in spans:
            assert right <= SIZE[0], (mode, description, spans)
        for (_, right, a), (x, _, b) in zip(spans, spans[1:], strict=False):
            assert right <= x, (mode, a, b)  # none drawn over the next ("b LIA: bal" under the palette key)
        for k in keys:  # each shows its key and its whole description
            assert k.region.width >= len(k.description) + 1, (mode, k.description, k.region)


async def test_a_focused_field_says_how_to_leave_it_and_keeps_what_was_typed(demo_ws):
    from textual.widgets import Input
    from textual.widgets._footer import FooterKey

    app = ColdmailApp(demo_ws, mode="import")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = lambda: {k.description for k in app.screen.query(FooterKey)}  # noqa: E731
        assert "Leave field" not in shown()  # nothing to leave
        field = app.screen.query_one("#imp-list", Input)
        field.focus()
        await pilot.press(*"freight-ops")
        await settle(pilot, 1)
        assert "Leave field" in shown()  # the footer says how out (the digits go into the field)
        await pilot.press("escape", "4")
        await settle(pilot, 1)
        assert type(app.screen).__name__ == "CampaignsScreen"
        await pilot.press("9")
        await settle(pilot, 1)
        assert app.screen.query_one("#imp-list", Input).value == "freight-ops"  # not "freight-ops4"


async def test_a_table_screens_search_field_says_how_to_leave_it(demo_ws):
    from textual.widgets import DataTable
    from textual.widgets._footer import FooterKey

    app = ColdmailApp(demo_ws, mode="suppression")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot, 1)
        assert "Leave field" in {k.description for k in app.screen.query(FooterKey)}
        await pilot.press("escape")
        await settle(pilot, 1)
        assert isinstance(app.focused, DataTable)
        assert "Leave field" not in {k.description for k in app.screen.query(FooterKey)}


async def test_the_import_progress_bar_is_still_until_an_import_runs(demo_ws, tmp_path, monkeypatch):
    from textual.widgets import Input, ProgressBar

    csv = tmp_path / "people.csv"
    csv.write_text("email,first_name,company,country\nzoe@newco.example,Zoe,NewCo,GB\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    app = ColdmailApp(demo_ws, mode="import")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#imp-progress", ProgressBar)
        assert not bar.display and bar.total is None  # an idle bar is not drawn, so nothing animates
        screen = app.screen
        screen.path = csv
        screen.query_one("#imp-list", Input).value = "newco"
        screen.query_one("#imp-source", Input).value = "company website"
        screen.query_one("#imp-just", Input).value = "ops leads"
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert bar.display and bar.percentage == 1.0


async def test_the_campaigns_progress_bar_is_hidden_until_a_send_runs(demo_ws):
    from textual.widgets import ProgressBar

    app = ColdmailApp(demo_ws, mode="campaigns")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#send-progress", ProgressBar)
        assert not bar.display  # idle: not drawn, nothing animates
        await pilot.press("y")  # a dry run of the selected campaign
        await settle(pilot, 6)
        assert bar.display


async def test_the_palette_has_campaigns_new(demo_ws):
    from coldmail.tui.modals.prompt_modal import PromptModal

    app = ColdmailApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Campaigns: new" in commands
        commands["Campaigns: new"].callback()
        await settle(pilot)
        assert isinstance(app.screen, PromptModal) and "New campaign" in app.screen.title_text


async def test_templates_are_listed_off_the_ui_thread_and_lines_wrap(demo_ws, monkeypatch):
    from textual.containers import VerticalScroll
    from textual.widgets import Input, Select

    from coldmail.mail import rendering

    threads = []
    real = rendering.template_names
    monkeypatch.setattr(rendering, "template_names",
                        lambda *a, **k: threads.append(threading.current_thread()) or real(*a, **k))
    app = ColdmailApp(demo_ws, mode="templates")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert threads and all(t is not threading.main_thread() for t in threads)
        assert app.screen.query_one("#tpl", Select).value == "first_touch"
        app.screen.query_one("#tpl-to", Input).value = ETHAN
        app.screen.query_one("#tpl-to", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        box = app.screen.query_one("#tpl-preview-box", VerticalScroll)
        preview = app.screen.query_one("#preview")
        text = str(preview.render())
        assert "List-Unsubscribe" in text
        assert box.max_scroll_x == 0 and preview.region.right <= SIZE[0]
        longest = max(len(line) for line in text.splitlines())
        assert longest > preview.size.width  # some lines are longer than the pane...
        assert preview.virtual_region.height > len(text.splitlines())  # ...and wrap instead of being cut


async def test_brackets_in_the_company_name_show_as_typed(demo_ws):
    from coldmail.store.config import save_config

    demo_ws.config.controller.company = "Acme [EU] Ltd"
    save_config(demo_ws.home, demo_ws.config)
    app = ColdmailApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        title = app.format_title(app.title, app.sub_title)
        assert title.plain == "coldmail — Acme [EU] Ltd"


async def test_the_demo_dashboard_counts_the_demos_hard_bounce(demo_ws):
    from textual.widgets import DataTable

    from coldmail.replies.review import list_replies

    assert any(r.kind == "bounce_hard" for r in list_replies(demo_ws))  # the Inbox shows one
    app = ColdmailApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        row = dict(zip([str(c.label) for c in table.ordered_columns], table.get_row_at(0), strict=False))
        assert row["Bounce"].startswith("1 ("), row


def test_help_at_its_end_snapshot(demo_ws, snap_compare):
    """The look of the help's last rows at 80x24, reached with End."""
    from test_tui import _pin_dates

    _pin_dates(demo_ws)

    async def open_help_at_end(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot, 1)
        await pilot.press("end")
        await pilot.pause(0.5)

    assert snap_compare(ColdmailApp(demo_ws, mode="lists"), terminal_size=SIZE, run_before=open_help_at_end)
