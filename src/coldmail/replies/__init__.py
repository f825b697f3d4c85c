"""Incoming mail: where it comes from, how it is read, and what it does.

    sources.py   .eml files, directories, mbox files, Maildirs
    imap.py      the new messages of an IMAP mailbox
    classify/    reading one message: bounces, complaints, auto-replies, quotes, intent (no database)
    matching.py  which contact and which message of ours a message is about
    effects.py   apply: suppress, open a data request, stop follow-ups, postpone
    ingest.py    ingest_one, import_paths and ImportedReply (its wording for the CLI and the TUI)
    review.py    ReplyView, list_replies, and resolve for the review queue

May import store, suppression, privacy (requests), outreach (guards) and mail (templates); never the faces.
Undoing a wrong suppression lives with the register: `coldmail.suppression.register.undo`."""
