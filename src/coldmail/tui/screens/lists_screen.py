"""Lists: each prospect list with its purpose, targeting and legitimate-interests assessment, edited in place."""

from __future__ import annotations

from textual.binding import Binding

from coldmail.prospects.lists import ListView, all_lists, get_list, update_list
from coldmail.tui.markup import escape_cell
from coldmail.tui.markup import escape_text as E
from coldmail.tui.modals.prompt_modal import PromptModal
from coldmail.tui.screens.base import TableScreen, clip

LABELS = {"purpose": "Purpose", "lia_purpose": "LIA 1: the legitimate interest",
          "lia_necessity": "LIA 2: why email is necessary", "lia_balancing": "LIA 3: the balancing test"}


class ListsScreen(TableScreen):
    NAV_NAME = "Lists"
    COLUMNS = ("List", "Contacts", "LIA", "Purpose")
    KEEP = 3
    EMPTY = "No lists yet: import a CSV (press 9)."
    BINDINGS = [
        Binding("p", "edit('purpose')", "Purpose", id="lists.purpose"),
        # Short, to fit 80 columns: the three parts of the legitimate-interests assessment (LIA).
        Binding("a", "edit('lia_purpose')", "LIA interest", id="lists.lia_purpose"),
        Binding("n", "edit('lia_necessity')", "Necessity", id="lists.lia_necessity"),
        Binding("b", "edit('lia_balancing')", "Balancing", id="lists.lia_balancing"),
    ]

    def fetch(self):
        # Kept for the editor's current value, so that a key press never reads the database.
        self._lists: dict[str, ListView] = {lv.name: lv for lv in all_lists(self.app.ws)}
        return [(lv.name, (escape_cell(lv.name), str(lv.contacts), "complete" if lv.lia_complete else "MISSING",
                           escape_cell(clip(lv.purpose, 40)))) for lv in self._lists.values()]

    def detail(self, key):
        lv = get_list(self.app.ws, key)
        if lv is None:
            return ""
        when = f"{lv.lia_recorded_at:%Y-%m-%d} by {E(lv.lia_recorded_by)}" if lv.lia_recorded_at else "not recorded"
        return "\n".join([
            f"[b]{E(lv.name)}[/b]  {lv.contacts} contacts", "",
            f"[b]Purpose[/b]\n  {E(lv.purpose or '-')}", "",
            "[b]Targeting[/b]",
            f"  Geography: {E(lv.geography or '-')}", f"  Industry: {E(lv.industry or '-')}",
            f"  Company size: {E(lv.company_size or '-')}", f"  Roles: {E(lv.roles or '-')}", "",
            f"[b]Legitimate-interests assessment[/b] ({when})",
            f"  1. Interest: {E(lv.lia_purpose or 'MISSING')}",
            f"  2. Necessity: {E(lv.lia_necessity or 'MISSING')}",
            f"  3. Balancing: {E(lv.lia_balancing or 'MISSING')}",
        ])

    def action_edit(self, field: str) -> None:
        name = self.current_key
        lv = getattr(self, "_lists", {}).get(name) if name else None
        if lv is None:
            self.notify("Select a list first.", severity="warning")
            return
        label = LABELS[field]

        def done(value: str | None) -> None:
            if value:
                self.run_in_thread(lambda: update_list(self.app.ws, name=name, **{field: value}),
                                   f"{label} saved for {name}.")

        self.app.push_screen(PromptModal(f"{label} — {name}", value=getattr(lv, field)), done)
