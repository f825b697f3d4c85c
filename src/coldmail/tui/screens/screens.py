"""The rep's screens: dashboard, lists, campaigns, inbox, suppression, requests, templates, import."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    DataTable,
    DirectoryTree,
    Footer,
    Header,
    Input,
    Label,
    ProgressBar,
    Select,
    Sparkline,
    Static,
)

from coldmail.mail import lint, rendering
from coldmail.outreach import campaigns, stats
from coldmail.privacy import requests as privacy
from coldmail.privacy import where as where_
from coldmail.prospects import importing as prospects
from coldmail.replies import ingest as replies
from coldmail.suppression import register as suppression
from coldmail.tui.modals.prompt_modal import PromptModal
from coldmail.tui.modals.text_modal import TextModal
from coldmail.tui.screens.base import ErrorsAsNotifications, NavBar, TableScreen

E = escape


class DashboardScreen(TableScreen):
    """Campaign outcomes, messages per day, and the requests that are due."""

    NAV_NAME = "Dash"
    COLUMNS = ("Campaign", "Status", "Sent", "Queued", "Replied", "Opt-out", "Bounce", "Complaint")
    EMPTY = "No campaigns yet. Press 4 for campaigns, or run `coldmail demo`."

    def compose_top(self) -> ComposeResult:
        yield Label("Messages sent per day (last 14 days)", classes="caption")
        yield Sparkline([0], id="per-day")

    def fetch(self):
        ws = self.app.ws
        per_day = stats.messages_per_day(ws)
        self.app.call_from_thread(setattr, self.query_one("#per-day", Sparkline), "data", per_day or [0])
        rows = []
        for c in stats.campaign_stats(ws):
            pct = lambda n, c=c: f"{n} ({c.rate(n):.0%})"  # noqa: E731
            rows.append((c.name, (c.name, c.status, str(c.sent), str(c.queued), pct(c.replied), pct(c.opted_out),
                                  pct(c.bounced), pct(c.complaints))))
        return rows

    def detail(self, key):
        reqs = privacy.list_requests(self.app.ws, only_open=True)
        lines = [f"[b]{E(key)}[/b]", "", "[b]Open requests[/b]"]
        if not reqs:
            lines.append("  none")
        for r in reqs:
            style = "red" if r["overdue"] else "default"
            lines.append(f"  [{style}]#{r['id']} {r['kind']} {E(r['email'] or '(erased)')} due {r['due_at'][:10]}"
                         f"{' OVERDUE' if r['overdue'] else ''}[/{style}]")
        return "\n".join(lines)

    def on_rows_loaded(self, message):
        super().on_rows_loaded(message)
        if not message.rows:
            self._load_detail("")


class ListsScreen(TableScreen):
    NAV_NAME = "Lists"
    COLUMNS = ("List", "Contacts", "LIA", "Purpose")
    EMPTY = "No lists yet: import a CSV (press 9)."
    BINDINGS = [
        Binding("p", "edit('purpose')", "Purpose", id="lists.purpose"),
        Binding("a", "edit('lia_purpose')", "LIA: interest", id="lists.lia_purpose"),
        Binding("n", "edit('lia_necessity')", "LIA: necessity", id="lists.lia_necessity"),
        Binding("b", "edit('lia_balancing')", "LIA: balancing", id="lists.lia_balancing"),
    ]

    def fetch(self):
        return [(lv.name, (lv.name, str(lv.contacts), "complete" if lv.lia_complete else "MISSING", lv.purpose[:40]))
                for lv in prospects.all_lists(self.app.ws)]

    def detail(self, key):
        lv = prospects.get_list(self.app.ws, key)
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
        if not name:
            self.notify("Select a list first.", severity="warning")
            return
        lv = prospects.get_list(self.app.ws, name)
        label = {"purpose": "Purpose", "lia_purpose": "LIA 1: the legitimate interest",
                 "lia_necessity": "LIA 2: why email is necessary", "lia_balancing": "LIA 3: the balancing test"}[field]

        def done(value: str | None) -> None:
            if value:
                self.run_in_thread(lambda: prospects.update_list(self.app.ws, name=name, **{field: value}),
                                   f"{label} saved for {name}.")

        self.app.push_screen(PromptModal(f"{label} — {name}", value=getattr(lv, field)), done)


class CampaignsScreen(TableScreen):
    NAV_NAME = "Camp."
    COLUMNS = ("Campaign", "Status", "List", "Steps", "Queued", "Sent")
    EMPTY = "No campaigns yet: `coldmail campaign create NAME --list LIST --template first_touch`."
    BINDINGS = [
        Binding("n", "create", "New", id="campaigns.create"),
        Binding("y", "send(True)", "Dry run", id="campaigns.dry_run"),
        Binding("g", "send(False)", "Send", id="campaigns.send"),
        Binding("p", "pause", "Pause/resume", id="campaigns.pause"),
    ]

    def compose_top(self) -> ComposeResult:
        yield ProgressBar(id="send-progress", show_eta=False)

    def fetch(self):
        return [(c.name, (c.name, c.status, c.list_name, " > ".join(s.template for s in c.steps),
                          str(c.counts.get("queued", 0)), str(c.counts.get("sent", 0))))
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
        return "\n".join(lines)

    def action_create(self) -> None:
        """Name, list, then the steps (`first_touch, follow_up_1:4, follow_up_2:7`)."""
        lists = [lv.name for lv in prospects.all_lists(self.app.ws)]
        if not lists:
            self.notify("Import a list first (9).", severity="warning")
            return

        def got_name(name: str | None) -> None:
            if not name:
                return

            def got_list(list_name: str | None) -> None:
                if not list_name:
                    return

                def got_steps(steps: str | None) -> None:
                    if not steps:
                        return
                    parts = [p.strip() for p in steps.split(",") if p.strip()]

                    def create() -> None:
                        self.warn_lia(campaigns.create(self.app.ws, name=name, list_name=list_name.strip(),
                                                       template=parts[0], follow_ups=parts[1:]))

                    self.run_in_thread(create, f"Campaign {name} created.")

                self.app.push_screen(PromptModal("Steps: first template, then TEMPLATE:DAYS follow-ups",
                                                 value="first_touch, follow_up_1:4, follow_up_2:7"), got_steps)

            self.app.push_screen(PromptModal(f"Which list? ({', '.join(lists)})", value=lists[0]), got_list)

        self.app.push_screen(PromptModal("New campaign: its name", "e.g. freight-q1"), got_name)

    def action_pause(self) -> None:
        name = self.current_key
        if not name:
            return
        c = campaigns.get(self.app.ws, name)
        status = "active" if c.status == "paused" else "paused"
        self.run_in_thread(lambda: campaigns.set_status(self.app.ws, name, status, "paused in the TUI"),
                           f"{name}: {status}.")

    def action_send(self, dry: bool) -> None:
        name = self.current_key
        if not name:
            self.notify("Select a campaign first.", severity="warning")
            return
        if not dry and not self.app.ws.config.smtp.url:
            self.notify("No SMTP server configured: set [smtp] url in coldmail.toml.", severity="error")
            return
        self._run_send(name, dry)

    def warn_lia(self, view: campaigns.CampaignView) -> None:
        """From a worker thread: the CLI's warning when the campaign's list has no complete
        legitimate-interests assessment."""
        if view.lia_warning:
            self.app.call_from_thread(self.notify, f"{view.lia_warning}: record it on the Lists screen (3).",
                                      severity="warning", timeout=10)

    @work(exclusive=True, exit_on_error=False, group="send")
    async def _run_send(self, name: str, dry: bool) -> None:
        from coldmail.outreach.sending import send_campaign

        await asyncio.to_thread(lambda: self.warn_lia(campaigns.get(self.app.ws, name)))
        bar = self.query_one("#send-progress", ProgressBar)
        out = self.app.ws.home / "dry-run" / name if dry else None

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(bar.update, total=total, progress=done)

        summary = await asyncio.to_thread(
            lambda: asyncio.run(send_campaign(self.app.ws, name=name, dry_run_dir=out, on_progress=progress)))
        self.notify(E(" ".join([summary.headline(str(out) if dry else ""), *summary.details()[:4]])),
                    severity="warning" if summary.troubled else "information", timeout=10)
        self.action_reload()


class InboxScreen(TableScreen):
    NAV_NAME = "Inbox"
    COLUMNS = ("#", "Received", "From", "Kind", "Status", "Action")
    EMPTY = "No replies yet: `coldmail replies import PATH`."
    BINDINGS = [
        Binding("c", "confirm", "Confirm", id="inbox.confirm"),
        Binding("o", "override", "Override", id="inbox.override"),
        Binding("x", "dismiss_item", "Dismiss", id="inbox.dismiss"),
        Binding("u", "undo", "Undo suppression", id="inbox.undo"),
    ]

    def fetch(self):
        self._items = {str(r.id): r for r in replies.list_replies(self.app.ws)}
        return [(k, (k, f"{r.received_at:%m-%d %H:%M}", r.email or "-", r.kind + (f"/{r.request}" if r.request else ""),
                     r.status.upper() if r.status == "review" else r.status, r.action[:40]))
                for k, r in self._items.items()]

    def detail(self, key):
        r = getattr(self, "_items", {}).get(key)
        if r is None:
            return ""
        return "\n".join([f"[b]#{r.id}[/b] {E(r.subject)}", f"From: {E(r.email or '-')}",
                          f"Read as: {r.kind} (confidence {r.confidence:.2f})", f"Status: {r.status}",
                          f"Action: {E(r.action)}", "", "[b]Their words[/b]", E(r.excerpt or "(none)")])

    def _review_item(self):
        key = self.current_key
        item = getattr(self, "_items", {}).get(key) if key else None
        if item is None or item.status != "review":
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

        def done(kind: str | None) -> None:
            if kind:
                self.run_in_thread(lambda: replies.resolve(self.app.ws, item.id, as_kind=kind.strip(),
                                                           note="overridden in the TUI"), f"#{item.id} handled as {kind}.")

        self.app.push_screen(PromptModal(f"Handle #{item.id} as…", "opt_out, human, auto_reply, bounce_hard, data_request"),
                             done)

    def action_undo(self) -> None:
        key = self.current_key
        item = getattr(self, "_items", {}).get(key) if key else None
        if item is None or not item.email:
            return

        def done(reason: str | None) -> None:
            if reason:
                self.run_in_thread(lambda: replies.undo_suppression(self.app.ws, item.email, reason=reason),
                                   f"{item.email} is no longer suppressed.")

        self.app.push_screen(PromptModal(f"Undo the suppression of {item.email}", "Why was it wrong?"), done)


class SuppressionScreen(TableScreen):
    NAV_NAME = "Suppr."
    COLUMNS = ("Address or domain", "Reason", "Since", "By")
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
        return [(fp, (r.email or (f"@{r.domain}" if r.domain else f"(erased) {fp[:10]}…"), r.reason,
                      f"{r.since:%Y-%m-%d}", r.created_by)) for fp, r in self._rows.items()]

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


class RequestsScreen(TableScreen):
    NAV_NAME = "Req."
    COLUMNS = ("#", "Kind", "Email", "Status", "Due")
    EMPTY = "No data-subject requests."
    BINDINGS = [
        Binding("w", "where", "Where? answer", id="requests.where"),
        Binding("m", "answered", "Mark answered", id="requests.answered"),
        Binding("e", "export", "Export", id="requests.export"),
    ]

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

    def fetch(self):
        self._rows = {str(r["id"]): r for r in privacy.list_requests(self.app.ws)}
        return [(k, (k, r["kind"], r["email"] or "(erased)", ("OVERDUE " if r["overdue"] else "") + r["status"],
                     r["due_at"][:10])) for k, r in self._rows.items()]

    def detail(self, key):
        r = getattr(self, "_rows", {}).get(key)
        if r is None:
            return ""
        return "\n".join([f"[b]Request #{r['id']}[/b] ({r['kind']})", f"From: {E(r['email'] or '(erased)')}",
                          f"Received: {r['received_at'][:16]}", f"Due: {r['due_at'][:10]}"
                          + (" [red]OVERDUE[/red]" if r["overdue"] else ""), f"Status: {r['status']}", "",
                          "Press w for the ready-to-send answer to \"where did you get my data?\"."])

    def action_where(self) -> None:
        r = getattr(self, "_rows", {}).get(self.current_key or "")
        if r and r["email"]:
            self._load_where(r["email"])

    @work(thread=True, exit_on_error=False, group="where")
    def _load_where(self, email: str) -> None:
        answer = where_.where(self.app.ws, email)
        self.app.call_from_thread(self.app.push_screen, TextModal(f"Where did you get my data? — {email}", answer["text"]))

    def action_answered(self) -> None:
        key = self.current_key
        if key:
            self.run_in_thread(lambda: privacy.answer(self.app.ws, int(key)), f"Request #{key} answered.")


class TemplatesScreen(ErrorsAsNotifications, Screen):
    """Pick a template and a contact: the message exactly as it will be sent, with lint warnings."""

    BINDINGS = [Binding("ctrl+r", "render", "Render", id="templates.render")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar("Tmpl")
        with Horizontal(classes="toolbar"):
            yield Select([], prompt="Template", id="tpl")
            yield Input(placeholder="contact email (Enter to render)", id="tpl-to")
        with VerticalScroll(classes="detail-box"):
            yield Static("Choose a template and a contact.", id="preview")
        yield Footer()

    def on_mount(self) -> None:
        names = rendering.template_names(self.app.ws.home / "templates")
        self.query_one("#tpl", Select).set_options([(n, n) for n in names])
        if names:
            self.query_one("#tpl", Select).value = names[0]

    @on(Input.Submitted, "#tpl-to")
    @on(Select.Changed, "#tpl")
    def action_render(self, *_event) -> None:
        tpl = self.query_one("#tpl", Select).value
        to = self.query_one("#tpl-to", Input).value.strip()
        if tpl and to and tpl != Select.BLANK:
            self._render_preview(str(tpl), to)

    @work(thread=True, exclusive=True, exit_on_error=False, group="render")
    def _render_preview(self, tpl: str, to: str) -> None:
        issues = lint.check_all(self.app.ws.home / "templates", [tpl]).get(tpl, [])
        raw = rendering.compose_for(self.app.ws, template=tpl, email=to).raw.decode("ascii", "replace")
        msg = rendering.compose_for(self.app.ws, template=tpl, email=to).as_email()
        text = msg.get_body(("plain",)).get_content()
        head = raw.split("\r\n\r\n", 1)[0].replace("\r\n", "\n")
        warn = "\n".join(f"[yellow]{E(str(i))}[/yellow]" for i in issues) or "[green]No lint warnings.[/green]"
        self.app.call_from_thread(self.query_one("#preview", Static).update,
                                  f"{warn}\n\n[b]Headers[/b]\n{E(head)}\n\n[b]Text part[/b]\n{E(text)}")


class ImportScreen(ErrorsAsNotifications, Screen):
    """Pick a CSV, see how its columns map (and which are dropped), give defaults, import."""

    BINDINGS = [Binding("ctrl+o", "run_import", "Import", id="import.run")]  # not ctrl+i: that is Tab

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar("Import")
        with Horizontal(classes="body"):
            yield DirectoryTree(str(Path.cwd()), id="picker", classes="picker")
            with Vertical(classes="detail-box"):
                yield Input(placeholder="list name", id="imp-list")
                yield Input(placeholder="default source (e.g. company website)", id="imp-source")
                yield Input(placeholder="default justification (why these people)", id="imp-just")
                yield Button("Import", id="imp-go", variant="primary")
                yield ProgressBar(id="imp-progress", show_eta=False)
                with VerticalScroll():
                    yield Static("Choose a .csv file on the left.", id="imp-preview")
        yield Footer()

    @on(DirectoryTree.FileSelected)
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        self.path = Path(event.path)
        self._load_preview(self.path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview")
    def _load_preview(self, path: Path) -> None:
        stream, sample = prospects.preview_csv(path)
        lines = [f"[b]{E(path.name)}[/b]  {stream.encoding}, delimiter {stream.delimiter!r}", "", "[b]Columns[/b]"]
        lines += [f"  {E(orig)} -> {field}" if field else f"  [red]{E(orig)} -> not stored (minimisation)[/red]"
                  for orig, field in stream.headers.describe()]
        lines += ["", "[b]First rows[/b]"] + [f"  {E(str(row))}" for row in sample]
        self.app.call_from_thread(self.query_one("#imp-preview", Static).update, "\n".join(lines))

    @on(Button.Pressed, "#imp-go")
    def action_run_import(self) -> None:
        path = getattr(self, "path", None)
        name = self.query_one("#imp-list", Input).value.strip()
        if not path or not name:
            self.notify("Choose a file and give the list a name.", severity="warning")
            return
        self._run_import(path, name, self.query_one("#imp-source", Input).value, self.query_one("#imp-just", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def _run_import(self, path: Path, name: str, source: str, just: str) -> None:
        bar = self.query_one("#imp-progress", ProgressBar)
        result = prospects.import_csv(
            self.app.ws, path=path, list_name=name, source=source, justification=just,
            on_progress=lambda d, t: self.app.call_from_thread(bar.update, total=t, progress=d))
        lines = [f"[b]{E(result.headline())}[/b]", *(E(line) for line in result.details(limit=200))]
        self.app.call_from_thread(self.query_one("#imp-preview", Static).update, "\n".join(lines))
        self.app.call_from_thread(self.notify, f"{result.imported} contacts imported into {name}.")
