"""Campaigns: each campaign's steps, queue and state; create one, pause or resume it, dry-run or send it;
whether a sender (`coldmail run`) is running, what it last sent and what is next (refreshed every few seconds)."""

from __future__ import annotations

import asyncio

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import ProgressBar, Static

from coldmail.outreach import campaigns, senders, variables
from coldmail.prospects.lists import all_lists
from coldmail.store.states import CampaignStatus
from coldmail.tui.markup import escape_cell
from coldmail.tui.markup import escape_text as E
from coldmail.tui.modals.prompt_modal import PromptModal
from coldmail.tui.screens.base import ProgressReported, TableScreen


class CampaignsScreen(TableScreen):
    NAV_NAME = "Camp."
    # The counts before the steps, whose names run long (the detail pane lists them too).
    COLUMNS = ("Campaign", "Status", "Queued", "Sent", "List", "Steps")
    KEEP = 2
    EMPTY = "No campaigns yet: `coldmail campaign create NAME --list LIST --template first_touch`."
    BINDINGS = [
        Binding("n", "create", "New", id="campaigns.create"),
        Binding("y", "send(True)", "Dry run", id="campaigns.dry_run"),
        Binding("g", "send(False)", "Send", id="campaigns.send"),
        Binding("p", "pause", "Pause/resume", id="campaigns.pause"),
        Binding("r", "toggle_sender", "Sender", id="campaigns.run"),
    ]
    _runner = None  # the sender this screen runs (`coldmail run` in a thread), if any
    _last_runs: dict[str, list[str]] = {}  # campaign -> the summary of its last send or dry run here (replaced)

    STATUS_EVERY = 5.0  # seconds between refreshes of the sender's status

    class SenderStatusLoaded(Message):
        def __init__(self, lines: list[str]):
            super().__init__()
            self.lines = lines

    def compose_top(self) -> ComposeResult:
        yield Static("Sender: …", id="sender-status", markup=False)
        yield ProgressBar(id="send-progress", show_eta=False)

    def on_mount(self) -> None:  # (Textual calls TableScreen.on_mount too: each class's handler runs)
        self.set_interval(self.STATUS_EVERY, self._load_status)

    def on_unmount(self) -> None:
        if self._runner is not None:
            self._runner.stop()

    def action_toggle_sender(self) -> None:
        """Run the sender here while the screen is open (as `coldmail run` does), or stop it."""
        from coldmail.outreach.runner import Runner

        if self._runner is not None:
            self._runner.stop()
            self.notify("Stopping the sender (the message in flight finishes)…", markup=False)
            return
        if not (self.app.ws.config.smtp.url or self.app.ws.config.mailboxes):
            self.notify("No SMTP server configured: `coldmail mailbox add` or [smtp] url in coldmail.toml.",
                        severity="error", markup=False)
            return
        self._runner = Runner(self.app.ws, log=lambda line: None)
        self._run_sender(self._runner)
        self.notify("Sender started: it sends as messages fall due; r stops it.", markup=False)

    @work(exclusive=True, exit_on_error=False, group="sender")
    async def _run_sender(self, runner) -> None:
        try:
            summary = await asyncio.to_thread(lambda: asyncio.run(runner.run()))
            self.notify(f"Sender stopped: {summary.sent} sent, {summary.failed} failed, {summary.unknown} unknown, "
                        f"{summary.replies} replies read.", markup=False)
        finally:
            self._runner = None
            self.action_reload()

    def action_reload(self) -> None:
        super().action_reload()
        self._load_status()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sender-status")
    def _load_status(self) -> None:
        self.post_message(self.SenderStatusLoaded(senders.status_lines(self.app.ws)))

    def on_campaigns_screen_sender_status_loaded(self, message: SenderStatusLoaded) -> None:
        width = max(self.size.width - 2, 20)
        self.query_one("#sender-status", Static).update(
            "\n".join(line if len(line) <= width else line[:width - 1] + "…" for line in message.lines))

    def fetch(self):
        return [(c.name, (escape_cell(c.name), c.status, str(c.counts.get("queued", 0)), str(c.counts.get("sent", 0)),
                          escape_cell(c.list_name), escape_cell(" > ".join(s.template for s in c.steps))))
                for c in campaigns.all_campaigns(self.app.ws)]

    def detail(self, key):
        c = campaigns.get(self.app.ws, key)
        sched = campaigns.schedule(self.app.ws, key, limit=30)
        lines = [f"[b]{E(c.name)}[/b] from {E(c.sender_email)} — {c.status}"
                 + (f" [red]({E(c.pause_reason)})[/red]" if c.pause_reason else ""),
                 f"List: {E(c.list_name)} — " + (
                     f"[red]legitimate-interests assessment incomplete (missing: {', '.join(c.lia_missing)}): "
                     "record it on the Lists screen (3)[/red]" if c.lia_missing
                     else "legitimate-interests assessment complete"), "",
                 "[b]Steps[/b]"]
        lines += [f"  {s.position + 1}. {E(s.template)}" + (f" after {s.delay_days} days" if s.position else "")
                  for s in c.steps]
        lines += ["", "[b]By state[/b]"] + [f"  {k}: {v}" for k, v in sorted(c.counts.items())]
        lines += ["", "[b]Queue (next 30)[/b]"]
        lines += [f"  {r['not_before'][:16]} step {r['step'] + 1} {E(r['email'] or '-')}"
                  + (f" — {E(r['reason'])}" if r["reason"] else "") for r in sched] or ["  empty"]
        if last := self._last_runs.get(key):
            lines += ["", "[b]Last run here[/b]", *(f"  {E(line)}" for line in last)]
        return "\n".join(lines)

    def action_create(self) -> None:
        """Name, list, then the steps (`first_touch, follow_up_1:4, follow_up_2:7`).

        The name prompt opens at once; the lists to choose from are read in a worker after it."""

        def got_name(name: str | None) -> None:
            if name:
                self._ask_for_list(name)

        self.app.push_screen(PromptModal("New campaign: its name", "e.g. freight-q1"), got_name)

    @work(thread=True, exclusive=True, exit_on_error=False, group="create")
    def _ask_for_list(self, name: str) -> None:
        lists = [lv.name for lv in all_lists(self.app.ws)]
        if not lists:
            self.app.call_from_thread(self.notify, "Import a list first (9).", severity="warning")
            return
        self.app.call_from_thread(self._prompt_list, name, lists)

    def _prompt_list(self, name: str, lists: list[str]) -> None:
        def got_list(list_name: str | None) -> None:
            if list_name:
                self.app.push_screen(PromptModal("Steps: first template, then TEMPLATE:DAYS follow-ups",
                                                 value="first_touch, follow_up_1:4, follow_up_2:7"),
                                     lambda steps: self._create(name, list_name.strip(), steps))

        self.app.push_screen(PromptModal(f"Which list? ({', '.join(lists)})", value=lists[0]), got_list)

    @work(thread=True, exclusive=True, exit_on_error=False, group="create")
    def _create(self, name: str, list_name: str, steps: str | None) -> None:
        """Then the campaign variables its templates use (`--var` in the CLI), one prompt each."""
        parts = [p.strip() for p in (steps or "").split(",") if p.strip()]
        if not parts:
            return
        names = [parts[0]] + [campaigns.parse_follow_up(p)[0] for p in parts[1:]]  # a bad step: said now
        asked = list(variables.asked_by(names, self.app.ws.home / "templates").items())
        self.app.call_from_thread(self._ask_variables, name, list_name, parts, asked, {})

    def _ask_variables(self, name: str, list_name: str, parts: list[str], asked: list[tuple[str, bool]],
                       given: dict[str, str]) -> None:
        if not asked:
            def create() -> None:
                self.warn_lia(campaigns.create(self.app.ws, name=name, list_name=list_name, template=parts[0],
                                               follow_ups=parts[1:], variables=given))

            self.run_in_thread(create, f"Campaign {name} created.")
            return
        (var, required), rest = asked[0], asked[1:]

        def got(value: str | None) -> None:
            if value is None and required:
                self.notify(f"Campaign {name} not created: its templates need {var}.", severity="warning",
                            markup=False)
                return
            self._ask_variables(name, list_name, parts, rest, {**given, **({var: value} if value else {})})

        hint = "needed by its templates" if required else "optional: Escape skips it"
        self.app.push_screen(PromptModal(f"Campaign variable {var} ({hint})", "one line, e.g. route planning"), got)

    def action_pause(self) -> None:
        name = self.current_key
        if not name:
            return

        def toggle() -> str:
            # Read in the worker too: a guard may have paused the campaign since the table was loaded.
            paused = campaigns.get(self.app.ws, name).status == CampaignStatus.PAUSED
            status = CampaignStatus.ACTIVE if paused else CampaignStatus.PAUSED
            campaigns.set_status(self.app.ws, name, status, "paused in the TUI")
            return f"{name}: {status}."

        self.run_in_thread(toggle)

    def action_send(self, dry: bool) -> None:
        name = self.current_key
        if not name:
            self.notify("Select a campaign first.", severity="warning")
            return
        if not dry and not (self.app.ws.config.smtp.url or self.app.ws.config.mailboxes):
            self.notify("No SMTP server configured: `coldmail mailbox add` or [smtp] url in coldmail.toml.",
                        severity="error", markup=False)
            return
        self._run_send(name, dry)

    def warn_lia(self, view: campaigns.CampaignView) -> None:
        """From a worker thread: the CLI's warning when the campaign's list has no complete
        legitimate-interests assessment."""
        if view.lia_warning:
            self.app.call_from_thread(self.notify, f"{view.lia_warning}: record it on the Lists screen (3).",
                                      severity="warning", timeout=10, markup=False)

    def on_progress_reported(self, message: ProgressReported) -> None:
        bar = self.query_one("#send-progress", ProgressBar)
        bar.add_class("-running")  # an idle bar is not drawn, so it never animates "--%"
        bar.update(total=message.total, progress=message.done)

    @work(exclusive=True, exit_on_error=False, group="send")
    async def _run_send(self, name: str, dry: bool) -> None:
        """An async worker: the database work and SMTP run in a thread it awaits."""
        from coldmail.outreach.sending import send_campaign

        await asyncio.to_thread(lambda: self.warn_lia(campaigns.get(self.app.ws, name)))
        out = self.app.ws.home / "dry-run" / name if dry else None

        def progress(done: int, total: int) -> None:
            self.post_message(ProgressReported(done, total))

        summary = await asyncio.to_thread(
            lambda: asyncio.run(send_campaign(self.app.ws, name=name, dry_run_dir=out, on_progress=progress)))
        headline, details = summary.headline(str(out) if dry else ""), summary.details()
        # The whole summary goes to the detail pane (the country rules' checks run long); the
        # notification stays short enough to read at 80x24.
        self._last_runs = {**self._last_runs, name: [headline, *details]}
        more = f" {len(details)} more line(s) in the detail pane." if details else ""
        self.notify(headline + more, severity="warning" if summary.troubled else "information", timeout=10,
                    markup=False)
        self.action_reload()
