"""The errors a person can act on. The CLI maps `ColdmailError` subclasses to exit codes (`exit_code`);
anything else that escapes a command is a bug: exit code 3, with the traceback in the log.

No imports: the import's reader process and `addresses` load this module on their own."""

from __future__ import annotations


class ColdmailError(Exception):
    """Base of every user-facing error. The message is shown as it is, so it names the row, the
    field, the file or the thing that was not found."""

    exit_code = 2


class BadInput(ColdmailError, ValueError):
    """An argument, a file or a value that cannot be used as given."""


class NotFound(ColdmailError, LookupError):
    """No such contact, list, campaign, template, request, reply or account."""


class Conflict(BadInput):
    """The request contradicts the current state (already exists, already answered, too late...)."""


class ConfigError(BadInput):
    """The workspace configuration is missing or unreadable; the message names the file."""


class TemplateProblem(BadInput):
    """A template is missing, broken, or asks for a value the contact does not have."""


class SmtpProblem(ColdmailError):
    """The mail server could not be used (unreachable, refused authentication or the sender).
    Exit code 1: the command ran, but messages could not be delivered because of the server."""

    exit_code = 1


class DnsProblem(ColdmailError):
    """A DNS lookup could not be made (no resolver, timeout)."""

    exit_code = 1
