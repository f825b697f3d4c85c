"""How a command ends when something goes wrong: a user-facing error exits with its code (1 or 2) and
one line; anything else is a bug (exit 3) logged without the arguments, which hold people's data."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

import coldmail.cli.suppression
from coldmail.cli import app
from coldmail.errors import BadInput, Conflict, DnsProblem, NotFound, SmtpProblem

ADDRESS = "ana.lopez@acme.example"
ARGS = ["suppression", "check", ADDRESS, "--json"]


def _run(monkeypatch, error: Exception):
    """Run `coldmail suppression check ADDRESS` with the workspace raising `error` inside the command."""

    def broken_workspace():
        raise error

    monkeypatch.setattr(coldmail.cli.suppression, "ws", broken_workspace)
    monkeypatch.setattr(sys, "argv", ["coldmail", *ARGS])  # what the old log line wrote out
    return CliRunner().invoke(app, ARGS)


@pytest.mark.parametrize("error", [
    NotFound("no list 'spring'"),
    BadInput("'a@@b' is not an address"),
    Conflict("request #3 was already answered"),
    SmtpProblem("the SMTP server refused the sender"),
    DnsProblem("no DNS resolver answered"),
])
def test_user_facing_errors_exit_with_their_code_and_one_line(monkeypatch, home, error):
    result = _run(monkeypatch, error)
    assert result.exit_code == type(error).exit_code
    assert result.stderr == f"coldmail: {error}\n"
    assert result.stdout == ""
    assert not (home / "coldmail.log").exists()


def test_exit_codes_are_1_or_2():
    assert {cls.exit_code for cls in (NotFound, BadInput, Conflict)} == {2}
    assert {cls.exit_code for cls in (SmtpProblem, DnsProblem)} == {1}


def _chained() -> Exception:
    """A bug raised while handling another, both quoting the address (as SQL errors quote parameters)."""
    try:
        raise KeyError(ADDRESS)
    except KeyError as cause:
        try:
            raise ValueError(f"no row for {ADDRESS}") from cause
        except ValueError as exc:
            return exc


@pytest.mark.parametrize("error", [
    ValueError(f"could not parse {ADDRESS}"),
    _chained(),
    LookupError(ADDRESS),
    KeyError(ADDRESS),
    BrokenPipeError(32, "Broken pipe"),  # a socket's, not stdout's: not a reader that went away
])
def test_any_other_error_is_a_bug_exit_3_logged_without_personal_data(monkeypatch, home, error):
    result = _run(monkeypatch, error)
    assert result.exit_code == 3
    log = home / "coldmail.log"
    assert result.stderr.startswith(f"coldmail: unexpected error: {type(error).__name__}: {error}")
    assert result.stderr.rstrip().endswith(f"Details: {log}")
    assert "Traceback" not in result.stderr

    text = log.read_text(encoding="utf-8")
    assert "coldmail suppression check" in text and type(error).__name__ in text
    assert "Traceback (most recent call last)" in text and "broken_workspace" in text
    assert ADDRESS not in text and "ana.lopez" not in text and str(error) not in text
    assert " ".join(ARGS) not in text and " ".join(sys.argv) not in text and "--json" not in text


def test_each_bug_is_appended(monkeypatch, home):
    _run(monkeypatch, ValueError("first"))
    _run(monkeypatch, TypeError("second"))
    text = (home / "coldmail.log").read_text(encoding="utf-8")
    assert text.count("\n--- ") + text.startswith("--- ") == 2
    assert text.index("coldmail suppression check: ValueError") < text.index("coldmail suppression check: TypeError")


def test_a_chained_bug_logs_every_exception_type(monkeypatch, home):
    _run(monkeypatch, _chained())
    text = (home / "coldmail.log").read_text(encoding="utf-8")
    assert "coldmail suppression check: ValueError\n" in text
    assert "raised from:" in text and "\nKeyError\n" in text and "_chained" in text
