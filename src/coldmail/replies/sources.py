"""Where replies come from on disk: .eml files, directories of them, mbox files and Maildirs, read
one message at a time; a file that cannot be read is reported, never raised."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from pathlib import Path

MAX_BYTES = 60 * 1024 * 1024  # larger files are reported, not read


def iter_sources(paths: list[Path]) -> Iterator[tuple[str, bytes | None, str]]:
    """(label, raw bytes or None, error) for every message under the given paths."""
    for path in paths:
        path = Path(path)
        if not path.exists():
            yield str(path), None, "no such file or directory"
        elif path.is_dir() and all((path / d).is_dir() for d in ("cur", "new", "tmp")):
            box = mailbox.Maildir(path, factory=None, create=False)
            for key in sorted(box.iterkeys()):
                try:
                    yield f"{path}#{key}", box.get_bytes(key), ""
                except Exception as exc:  # noqa: BLE001 - one bad file must not stop the rest
                    yield f"{path}#{key}", None, f"unreadable: {exc}"
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                yield from _file(child)
        else:
            yield from _file(path)


def _file(path: Path) -> Iterator[tuple[str, bytes | None, str]]:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            mb = 1024 * 1024
            yield str(path), None, f"too large ({size // mb} MB; the limit is {MAX_BYTES // mb} MB)"
            return
        with path.open("rb") as fh:
            head = fh.read(5)
        if head == b"From ":
            box = mailbox.mbox(path, factory=None, create=False)
            for i, key in enumerate(box.iterkeys()):
                try:
                    yield f"{path}#{i + 1}", box.get_bytes(key), ""
                except Exception as exc:  # noqa: BLE001
                    yield f"{path}#{i + 1}", None, f"unreadable: {exc}"
            return
        data = path.read_bytes()
        if data.strip():
            yield str(path), data, ""
        else:
            yield str(path), None, "empty file (0 bytes of mail)"
    except OSError as exc:
        yield str(path), None, f"unreadable: {exc.strerror or exc}"
