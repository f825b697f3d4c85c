"""What the screens share: the area bar, worker errors as notifications, and the table-and-detail screen.

Rows and details are loaded in thread workers (never in a handler), which post messages back."""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker


class RowsLoaded(Message):
    def __init__(self, rows: list[tuple[str, tuple]]):
        super().__init__()
        self.rows = rows


class DetailLoaded(Message):
    """Text for the screen's detail pane (Rich markup; user text in it is escaped), and the row
    it describes, if any: a slow load for a row the cursor has left is not shown."""

    def __init__(self, text: str, key: str | None = None):
        super().__init__()
        self.text, self.key = text, key


class ProgressReported(Message):
    """From a worker: `done` of `total`, for the screen's progress bar."""

    def __init__(self, done: int, total: int):
        super().__init__()
        self.done, self.total = done, total


NAV = [("1", "Dash"), ("2", "Contacts"), ("3", "Lists"), ("4", "Camp."), ("5", "Inbox"),
       ("6", "Suppr."), ("7", "Req."), ("8", "Tmpl"), ("9", "Import")]


class NavBar(Static):
    """The areas and their keys, the current one highlighted; fits in 80 columns."""

    def __init__(self, current: str):
        parts = [f"[reverse] {k} {t} [/reverse]" if t == current else f"[b]{k}[/b] {t}" for k, t in NAV]
        super().__init__(" ".join(parts), classes="nav")


def footer() -> Footer:
    """The key bar, compact so that a screen's keys fit in 80 columns."""
    return Footer(compact=True)


class ErrorsAsNotifications:
    """Worker errors become a notification on screen, never a traceback (mixed into every screen).

    The message is shown as plain text: it often quotes what the user typed."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            err = event.worker.error
            self.notify(str(err) or type(err).__name__, title="Error", severity="error", timeout=8, markup=False)


class TableScreen(ErrorsAsNotifications, Screen):
    """Subclasses set COLUMNS and implement `fetch()` (rows) and `detail(key)` (text); both run in threads."""

    COLUMNS: tuple[str, ...] = ()
    EMPTY = "Nothing here yet."
    NAV_NAME = ""
    BINDINGS = [
        Binding("ctrl+r", "reload", "Reload", id="table.reload", show=False),  # in the help; room for the rest
        # Shown only while a text field has the focus: how to leave it (the area keys go into it).
        Binding("escape", "focus_table", "Leave field", id="table.focus"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_table":
            return isinstance(self.focused, Input)
        return True

    def action_focus_table(self) -> None:
        self.query_one(DataTable).focus()

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar(self.NAV_NAME)
        yield from self.compose_top()
        with Horizontal(classes="body"):
            yield DataTable(cursor_type="row", zebra_stripes=True, classes="main-table")
            with VerticalScroll(classes="detail-box"):
                yield Static(self.EMPTY, classes="detail")
        yield footer()

    def compose_top(self) -> ComposeResult:
        return iter(())

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*self.COLUMNS)
        table.focus()
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.query_one(DataTable).focus()
        self.action_reload()

    def action_reload(self) -> None:
        self._load_rows()

    @work(thread=True, exclusive=True, exit_on_error=False, group="rows")
    def _load_rows(self) -> None:
        rows = self.fetch()
        if not get_current_worker().is_cancelled:  # a newer load replaced this one
            self.post_message(RowsLoaded(rows))

    def on_rows_loaded(self, message: RowsLoaded) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for key, cells in message.rows:
            table.add_row(*cells, key=key)
        if not message.rows:
            self.query_one(".detail", Static).update(self.EMPTY)
        elif keep is not None and keep < table.row_count:
            table.move_cursor(row=keep)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self._load_detail(event.row_key.value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def _load_detail(self, key: str) -> None:
        self.post_message(DetailLoaded(self.detail(key), key))

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        if message.key and message.key != self.current_key:
            return  # the cursor moved on while this was loading
        self.query_one(".detail", Static).update(message.text)

    @property
    def current_key(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - empty or resetting table
            return None

    def fetch(self) -> list[tuple[str, tuple]]:
        """The table's rows as (key, cells); cells are Rich markup, so user text in them is escaped."""
        raise NotImplementedError

    def detail(self, key: str) -> str:
        return ""

    def run_in_thread(self, fn: Callable[[], object], done: str | None = None) -> None:
        """Run a service call that writes off the UI thread, then notify and reload.

        The notification is `fn`'s return value if that is a string, else `done`; errors go
        through `ErrorsAsNotifications`."""
        self._run_action(fn, done)

    # Not exclusive, unlike the loaders: a second write must not cancel the first, since the
    # first one's thread would still run and its error would never be shown.
    @work(thread=True, exit_on_error=False, group="action")
    def _run_action(self, fn: Callable[[], object], done: str | None) -> None:
        result = fn()
        note = result if isinstance(result, str) else done
        if note:
            self.app.call_from_thread(self.notify, note, markup=False)
        self.app.call_from_thread(self.action_reload)
