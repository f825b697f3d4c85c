"""A scrollable text, e.g. the ready-to-send "where did you get my data?" answer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, TextArea


class TextModal(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="modal.close", priority=True),  # the TextArea would take it
        Binding("c", "copy", "Copy", id="modal.copy"),
    ]

    def __init__(self, title: str, text: str):
        super().__init__()
        self.title_text, self.text = title, text

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Label(self.title_text, markup=False)  # titles quote user text
            yield TextArea(self.text, read_only=True, id="modal-text")
            with Horizontal(classes="buttons"):
                yield Button("Copy", id="copy")
                yield Button("Close", id="close", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "copy":
            self.action_copy()
        else:
            self.dismiss()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.notify("Copied to the clipboard.")
