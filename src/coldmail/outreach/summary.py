"""What a send did (`SendSummary`), counted by the claim, the recording and the loop, and worded
once for the CLI, the TUI and `coldmail run`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class SendSummary:
    sent: int = 0
    skipped_suppressed: int = 0
    deferred: int = 0
    failed: int = 0
    unknown: int = 0
    blocked: int = 0
    planned: int = 0
    dry_run: bool = False
    reasons: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    stopped: str = ""
    # Due messages decided without a send (skipped, blocked, deferred): progress counts them too.
    settled: int = 0
    # The server could not be used (unreachable, 421, authentication refused): `send` exits 1.
    server_trouble: str = ""
    # When the first mailbox that is full, spaced out, down or paused has room again, and why.
    next_time: datetime | None = None
    next_reason: str = ""
    rotation: int = 0
    # A claim deferred a window's set up to its budget and committed: claim again for the rest.
    more_due: bool = False
    # The last message sent in this run: (message row id, step position, when), for `coldmail run`'s beat.
    last_sent: tuple[int, int, datetime] | None = None
    # Filled by `queue_status` after the run: messages still queued, the next due time and why.
    queued: int | None = None
    next_due: datetime | None = None
    next_due_reason: str = ""

    def wait(self, when: datetime, why: str) -> None:
        """Remember the earliest time a waiting mailbox has room again."""
        if self.next_time is None or when < self.next_time:
            self.next_time, self.next_reason = when, why

    def to_json(self) -> dict:
        return {
            "sent": self.sent,
            "skipped_suppressed": self.skipped_suppressed,
            "deferred": self.deferred,
            "failed": self.failed,
            "unknown": self.unknown,
            "blocked": self.blocked,
            "dry_run": self.dry_run,
            "deferral_reasons": {k: v for k, v in self.reasons.items() if v},
            "warnings": self.warnings,
            "stopped": self.stopped or None,
            "server_trouble": self.server_trouble or None,
            "queued": self.queued,
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "next_due_reason": self.next_due_reason or None,
        }

    def audit_detail(self) -> dict:
        """The counts, for the audit log (the reasons, which may quote a server, go to its note)."""
        return {"sent": self.sent, "skipped_suppressed": self.skipped_suppressed, "deferred": self.deferred,
                "failed": self.failed, "unknown": self.unknown, "blocked": self.blocked, "dry_run": self.dry_run,
                "stopped": bool(self.stopped), "server_trouble": bool(self.server_trouble)}

    @property
    def troubled(self) -> bool:
        """Something a person should look at: blocked, failed or unknown messages, or a stop."""
        return bool(self.blocked or self.failed or self.unknown or self.stopped or self.server_trouble)

    def headline(self, place: str = "") -> str:
        """One sentence for a person, the same in the CLI and the TUI (`place`: a dry run's folder)."""
        verb = (f"written to {place}" if place else "written as .eml files") if self.dry_run else "sent"
        parts = [f"{self.sent} {verb}", f"{self.skipped_suppressed} skipped (suppressed)", f"{self.deferred} deferred"]
        parts += [f"{n} {what}" for n, what in (
            (self.blocked, "blocked by country rules (no consent recorded)"), (self.failed, "failed"),
            (self.unknown, "unknown (flagged for review)")) if n]
        return ", ".join(parts) + "."

    def tail(self, now: datetime) -> str:
        """The last line of `send`: "N sent, M still queued, next due at HH:MM (reason)" (UTC; the
        date too when it is not today)."""
        verb = "written" if self.dry_run else "sent"
        line = f"{self.sent} {verb}, {self.queued or 0} still queued"
        if self.next_due is not None:
            when = max(self.next_due, now)
            day = "" if when.date() == now.date() else f" on {when:%Y-%m-%d}"
            line += f", next due at {when:%H:%M} UTC{day}"
            if self.next_due_reason:
                line += f" ({self.next_due_reason})"
        return line

    def details(self) -> list[str]:
        """Why messages wait, what to check, and why the run stopped."""
        lines = [f"deferred: {why} ({n})" for why, n in self.reasons.most_common() if n]
        if self.next_time is not None:
            lines.append(f"waiting: {self.next_reason} (until {self.next_time:%Y-%m-%d %H:%M} UTC)")
        lines += [f"check: {w}" for w in self.warnings]
        if self.server_trouble:
            lines.append(f"server: {self.server_trouble}")
        if self.stopped:
            lines.append(f"stopped: {self.stopped}")
        return lines
