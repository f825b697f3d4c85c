"""What the screens share: the area bar, worker errors as notifications, and the table-and-detail screen.

Rows and details are loaded in thread workers (never in a handler), which post messages back."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.events import Resize
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


def clip(text: str, width: int) -> str:
    """`text` in at most `width` characters, with an ellipsis when cut (the detail pane has it whole)."""
    return text if len(text) <= width else text[: width - 1] + "…"


Entry = str | tuple[str, ...]


class Columns:
    """Which of a table's columns to show in the width it has, so that none is cut half-way: the first
    `keep` entries of `priority` always (the essential ones), then the others while they fit, each
    as wide as its widest cell. The detail pane shows the rest.

    An entry may be a tuple of alternatives, widest first ("Received" with the time, "Date" with the
    day only): the first that fits is shown. Rows are tuples in `names`' order, or dicts by name."""

    def __init__(self, names: tuple[str, ...], priority: tuple[Entry, ...] | None = None, keep: int = 1):
        self.names, self.priority, self.keep = names, priority or names, keep
        self.reset()

    def reset(self) -> None:
        self.widths = {name: cell_len(name) for name in self.names}

    def cell(self, cells: tuple | dict, name: str) -> object:
        return cells[name] if isinstance(cells, dict) else cells[self.names.index(name)]

    def measure(self, rows: Iterable[tuple | dict]) -> None:
        """Widen the columns for these rows (the cells are markup, measured as shown)."""
        for cells in rows:
            for name in self.names:
                width = cell_len(Text.from_markup(str(self.cell(cells, name))).plain)
                if width > self.widths[name]:
                    self.widths[name] = width

    def fit(self, room: int, padding: int) -> tuple[str, ...]:
        """The columns to show in `room` cells, in display order."""
        chosen, used = set(), 0
        for i, entry in enumerate(self.priority):
            for name in entry if isinstance(entry, tuple) else (entry,):
                width = self.widths[name] + 2 * padding
                if i < self.keep or used + width <= room:
                    chosen.add(name)
                    used += width
                    break
        return tuple(name for name in self.names if name in chosen)


class MainTable(DataTable):
    """A screen's table; it tells the screen when its width changes, so that the columns follow."""

    class Resized(Message):
        pass

    def on_resize(self, event: Resize) -> None:
        self.post_message(self.Resized())

    def fit(self, columns: Columns) -> tuple[str, ...]:
        """The columns that fit, leaving room for a vertical scrollbar even before one shows (more
        rows do not resize the table, so they would otherwise cut the last column by its width)."""
        return columns.fit(self.size.width - self.styles.scrollbar_size_vertical, self.cell_padding)


class TableScreen(ErrorsAsNotifications, Screen):
    """Subclasses set COLUMNS and implement `fetch()` (rows) and `detail(key)` (text); both run in threads.

    The table shows the columns that fit its width (`Columns`): the first KEEP of PRIORITY (default:
    COLUMNS in order) always, then the others while they fit; the detail pane shows the rest. A row's
    cells are a tuple in COLUMNS' order, or a dict by name (for alternatives that are not shown
    side by side, like a time and a shorter date)."""

    COLUMNS: tuple[str, ...] = ()
    PRIORITY: tuple[Entry, ...] | None = None
    KEEP = 1
    _loaded: list[tuple[str, tuple | dict]] = []  # the rows last loaded (replaced, never mutated)
    shown: tuple[str, ...] = ()  # the columns in the table now
    _widths: tuple[int, ...] = ()  # and their widths
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
        self.columns = Columns(self.COLUMNS, self.PRIORITY, self.KEEP)
        yield Header()
        yield NavBar(self.NAV_NAME)
        yield from self.compose_top()
        with Horizontal(classes="body"):
            yield MainTable(cursor_type="row", zebra_stripes=True, classes="main-table")
            with VerticalScroll(classes="detail-box"):
                yield Static(self.EMPTY, classes="detail")
        yield footer()

    def compose_top(self) -> ComposeResult:
        return iter(())

    def on_mount(self) -> None:
        self._show_rows()
        self.query_one(DataTable).focus()
        self.action_reload()

    def on_main_table_resized(self, _message: MainTable.Resized) -> None:
        if self._fit() != self.shown:
            self._show_rows()

    def _fit(self) -> tuple[str, ...]:
        return self.query_one(MainTable).fit(self.columns)

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
        self._loaded = message.rows
        self.columns.reset()
        self.columns.measure(cells for _key, cells in message.rows)
        self._show_rows()
        if not message.rows:
            self.query_one(".detail", Static).update(self.EMPTY)

    def _show_rows(self) -> None:
        """(Re)fill the table from the rows last loaded, with the columns that fit."""
        table = self.query_one(DataTable)
        keep = table.cursor_row
        names = self._fit()
        widths = tuple(self.columns.widths[name] for name in names)
        if (names, widths) != (self.shown, self._widths):
            # Each column as wide as its widest cell, measured above, rather than widened by the table
            # after the rows are in: seen once in tmux, under load, the Inbox drew its first rows before
            # that widening and left them cut ("applie", "12-0") until the cursor passed over them.
            table.clear(columns=True)
            for name, width in zip(names, widths, strict=True):
                table.add_column(name, width=width, key=name)
            self.shown, self._widths = names, widths
        else:
            table.clear()
        for key, cells in self._loaded:
            table.add_row(*(self.columns.cell(cells, n) for n in names), key=key)
        if keep is not None and keep < table.row_count:
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
