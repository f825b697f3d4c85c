"""What an audit entry may hold: people by fingerprint, rows by id, and codes. Enforced where
entries are written, so that no address, name or reply text can enter the append-only log, where
erasure could never reach it. Anything a person wrote goes to the entry's note (`audit_notes`),
which erasure deletes."""

from __future__ import annotations

import re

from coldmail.errors import ColdmailError


class AuditSchemaError(ColdmailError, ValueError):
    """A bug: code tried to write free text or personal data into the audit log."""

    exit_code = 3


_HEX = r"[0-9a-f]{64}"
SUBJECT = re.compile(rf"(?:fp:{_HEX}|(?:campaign|list|request|reply|message|mailbox):\d+|"
                     r"controller|retention|audit|keys|list:\*|)")
# Codes: kinds, statuses, languages, field and template names, reasons from a fixed vocabulary.
CODE = re.compile(r"[A-Za-z0-9_.:+\-]{0,64}")
# A label the rep chose for a list, campaign or template: kept, but never anything address-like.
LABEL = re.compile(r"[^@\n\r]{0,100}")
LABEL_KEYS = frozenset({"name", "list", "campaign", "template", "steps", "mailbox"})
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:[+-]\d{2}:\d{2}|Z)?)?")


def _check_value(key: str, value, path: str) -> None:
    if value is None or isinstance(value, bool | int | float):
        return
    if isinstance(value, str):
        if key in LABEL_KEYS:
            ok = LABEL.fullmatch(value)
        else:
            ok = CODE.fullmatch(value) or ISO_TIME.fullmatch(value) or re.fullmatch(rf"fp:{_HEX}", value)
        if not ok:
            raise AuditSchemaError(f"audit detail {path!r} may hold only a code, an id or a time, not {value[:40]!r}")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_value(key, item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str) or not CODE.fullmatch(k):
                raise AuditSchemaError(f"audit detail {path!r} has a key that is not a code: {str(k)[:40]!r}")
            _check_value(k, v, f"{path}.{k}")
        return
    raise AuditSchemaError(f"audit detail {path!r} has a {type(value).__name__}")


def check(subject: str, detail: dict) -> None:
    """Raise AuditSchemaError unless the entry names people by fingerprint and rows by id only."""
    if not SUBJECT.fullmatch(subject):
        raise AuditSchemaError(f"audit subject {subject[:40]!r} is not a fingerprint, an id or a fixed word")
    for key, value in detail.items():
        if not CODE.fullmatch(key):
            raise AuditSchemaError(f"audit detail key {key[:40]!r} is not a code")
        _check_value(key, value, key)
