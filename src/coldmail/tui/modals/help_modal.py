"""Keys and what they do, in a box that scrolls (arrows, j/k, PageUp/PageDown, Home/End)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

# (section, [(keys, what they do)]): plain text, shown as Rich Text (never parsed as markup). Two
# columns, the second wrapped under itself, so that the whole table reads at 80 columns without a cut.
KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Everywhere", [
        ("1-9", "dashboard, contacts, lists, campaigns, inbox, suppression, requests, templates, import"),
        ("Escape", "leave a text field, so that 1-9 and q work again"),
        ("Tab", "next part of the screen: the detail pane under the table scrolls with the arrows"),
        ("ctrl+p", "command palette: every action as \"area: action\""),
        ("ctrl+r", "reload the table"),
        ("? / F1", "this help"),
        ("q", "quit"),
    ]),
    ("Contacts (2)", [
        ("/", "search: email prefix, name or company; list:NAME country:DE status:suppressed"),
        ("w", "\"where did you get my data?\" for the selected contact"),
        ("x", "suppress the selected contact, with a reason"),
        ("r", "refresh"),
    ]),
    ("Lists (3)", [
        ("p", "edit the purpose"),
        ("a / n / b", "legitimate-interests assessment: interest / necessity / balancing"),
    ]),
    ("Campaigns (4)", [
        ("n", "new campaign"),
        ("y / g", "dry run (writes files, sends nothing) / send"),
        ("p", "pause or resume"),
        ("r", "start or stop the sender here (as coldmail run does)"),
    ]),
    ("Inbox (5)", [
        ("c / o / x", "confirm / override / dismiss an item held for review"),
        ("u", "undo a suppression that was wrong"),
    ]),
    ("Suppression (6)", [
        ("a", "add an address or a whole @domain"),
        ("/", "search"),
    ]),
    ("Requests (7)", [
        ("w", "the ready-to-send \"where did you get my data?\" answer"),
        ("m", "answer (as the CLI does: erasure erases, after a yes; objection suppresses)"),
        ("e", "export the person's data as JSON"),
    ]),
    ("Templates (8)", [("ctrl+r", "render the template for the contact typed")]),
    ("Import (9)", [("ctrl+o", "import the chosen file")]),
]


def help_text() -> str:
    """The help as plain text, one line per key (for tests and for reading outside the app)."""
    lines = []
    for section, keys in KEYS:
        lines += ["", section]
        lines += [f"  {k:<10} {what}" for k, what in keys]
    return "\n".join(lines[1:])


def help_table() -> Group:
    """The help as shown: a heading per area, then its keys in bold, each description wrapped under itself."""
    parts: list[Text | Table] = []
    for i, (section, keys) in enumerate(KEYS):
        parts.append(Text(("\n" if i else "") + section, style="bold"))
        table = Table.grid(padding=(0, 1))
        table.add_column(width=12, no_wrap=True)  # the indent and the longest keys, "a / n / b"
        table.add_column(ratio=1)
        for k, what in keys:
            table.add_row(Text(f"  {k}", style="bold"), Text(what))
        parts.append(table)
    return Group(*parts)


class HelpModal(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="help.close"),
        Binding("j", "scroll('down')", "Down", id="help.down", show=False),
        Binding("k", "scroll('up')", "Up", id="help.up", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box", id="help-box"):
            yield Label("Help: arrows, j/k, PageDown and End scroll; Escape closes", classes="caption")
            with VerticalScroll(id="help-scroll"):
                yield Static(help_table(), id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_scroll(self, where: str) -> None:
        scroll = self.query_one("#help-scroll", VerticalScroll)
        if where == "down":
            scroll.scroll_down()
        else:
            scroll.scroll_up()
