"""Inbox: imported replies and what was done about each; confirm, override or dismiss the ones held for review."""

from __future__ import annotations

from textual.binding import Binding

from coldmail.replies import review as replies
from coldmail.store.states import ReplyStatus
from coldmail.suppression import register as suppression
from coldmail.tui.markup import escape_cell
from coldmail.tui.markup import escape_text as E
from coldmail.tui.modals.prompt_modal import PromptModal
from coldmail.tui.screens.base import TableScreen, clip

# What a review item may be handled as, in the Kind column's words (a request with its kind)
OVERRIDE_CHOICES = "opt_out, human, auto_reply, bounce_hard,\ndata_request/erasure, data_request/access or data_request/source"


class InboxScreen(TableScreen):
    NAV_NAME = "Inbox"
    COLUMNS = ("#", "Kind", "Lang", "Status", "From", "Received", "Date", "Action")
    # Who and what first; then when (the day only if the time does not fit), the language, the action.
    PRIORITY = ("#", "Kind", "Status", "From", ("Received", "Date"), "Lang", "Action")
    KEEP = 4
    EMPTY = "No replies yet: `coldmail replies import PATH`."
    BINDINGS = [
        Binding("c", "confirm", "Confirm", id="inbox.confirm"),
        Binding("o", "override", "Override", id="inbox.override"),
        Binding("x", "dismiss_item", "Dismiss", id="inbox.dismiss"),
        Binding("u", "undo", "Undo suppression", id="inbox.undo"),
    ]

    def fetch(self):
        self._items = {str(r.id): r for r in replies.list_replies(self.app.ws)}
        return [(k, {"#": k, "Kind": r.kind + (f"/{r.request}" if r.request else ""), "Lang": r.language or "-",
                     "Status": r.status.upper() if r.status == ReplyStatus.REVIEW else r.status,
                     "From": escape_cell(r.email or "-"), "Received": f"{r.received_at:%m-%d %H:%M}",
                     "Date": f"{r.received_at:%m-%d}", "Action": escape_cell(clip(r.action, 40))})
                for k, r in self._items.items()]

    def detail(self, key):
        r = getattr(self, "_items", {}).get(key)
        if r is None:
            return ""
        return "\n".join([f"[b]#{r.id}[/b] {E(r.subject)}", f"From: {E(r.email or '-')}",
                          f"Read as: {r.kind}" + (f"/{r.request}" if r.request else "")
                          + f" (confidence {r.confidence:.2f})" + (f", in {r.language}" if r.language else ""),
                          f"Why: {E(r.why or '-')}", f"Received: {r.received_at:%Y-%m-%d %H:%M}", f"Status: {r.status}",
                          f"Action: {E(r.action)}", "", "[b]Their words[/b]", E(r.excerpt or "(none)")])

    def _review_item(self):
        key = self.current_key
        item = getattr(self, "_items", {}).get(key) if key else None
        if item is None or item.status != ReplyStatus.REVIEW:
            self.notify("Select an item waiting for review.", severity="warning")
            return None
        return item

    def action_confirm(self) -> None:
        if item := self._review_item():
            self.run_in_thread(lambda: replies.resolve(self.app.ws, item.id, note="confirmed in the TUI"),
                               f"#{item.id} confirmed.")

    def action_dismiss_item(self) -> None:
        if item := self._review_item():
            self.run_in_thread(lambda: replies.resolve(self.app.ws, item.id, dismiss=True, note="dismissed in the TUI"),
                               f"#{item.id} dismissed.")

    def action_override(self) -> None:
        if not (item := self._review_item()):
            return

        def done(answer: str | None) -> None:
            if answer:
                # "data_request/erasure", as the Kind column writes it: a request names its kind (a bare
                # "data_request" had opened a source request, whatever the reply asked)
                kind, _, request = (part.strip() for part in answer.partition("/"))
                self.run_in_thread(lambda: replies.resolve(self.app.ws, item.id, as_kind=kind, request=request or None,
                                                           note="overridden in the TUI"),
                                   f"#{item.id} handled as {answer.strip()}.")

        self.app.push_screen(PromptModal(f"Handle #{item.id} as…\n{OVERRIDE_CHOICES}", "data_request/erasure"),
                             done)

    def action_undo(self) -> None:
        key = self.current_key
        item = getattr(self, "_items", {}).get(key) if key else None
        if item is None or not item.email:
            return

        def done(reason: str | None) -> None:
            if reason:
                self.run_in_thread(lambda: suppression.undo(self.app.ws, item.email, reason=reason),
                                   f"{item.email} is no longer suppressed.")

        self.app.push_screen(PromptModal(f"Undo the suppression of {item.email}", "Why was it wrong?"), done)
