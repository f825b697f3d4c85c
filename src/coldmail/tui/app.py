"""The coldmail terminal app: a sales rep's day, with the compliant path as the easy one."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from coldmail.tui.screens.contacts_screen import ContactsScreen
from coldmail.workspace import Workspace


class ColdmailApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "coldmail"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("f1,question_mark", "help", "Help", id="app.help"),
    ]

    def __init__(self, ws: Workspace):
        super().__init__()
        self.ws = ws
        company = ws.config.controller.company or "no identity yet: run coldmail init"
        self.sub_title = company

    def on_mount(self) -> None:
        self.push_screen(ContactsScreen())

    def action_help(self) -> None:
        from coldmail.tui.screens.help_modal import HelpModal

        self.push_screen(HelpModal())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place where worker errors become a notification, never a traceback."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.notify(str(event.worker.error) or type(event.worker.error).__name__, title="Error",
                        severity="error", timeout=8)


def run(ws: Workspace) -> None:
    ColdmailApp(ws).run()
