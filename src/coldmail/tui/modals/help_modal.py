"""Keys and what they do."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Markdown

HELP = """\
# coldmail keys

| key | what it does |
|---|---|
| `1`-`9` | dashboard, contacts, lists, campaigns, inbox, suppression, requests, templates, import |
| `/` | search contacts (email prefix, name or company) |
| `w` | "where did you get my data?" for the selected contact |
| `x` | suppress the selected contact, with a reason |
| `r` / `ctrl+r` | reload |
| `n` / `y` / `g` / `p` | campaigns: new / dry run / send / pause or resume |
| `c` / `o` / `x` / `u` | inbox: confirm / override / dismiss a review item; undo a suppression |
| `a` | suppression: add an address or @domain; lists: LIA |
| `w` / `m` / `e` | requests: the "where?" answer / answer (as the CLI does) / export JSON |
| `/` filters | contacts: `list:NAME country:DE status:suppressed` with or without words |
| `ctrl+p` | command palette |
| `?` / `F1` | this help |
| `q` | quit |
"""


class HelpModal(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Label("Help (Escape to close)")
            yield Markdown(HELP)
