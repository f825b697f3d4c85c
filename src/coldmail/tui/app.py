"""The coldmail terminal app: a sales rep's day, with the compliant path as the easy one."""

from __future__ import annotations

from collections.abc import Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import Input

from coldmail.store.workspace import Workspace
from coldmail.tui.screens.base import ErrorsAsNotifications
from coldmail.tui.screens.campaigns_screen import CampaignsScreen
from coldmail.tui.screens.contacts_screen import ContactsScreen
from coldmail.tui.screens.dashboard_screen import DashboardScreen
from coldmail.tui.screens.import_screen import ImportScreen
from coldmail.tui.screens.inbox_screen import InboxScreen
from coldmail.tui.screens.lists_screen import ListsScreen
from coldmail.tui.screens.requests_screen import RequestsScreen
from coldmail.tui.screens.suppression_screen import SuppressionScreen
from coldmail.tui.screens.templates_screen import TemplatesScreen

AREAS = [
    ("1", "dashboard", "Dashboard", DashboardScreen),
    ("2", "contacts", "Contacts", ContactsScreen),
    ("3", "lists", "Lists", ListsScreen),
    ("4", "campaigns", "Campaigns", CampaignsScreen),
    ("5", "inbox", "Inbox", InboxScreen),
    ("6", "suppression", "Suppression", SuppressionScreen),
    ("7", "requests", "Requests", RequestsScreen),
    ("8", "templates", "Templates", TemplatesScreen),
    ("9", "import", "Import", ImportScreen),
]


class ColdmailApp(ErrorsAsNotifications, App):
    """The nine areas as modes, the area keys and the command palette. Its own workers (the reports)
    report errors through the same mixin as the screens, since Worker.StateChanged does not bubble."""

    CSS_PATH = "app.tcss"
    TITLE = "coldmail"
    MODES = {mode: cls for _key, mode, _title, cls in AREAS}
    DEFAULT_MODE = "dashboard"
    # Screens get the class -narrow below 150 columns: app.tcss stacks the detail pane under the table,
    # which gets the whole width. Side by side, a table at 120 columns had less room than at 80.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (150, "-wide")]
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark,f1", "help", "Help", id="app.help"),
        # Out of a text field, so that the area keys (1-9, q) work again; shown in the footer only while
        # a field has the focus (check_action). Screens with a table bind Escape themselves (back to the
        # table) the same way, and take precedence.
        Binding("escape", "leave_field", "Leave field", id="app.leave_field"),
        *[Binding(key, f"switch_mode('{mode}')", title, id=f"app.{mode}", show=False) for key, mode, title, _ in AREAS],
    ]

    def __init__(self, ws: Workspace, *, mode: str | None = None):
        super().__init__()
        self.ws = ws
        # The header shows it as plain text (Content, not markup): no escaping here.
        self.sub_title = ws.config.controller.company or "no identity yet: run coldmail init"
        self._start_mode = mode

    def on_mount(self) -> None:
        if self._start_mode:
            self.switch_mode(self._start_mode)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_field":
            # Not for a field in a dialog or the command palette: Escape closes those, and the footer
            # under them keeps the screen's own keys (this one cut the Lists footer off).
            return isinstance(self.focused, Input) and not isinstance(self.screen, ModalScreen)
        return True

    def action_leave_field(self) -> None:
        self.screen.set_focus(None)

    def action_help(self) -> None:
        from coldmail.tui.modals.help_modal import HelpModal

        self.push_screen(HelpModal())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Command palette entries read "area: action"."""
        yield from super().get_system_commands(screen)
        for _key, mode, title, _cls in AREAS:
            yield SystemCommand(f"{title}: open", f"Go to {title.lower()}", lambda m=mode: self.switch_mode(m))
        actions = [
            ("Contacts: search", "contacts", "search"), ("Contacts: where did you get my data?", "contacts", "where"),
            ("Contacts: suppress", "contacts", "suppress"), ("Suppression: add", "suppression", "add"),
            ("Campaigns: new", "campaigns", "create"),
            ("Campaigns: dry run", "campaigns", "send(True)"), ("Campaigns: send", "campaigns", "send(False)"),
            ("Campaigns: pause or resume", "campaigns", "pause"), ("Inbox: confirm review item", "inbox", "confirm"),
            ("Requests: where answer", "requests", "where"), ("Requests: answer", "requests", "answer"),
            ("Lists: edit purpose", "lists", "edit('purpose')"),
        ]
        for title, mode, action in actions:
            yield SystemCommand(title, f"{mode} screen", lambda m=mode, a=action: self._in_mode(m, a))
        reports = [
            ("Deliverability: verify domains (MX)", "verify"), ("Deliverability: doctor (SPF, DKIM, DMARC)", "doctor"),
            ("Privacy: retention dry run", "retention"), ("Privacy: record of processing (Art. 30)", "records"),
            ("Privacy: full privacy notice (Art. 14)", "notice"),
        ]
        for title, which in reports:
            yield SystemCommand(title, "runs in the background, then shows the result",
                                lambda w=which, t=title: self._report(t, w))

    @work(thread=True, exit_on_error=False, group="report")
    def _report(self, title: str, which: str) -> None:
        """The CLI's reports, in a window: the same service functions, off the UI thread."""
        import asyncio

        from coldmail.deliverability import checks as deliverability
        from coldmail.privacy import records, retention
        from coldmail.privacy.notice import render_notice

        if which == "verify":
            r = asyncio.run(deliverability.verify(self.ws))
            # As the CLI: each flagged address named, not only the counts ("Flags: role 1").
            named = [("Undeliverable", r.undeliverable), *sorted(r.flagged_addresses.items())]
            text = (f"{r.contacts} contacts on {r.domains} domains ({r.looked_up} looked up):\n"
                    + "\n".join(f"  {k}: {v}" for k, v in sorted(r.by_status.items()))
                    + "\nFlags: " + (", ".join(f"{k} {v}" for k, v in sorted(r.flagged.items())) or "none")
                    + ("\n(role addresses reach a team, not a person; free-mail addresses are likely personal)"
                       if r.flagged else "")
                    + "".join(f"\n\n{label}:\n" + "\n".join(f"  {a}" for a in addrs)
                              for label, addrs in named if addrs))
        elif which == "doctor":
            text = "\n".join(f"{'ok ' if f.ok else 'FIX'} {f.check}: {f.detail}"
                             + (f"\n    -> {f.fix}" if f.fix else "")
                             for f in asyncio.run(deliverability.doctor(self.ws)))
        elif which == "retention":
            items = retention.retention_run(self.ws, dry_run=True)
            text = ("\n".join(f"{i.email}: {i.rule} (since {i.since:%Y-%m-%d})" for i in items)
                    or "Nothing is past its time.")
            text += "\n\nErase them with: coldmail retention run"
        elif which == "records":
            text = records.records(self.ws)
        else:
            text = render_notice(self.ws)
        from coldmail.tui.modals.text_modal import TextModal

        self.call_from_thread(lambda: self.push_screen(TextModal(title, text)))

    def _in_mode(self, mode: str, action: str) -> None:
        self.switch_mode(mode)
        self.call_after_refresh(lambda: self.screen.run_action(action))


def run(ws: Workspace, mode: str | None = None) -> None:
    ColdmailApp(ws, mode=mode).run()
