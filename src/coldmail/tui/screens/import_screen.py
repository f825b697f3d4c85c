"""Import: pick a CSV, see how its columns map (and which are dropped), give defaults, import."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Button, DirectoryTree, Header, Input, ProgressBar, Static

from coldmail.prospects import importing
from coldmail.tui.markup import escape_text as E
from coldmail.tui.screens.base import DetailLoaded, ErrorsAsNotifications, NavBar, ProgressReported, footer


class ImportScreen(ErrorsAsNotifications, Screen):
    """Pick a CSV, see how its columns map (and which are dropped), give defaults, import."""

    BINDINGS = [Binding("ctrl+o", "run_import", "Import", id="import.run")]  # not ctrl+i: that is Tab

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar("Import")
        with Horizontal(classes="body"):
            yield DirectoryTree(str(Path.cwd()), id="picker", classes="picker")
            with VerticalScroll(classes="detail-box", id="imp-form"):
                yield Input(placeholder="list name", id="imp-list")
                yield Input(placeholder="default source (e.g. company website)", id="imp-source")
                yield Input(placeholder="default justification (why these people)", id="imp-just")
                yield Button("Import", id="imp-go", variant="primary")
                # Hidden until an import runs: an idle bar would animate "--%" forever.
                yield ProgressBar(id="imp-progress", show_eta=False)
                yield Static("Choose a .csv file in the file tree.", id="imp-preview")
        yield footer()

    COMPACT_BELOW = 30  # lines

    def on_resize(self, event: Resize) -> None:
        """In a short terminal the fields and the button lose their borders (a line each, not three),
        so that the chosen file's preview shows under them at 80x24."""
        for widget in self.query("#imp-form Input, #imp-form Button"):
            widget.compact = event.size.height < self.COMPACT_BELOW

    @on(DirectoryTree.FileSelected)
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        self.path = Path(event.path)
        self._load_preview(self.path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview")
    def _load_preview(self, path: Path) -> None:
        stream, sample = importing.preview_csv(path)
        lines = [f"[b]{E(path.name)}[/b]  {stream.encoding}, delimiter {E(repr(stream.delimiter))}", "",
                 "[b]Columns[/b]"]
        lines += [f"  {E(orig)} -> {field}" if field else f"  [red]{E(orig)} -> not stored (minimisation)[/red]"
                  for orig, field in stream.headers.describe()]
        lines += ["", "[b]First rows[/b]"] + [f"  {E(str(row))}" for row in sample]
        self.post_message(DetailLoaded("\n".join(lines)))

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        self.query_one("#imp-preview", Static).update(message.text)

    def on_progress_reported(self, message: ProgressReported) -> None:
        bar = self.query_one("#imp-progress", ProgressBar)
        bar.add_class("-running")
        bar.update(total=max(message.total, 1), progress=message.done)

    @on(Button.Pressed, "#imp-go")
    def action_run_import(self) -> None:
        path = getattr(self, "path", None)
        name = self.query_one("#imp-list", Input).value.strip()
        if not path or not name:
            self.notify("Choose a file and give the list a name.", severity="warning")
            return
        bar = self.query_one("#imp-progress", ProgressBar)
        bar.update(total=1, progress=0)  # a known total: 0%, never the idle "--%" animation
        bar.add_class("-running")
        self._run_import(path, name, self.query_one("#imp-source", Input).value,
                         self.query_one("#imp-just", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def _run_import(self, path: Path, name: str, source: str, just: str) -> None:
        result = importing.import_csv(
            self.app.ws, path=path, list_name=name, source=source, justification=just,
            on_progress=lambda done, total: self.post_message(ProgressReported(done, total)))
        lines = [f"[b]{E(result.headline())}[/b]", *(E(line) for line in result.details(limit=200))]
        self.post_message(DetailLoaded("\n".join(lines)))
        self.app.call_from_thread(self.notify, result.headline(), markup=False)
