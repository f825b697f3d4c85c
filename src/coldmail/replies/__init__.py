"""Incoming mail: sources (files, mbox, Maildir, IMAP), reading (`classify`: quotes, bounces,
complaints, auto-replies, intent), effects (suppress, open a request, stop follow-ups) and the
review queue."""
