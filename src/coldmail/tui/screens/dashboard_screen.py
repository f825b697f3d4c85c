"""Dashboard: campaign outcomes, messages sent per day, and the data-subject requests that are due."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Label, Sparkline

from coldmail.outreach import stats
from coldmail.privacy.requests import list_requests
from coldmail.tui.markup import escape_cell, escape_text
from coldmail.tui.screens.base import RowsLoaded, TableScreen


class PerDayLoaded(Message):
    def __init__(self, per_day: list[int]):
        super().__init__()
        self.per_day = per_day


class DashboardScreen(TableScreen):
    """Campaign outcomes, messages per day, and the requests that are due."""

    NAV_NAME = "Dash"
    COLUMNS = ("Campaign", "Status", "Sent", "Queued", "Replied", "Opt-out", "Bounce", "Complaint")
    KEEP = 2
    EMPTY = "No campaigns yet. Press 4 for campaigns, or run `coldmail demo`."

    def compose_top(self) -> ComposeResult:
        yield Label("Messages sent per day (last 14 days)", classes="caption")
        yield Sparkline([0], id="per-day")

    def fetch(self):
        ws = self.app.ws
        self.post_message(PerDayLoaded(stats.messages_per_day(ws)))
        rows = []
        for c in stats.campaign_stats(ws):
            pct = lambda n, c=c: f"{n} ({c.rate(n):.0%})"  # noqa: E731
            rows.append((c.name, (escape_cell(c.name), c.status, str(c.sent), str(c.queued), pct(c.replied),
                                  pct(c.opted_out), pct(c.bounced), pct(c.complaints))))
        return rows

    def on_per_day_loaded(self, message: PerDayLoaded) -> None:
        self.query_one("#per-day", Sparkline).data = message.per_day or [0]

    def detail(self, key):
        reqs = list_requests(self.app.ws, only_open=True)
        lines = [f"[b]{escape_text(key)}[/b]", "", "[b]Open requests[/b]"]
        if not reqs:
            lines.append("  none")
        for r in reqs:
            style = "red" if r["overdue"] else "default"
            who = escape_text(r["email"] or "(erased)")
            lines.append(f"  [{style}]#{r['id']} {r['kind']} {who} due {r['due_at'][:10]}"
                         f"{' OVERDUE' if r['overdue'] else ''}[/{style}]")
        return "\n".join(lines)

    def on_rows_loaded(self, message: RowsLoaded) -> None:  # (TableScreen's handler runs too)
        if not message.rows:
            self._load_detail("")
