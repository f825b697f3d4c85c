"""Contacts: a paged table (never the whole database), search, and the provenance of the one in view."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static
from textual.widgets.data_table import CellDoesNotExist

from coldmail.contacts import paging as contacts
from coldmail.contacts import views
from coldmail.contacts.paging import ContactFilter, ContactRow
from coldmail.contacts.views import ContactView
from coldmail.privacy import where as where_
from coldmail.suppression import register as suppression
from coldmail.tui.markup import escape_cell, escape_text
from coldmail.tui.screens.base import Columns, ErrorsAsNotifications, MainTable, NavBar, footer

PAGE = 100


class ContactsPageLoaded(Message):
    def __init__(self, rows: list[ContactRow], reset: bool):
        super().__init__()
        self.rows, self.reset = rows, reset


class ContactLoaded(Message):
    def __init__(self, email: str, contact: ContactView | None):
        super().__init__()
        self.email, self.contact = email, contact


def parse_filter(text: str) -> ContactFilter:
    """`list:freight country:DE status:suppressed jane` -> a filter plus the free-text search."""
    fields, words = {}, []
    for token in text.split():
        key, sep, value = token.partition(":")
        if sep and key in ("list", "country", "status") and value:
            fields[{"list": "list_name"}.get(key, key)] = value
        else:
            words.append(token)
    return ContactFilter(search=" ".join(words), **fields)


def describe(c: ContactView) -> str:
    public = {True: "yes", False: "no", None: "not recorded"}[c.source_public]
    e = escape_text
    lines = [
        f"[b]{e(c.name or c.email)}[/b]  {e(c.email)}",
        f"{e(c.role or '-')} at {e(c.company or '-')} ({e(c.country or 'country unknown')})",
        "",
        "[b]Provenance[/b]",
        f"  Source:     {e(c.source)}",
        f"  URL:        {e(c.source_url or '-')}",
        f"  Public:     {public}",
        f"  Collected:  {c.collected_at:%Y-%m-%d} by {e(c.collected_by)}",
        f"  Lists:      {e(', '.join(c.lists))}",
        "",
        "[b]Justification[/b]",
        f"  {e(c.justification)}",
        "",
        f"[b]Status[/b]  {c.status}"
        + (f"  [red]SUPPRESSED ({e(c.suppression_reason or '')})[/red]" if c.suppressed else ""),
    ]
    timeline = [(m["sent_at"] or "", f"sent {m['campaign']} step {m['step']} ({m['state']})") for m in c.messages]
    timeline += [(r["received_at"], f"reply: {r['kind'].replace('_', ' ')} — {r['action']}") for r in c.replies]
    timeline += [(r["received_at"], f"request #{r['id']} {r['kind']} ({r['status']}, due {r['due_at'][:10]})")
                 for r in c.requests]
    if timeline:
        lines += ["", "[b]Timeline[/b]"]
        lines += [f"  {when[:10] or '(queued)'}  {escape_text(what)}" for when, what in sorted(timeline)]
    return "\n".join(lines)


class ContactsScreen(ErrorsAsNotifications, Screen):
    # What a rep scans for first comes first; the columns that do not fit (the name and role at 80
    # columns) are in the detail pane.
    COLUMNS = ("Email", "Company", "Status", "Name", "Role", "CC")
    BINDINGS = [
        Binding("slash", "search", "Search", id="contacts.search"),
        Binding("w", "where", "Where?", id="contacts.where"),
        Binding("x", "suppress", "Suppress", id="contacts.suppress"),
        Binding("r", "refresh", "Refresh", id="contacts.refresh"),
    ]

    def __init__(self):
        super().__init__()
        self.flt = ContactFilter()
        self.last_id = 0
        self.exhausted = False
        self.current: ContactView | None = None
        self.emails: dict[str, str] = {}  # row key -> address (the cells hold escaped markup)
        self.cells: dict[str, tuple[str, ...]] = {}  # row key -> cells in COLUMNS' order, for a change of width
        self.columns = Columns(self.COLUMNS, keep=3)
        self.shown: tuple[str, ...] = ()
        self._widths: tuple[int, ...] = ()

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar("Contacts")
        # Short enough to be read whole in 80 columns.
        yield Input(placeholder="Search email, name or company; list:NAME country:DE status:suppressed",
                    id="search")
        with Horizontal(id="contacts-body", classes="body"):
            yield MainTable(id="contacts-table", cursor_type="row", zebra_stripes=True, classes="main-table")
            # Focusable (Tab), so that the keyboard scrolls what does not fit at 80x24.
            with VerticalScroll(id="contact-detail-box", classes="detail-box"):
                yield Static("Select a contact to see where its data came from.", id="contact-detail")
        yield footer()

    def on_screen_resume(self) -> None:
        self.load_page(reset=True)

    def on_mount(self) -> None:
        self._set_columns()
        self.load_page(reset=True)
        self.query_one(DataTable).focus()

    def on_main_table_resized(self, _message: MainTable.Resized) -> None:
        self._set_columns()

    def _set_columns(self) -> None:
        """The columns that fit; on a change, the rows listed so far again, the cursor kept."""
        table = self.query_one(MainTable)
        names = table.fit(self.columns)
        widths = tuple(self.columns.widths[name] for name in names)
        if (names, widths) == (self.shown, self._widths):
            return
        keep = table.cursor_row
        # Each column as wide as its widest cell so far, as the other screens' tables (base.py): not
        # widened by the table after the rows are in, which once drew the Inbox's first rows cut off
        table.clear(columns=True)
        for name, width in zip(names, widths, strict=True):
            table.add_column(name, width=width, key=name)
        self.shown, self._widths = names, widths
        for key, cells in self.cells.items():
            table.add_row(*self._pick(cells), key=key)
        if keep < table.row_count:
            table.move_cursor(row=keep)

    def _pick(self, cells: tuple[str, ...]) -> list[str]:
        return [self.columns.cell(cells, name) for name in self.shown]

    @work(thread=True, exclusive=True, exit_on_error=False, group="contacts-page")
    def load_page(self, reset: bool) -> None:
        after = 0 if reset else self.last_id
        rows = contacts.page(self.app.ws, after_id=after, limit=PAGE, flt=self.flt)
        self.post_message(ContactsPageLoaded(rows, reset))

    def on_contacts_page_loaded(self, message: ContactsPageLoaded) -> None:
        table = self.query_one(DataTable)
        if message.reset:
            table.clear()
            self.emails.clear()
            self.cells.clear()
            self.columns.reset()
            self.last_id = 0
        fresh = {str(r.id): (r, self._cells(r)) for r in message.rows if str(r.id) not in table.rows}
        self.columns.measure(cells for _r, cells in fresh.values())
        self._set_columns()  # a longer address or company may leave less room
        for key, (r, cells) in fresh.items():
            self.emails[key], self.cells[key] = r.email, cells
            table.add_row(*self._pick(cells), key=key)
            self.last_id = max(self.last_id, r.id)
        self.exhausted = len(message.rows) < PAGE or bool(self.flt.search)
        if message.reset and not message.rows:
            self.current = None  # w and x act on what is listed, not on a contact shown before
            self.query_one("#contact-detail", Static).update(
                "No contact matches this search; press / to change it." if self.flt != ContactFilter()
                else "No contacts yet. Import a CSV: coldmail import FILE.csv --list NAME --source … --justification …"
            )

    @staticmethod
    def _cells(r: ContactRow) -> tuple[str, ...]:
        return (escape_cell(r.email), escape_cell(r.company or ""), r.status,
                *(escape_cell(cell or "") for cell in (r.name, r.role, r.country)))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = self.query_one(DataTable)
        if event.cursor_row >= table.row_count - 10 and not self.exhausted:
            self.exhausted = True  # until the next page arrives
            self.load_page(reset=False)
        if email := self.emails.get(event.row_key.value):
            self.load_contact(email)

    @work(thread=True, exclusive=True, exit_on_error=False, group="contact-detail")
    def load_contact(self, email: str) -> None:
        self.post_message(ContactLoaded(email, views.show_contact(self.app.ws, email)))

    def _highlighted_email(self) -> str | None:
        table = self.query_one(DataTable)
        try:
            return self.emails.get(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        except CellDoesNotExist:  # an empty table
            return None

    def on_contact_loaded(self, message: ContactLoaded) -> None:
        if message.email != self._highlighted_email():
            return  # the cursor moved on while this was loading: w and x act on the row in view
        self.current = message.contact
        detail = self.query_one("#contact-detail", Static)
        detail.update(describe(message.contact) if message.contact else "This contact was erased.")

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    @on(Input.Submitted, "#search")
    def _search(self, event: Input.Submitted) -> None:
        self.flt = parse_filter(event.value)
        self.load_page(reset=True)
        self.query_one(DataTable).focus()

    def action_refresh(self) -> None:
        self.load_page(reset=True)

    def action_where(self) -> None:
        if self.current is None:
            self.notify("Select a contact first.", severity="warning")
            return
        self.show_where(self.current.email)

    @work(thread=True, exclusive=True, exit_on_error=False, group="where")
    def show_where(self, email: str) -> None:
        from coldmail.tui.modals.text_modal import TextModal

        text = where_.where(self.app.ws, email)["text"]
        self.app.call_from_thread(
            lambda: self.app.push_screen(TextModal(f"Where did you get my data? — {email}", text)))

    def action_suppress(self) -> None:
        if self.current is None:
            self.notify("Select a contact first.", severity="warning")
            return
        from coldmail.tui.modals.prompt_modal import PromptModal

        email = self.current.email

        def done(reason: str | None) -> None:
            if reason:
                self.do_suppress(email, reason)

        self.app.push_screen(PromptModal(f"Suppress {email}", "Reason (e.g. asked by phone not to be contacted)"), done)

    @work(thread=True, exclusive=True, exit_on_error=False, group="suppress")
    def do_suppress(self, email: str, reason: str) -> None:
        suppression.add(self.app.ws, target=email, reason=reason, evidence="added in the TUI")
        self.app.call_from_thread(self.notify, f"{email} suppressed.", markup=False)
        self.load_contact(email)
