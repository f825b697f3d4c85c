"""The append-only, sealed audit log: what was done, by whom, to what (`log`: record, verify), what
an entry may hold (`schema`: people by fingerprint and rows by id, never free text), anchors kept
outside the database (`anchors`), and the one-time re-sealing of logs written by earlier releases
(`reseal`). Free text a person may need to read (a reason, a note) goes to `audit_notes`, which
erasure reaches."""

from coldmail.audit.log import entries_for, record, verify

__all__ = ["entries_for", "record", "verify"]
