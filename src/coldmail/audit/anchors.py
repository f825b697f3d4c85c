"""Anchors: the log's head ("entry id:hash") kept outside the database, by the DPO or in a file.
`check` finds the anchored entry unchanged in the current log, so deleting the newest entries or
rewriting the log (even with the key) is caught."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from coldmail.audit import log
from coldmail.errors import BadInput
from coldmail.store.models import AuditEntry, utcnow

ANCHOR = re.compile(r"(\d+):([0-9a-f]{64})")


@dataclass(frozen=True)
class Anchor:
    entry_id: int
    hash: str

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.hash}"


def head(session: Session) -> Anchor | None:
    result = log.verify(session)
    if not result.head:
        return None
    entry_id, _, digest = result.head.partition(":")
    return Anchor(int(entry_id), digest)


def append(path: Path, anchor: Anchor) -> None:
    """Add the anchor to a file of anchors, one a line with the time it was taken."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"{anchor} {utcnow().isoformat()}\n")


def read(value: str) -> list[Anchor]:
    """Anchors from a value ("ID:HASH") or from a file of them (every line checked)."""
    path = Path(value)
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else [value]
    found = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        m = ANCHOR.match(line.strip())
        if m is None:
            where = f"{path}, line {n}" if path.is_file() else "--anchor"
            raise BadInput(f"{where}: an anchor looks like 42:<64 hex digits>, got {line.strip()[:80]!r}")
        found.append(Anchor(int(m.group(1)), m.group(2)))
    if not found:
        raise BadInput(f"{value}: no anchors in it")
    return found


def check(session: Session, anchors: list[Anchor]) -> list[str]:
    """Problems: an anchored entry that is missing or whose hash changed."""
    problems = []
    resealed = _resealed_from(session)
    for anchor in anchors:
        if resealed == (anchor.entry_id, anchor.hash):
            continue  # the old log's head, which the re-sealed log chains to
        entry = session.get(AuditEntry, anchor.entry_id)
        if entry is None:
            problems.append(f"anchor {anchor.entry_id}: that entry is gone (the newest entries were removed)")
        elif entry.hash != anchor.hash:
            problems.append(f"anchor {anchor.entry_id}: the entry's hash changed (the log was rewritten)")
    return problems


def _resealed_from(session: Session) -> tuple[int, str] | None:
    """(id, hash) of the old log's head, when this log was re-sealed from a log of an earlier release."""
    import json

    first = session.get(AuditEntry, 1)
    if first is None or first.action != "audit.reseal":
        return None
    detail = json.loads(first.detail)
    return detail.get("old_head_id"), detail.get("old_head_hash")
