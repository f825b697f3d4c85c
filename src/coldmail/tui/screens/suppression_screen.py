"""Suppression: the addresses and domains never to be written to, with the reason and evidence for each."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input

from coldmail.suppression import register as suppression
from coldmail.tui.markup import escape_cell
from coldmail.tui.markup import escape_text as E
from coldmail.tui.modals.prompt_modal import PromptModal
from coldmail.tui.screens.base import TableScreen


class SuppressionScreen(TableScreen):
    NAV_NAME = "Suppr."
    COLUMNS = ("Address or domain", "Reason", "Since", "By")
    KEEP = 2
    EMPTY = "The suppression list is empty."
    BINDINGS = [
        Binding("a", "add", "Add", id="suppression.add"),
        Binding("slash", "search", "Search", id="suppression.search"),
    ]
    search = ""

    def compose_top(self) -> ComposeResult:
        yield Input(placeholder="Search suppressions; Enter to apply", id="sup-search")

    def fetch(self):
        self._rows = {r.fingerprint: r for r in suppression.list_all(self.app.ws, search=self.search, limit=500)}
        return [(fp, (escape_cell(r.email or (f"@{r.domain}" if r.domain else f"(erased) {fp[:10]}…")),
                      escape_cell(r.reason), f"{r.since:%Y-%m-%d}", escape_cell(r.created_by)))
                for fp, r in self._rows.items()]

    def detail(self, key):
        r = getattr(self, "_rows", {}).get(key)
        if r is None:
            return ""
        return "\n".join([f"[b]{E(r.email or ('@' + r.domain if r.domain else 'erased person'))}[/b]",
                          f"Reason: {E(r.reason)}", f"Since: {r.since:%Y-%m-%d %H:%M} by {E(r.created_by)}",
                          f"Fingerprint: {r.fingerprint}", "", "[b]Evidence[/b]", E(r.evidence or "-")])

    def action_search(self) -> None:
        self.query_one("#sup-search", Input).focus()

    @on(Input.Submitted, "#sup-search")
    def _search(self, event: Input.Submitted) -> None:
        self.search = event.value
        self.action_reload()
        self.query_one(DataTable).focus()

    def action_add(self) -> None:
        def got_target(target: str | None) -> None:
            if not target:
                return

            def got_reason(reason: str | None) -> None:
                if reason:
                    self.run_in_thread(lambda: suppression.add(self.app.ws, target=target, reason=reason,
                                                               evidence="added in the TUI"), f"{target} suppressed.")

            self.app.push_screen(PromptModal(f"Why suppress {target}?", "e.g. asked by phone"), got_reason)

        self.app.push_screen(PromptModal("Suppress an address or a whole domain", "name@company.com or @company.com"),
                             got_target)
