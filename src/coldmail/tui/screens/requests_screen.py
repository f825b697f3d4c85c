"""Requests: data-subject requests by deadline; the "where?" answer, an export, and answering one.

Answering (`m`) calls `privacy.requests.answer`, the one answer path the CLI uses too: an erasure
request erases the person and an objection suppresses them, in the same step as closing it."""

from __future__ import annotations

from textual import work
from textual.binding import Binding

from coldmail.privacy import requests as privacy
from coldmail.privacy import where as where_
from coldmail.store.states import RequestKind, RequestStatus
from coldmail.tui.markup import escape_cell
from coldmail.tui.markup import escape_text as E
from coldmail.tui.modals.text_modal import TextModal
from coldmail.tui.screens.base import TableScreen

# What `privacy.requests.answer` does for each kind, said before the key is pressed. The TUI keeps
# the answer in the records and does not email it (`coldmail requests answer N --send` does).
ANSWERING = {
    RequestKind.SOURCE: "keeps the \"where did you get my data?\" answer (w shows it) and closes the request",
    RequestKind.ACCESS: "keeps the answer with a copy of their data (Art. 15) and closes the request",
    RequestKind.ERASURE: "erases this person's data and keeps them suppressed",
    RequestKind.OBJECTION: "suppresses this person, so that no campaign writes to them again",
    RequestKind.RECTIFICATION: "keeps the \"your data has been corrected\" answer and closes the request: "
                               "correct the data first",
}


def what_answering_does(r: dict) -> str:
    """The detail pane's last line: what `m` will do for this request, or why it will not."""
    if r["status"] != RequestStatus.OPEN:
        return f"This request is {r['status']}."
    if not r["email"] and r["kind"] != RequestKind.ERASURE:
        return "This person was erased: there is no address left to answer."
    return f"[b]m[/b] answers: {ANSWERING.get(r['kind'], 'closes the request')}."


class RequestsScreen(TableScreen):
    NAV_NAME = "Req."
    COLUMNS = ("#", "Kind", "Email", "Status", "Due")
    KEEP = 5
    EMPTY = "No data-subject requests."
    BINDINGS = [
        Binding("w", "where", "Where? answer", id="requests.where"),
        Binding("m", "answer", "Answer", id="requests.answer"),
        Binding("e", "export", "Export", id="requests.export"),
    ]

    def fetch(self):
        self._rows = {str(r["id"]): r for r in privacy.list_requests(self.app.ws)}
        # "OVERDUE" alone for an overdue request (it is open): the email keeps its width at 80 columns.
        return [(k, (k, r["kind"], escape_cell(r["email"] or "(erased)"),
                     "OVERDUE" if r["overdue"] else r["status"], r["due_at"][:10]))
                for k, r in self._rows.items()]

    def detail(self, key):
        r = getattr(self, "_rows", {}).get(key)
        if r is None:
            return ""
        return "\n".join([f"[b]Request #{r['id']}[/b] ({r['kind']})", f"From: {E(r['email'] or '(erased)')}",
                          f"Received: {r['received_at'][:16]}", f"Due: {r['due_at'][:10]}"
                          + (" [red]OVERDUE[/red]" if r["overdue"] else ""), f"Status: {r['status']}", "",
                          "Press w for the ready-to-send answer to \"where did you get my data?\".",
                          what_answering_does(r)])

    def action_export(self) -> None:
        r = getattr(self, "_rows", {}).get(self.current_key or "")
        if not r or not r["email"]:
            return
        from coldmail.privacy import export as dsr

        out = self.app.ws.home / "exports" / f"{r['email']}.json"

        def write() -> None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(dsr.dumps(dsr.export(self.app.ws, r["email"])), encoding="utf-8")

        self.run_in_thread(write, f"Exported to {out}")

    def action_where(self) -> None:
        r = getattr(self, "_rows", {}).get(self.current_key or "")
        if r and r["email"]:
            self._load_where(r["email"])

    @work(thread=True, exclusive=True, exit_on_error=False, group="where")
    def _load_where(self, email: str) -> None:
        text = where_.where(self.app.ws, email)["text"]
        self.app.call_from_thread(
            lambda: self.app.push_screen(TextModal(f"Where did you get my data? — {email}", text)))

    def action_answer(self) -> None:
        """The one answer path shared with the CLI: erasure erases, objection suppresses. An erasure
        cannot be undone, so it is confirmed first (as the CLI asks at a terminal)."""
        key = self.current_key
        if not key:
            return

        def answer(yes: bool | None = True) -> None:
            if yes:
                self.run_in_thread(lambda: privacy.answer(self.app.ws, int(key)), f"Request #{key} answered.")

        r = getattr(self, "_rows", {}).get(key)
        if r and r["kind"] == RequestKind.ERASURE and r["status"] == RequestStatus.OPEN:
            from coldmail.tui.modals.confirm_modal import ConfirmModal

            who = r["email"] or "this erased person"
            question = f"Erase everything held about {who} (this cannot be undone)? The address stays suppressed."
            self.app.push_screen(ConfirmModal(question, yes="Erase"), answer)
        else:
            answer()
