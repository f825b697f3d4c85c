"""Templates: a template and a contact give the message exactly as it will be sent, with lint warnings."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Input, Select, Static

from coldmail.mail import lint, rendering
from coldmail.tui.markup import escape_text as E
from coldmail.tui.screens.base import DetailLoaded, ErrorsAsNotifications, NavBar, footer


class TemplatesListed(Message):
    def __init__(self, names: list[str]):
        super().__init__()
        self.names = names


class TemplatesScreen(ErrorsAsNotifications, Screen):
    """Pick a template and a contact: the message exactly as it will be sent, with lint warnings."""

    BINDINGS = [Binding("ctrl+r", "render", "Render", id="templates.render")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar("Tmpl")
        with Horizontal(classes="toolbar"):
            yield Select([], prompt="Template", id="tpl")
            yield Input(placeholder="contact email (Enter to render)", id="tpl-to")
        # Wrapped, not cut: long header lines (List-Unsubscribe) fold at the pane's width.
        with VerticalScroll(id="tpl-preview-box"):
            yield Static("Choose a template and a contact.", id="preview")
        yield footer()

    def on_mount(self) -> None:
        self._list_templates()

    @work(thread=True, exclusive=True, exit_on_error=False, group="templates")
    def _list_templates(self) -> None:
        """Reads the templates folder off the UI thread."""
        self.post_message(TemplatesListed(rendering.template_names(self.app.ws.home / "templates")))

    def on_templates_listed(self, message: TemplatesListed) -> None:
        select = self.query_one("#tpl", Select)
        select.set_options([(E(n), n) for n in message.names])
        if message.names:
            select.value = message.names[0]

    @on(Input.Submitted, "#tpl-to")
    @on(Select.Changed, "#tpl")
    def action_render(self, *_event) -> None:
        tpl = self.query_one("#tpl", Select).value
        to = self.query_one("#tpl-to", Input).value.strip()
        if tpl and to and tpl != Select.BLANK:
            self._render_preview(str(tpl), to)

    @work(thread=True, exclusive=True, exit_on_error=False, group="render")
    def _render_preview(self, tpl: str, to: str) -> None:
        issues = lint.check_all(self.app.ws.home / "templates", [tpl]).get(tpl, [])
        composed = rendering.compose_for(self.app.ws, template=tpl, email=to)
        raw = composed.raw.decode("ascii", "replace")
        text = composed.as_email().get_body(("plain",)).get_content()
        head = raw.split("\r\n\r\n", 1)[0].replace("\r\n", "\n")
        warn = "\n".join(f"[yellow]{E(str(i))}[/yellow]" for i in issues) or "[green]No lint warnings.[/green]"
        if note := rendering.suppressed_note(self.app.ws, to):
            warn = f"[b red]{E(note)}[/b red]\n{warn}"
        self.post_message(DetailLoaded(f"{warn}\n\n[b]Headers[/b]\n{E(head)}\n\n[b]Text part[/b]\n{E(text)}"))

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        self.query_one("#preview", Static).update(message.text)
