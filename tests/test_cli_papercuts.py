"""Papercuts a new user hit on the command line (issue 20)."""

from __future__ import annotations

import email
import email.policy
import os
import pty
import subprocess
import sys

from coldmail.cli.setup import reopen_command
from coldmail.store.states import ReplyKind


def test_help_keeps_whole_first_lines(cli):
    out = cli("--help").stdout
    assert "The Art. 15(3) copy as JSON" in out
    assert "Print the full Art. 14 privacy notice" in out
    assert "Art.\n" not in out
    # Each summary is a whole sentence: not a docstring's first physical line ("reported with its"),
    # nor click's 45-character cut of a group's help ("Mailboxes to send from (passwords come from...").
    summaries = " ".join(out.split("Commands:")[1].split())
    assert "..." not in summaries
    assert "Import prospects from a CSV file. where" in summaries
    assert "see `coldmail run`. render" in summaries


def test_lists_set_says_created_then_updated(ws, cli):
    assert "'fresh' created" in cli("lists", "set", "fresh", "--purpose", "Sell tools").stderr
    assert "'fresh' updated" in cli("lists", "set", "fresh", "--roles", "ops").stderr


def test_replies_resolve_names_the_kinds(ws, cli):
    kinds = [k.value for k in ReplyKind]
    assert all(k in " ".join(cli("replies", "resolve", "--help").stdout.split()) for k in kinds)
    done = cli("replies", "resolve", "1", "--as", "spam")
    assert done.returncode == 2 and ", ".join(kinds) in done.stderr


def _at_a_terminal(args: list[str], answer: bytes) -> tuple[int, str]:
    """Run coldmail with a terminal as stdin, answering `answer`; returns (exit code, stderr)."""
    master, slave = pty.openpty()
    os.write(master, answer)
    done = subprocess.run([sys.executable, "-m", "coldmail", *args], stdin=slave, capture_output=True,
                          text=True, timeout=60)
    os.close(slave)
    os.close(master)
    return done.returncode, done.stderr


def test_erase_asks_at_a_terminal_and_not_in_scripts(ws, cli, tmp_path):
    (tmp_path / "p.csv").write_text("email,source,justification\nana@acme.example,web,fit\nbo@acme.example,web,fit\n")
    assert cli("import", str(tmp_path / "p.csv"), "--list", "l").returncode == 0
    code, err = _at_a_terminal(["erase", "ana@acme.example"], b"n\n")
    assert code == 1 and "cannot be undone" in err and "Nothing was done" in err
    assert cli("contacts", "show", "ana@acme.example").returncode == 0
    code, err = _at_a_terminal(["erase", "ana@acme.example"], b"y\n")
    assert code == 0 and "Erased the contact" in err
    code, err = _at_a_terminal(["erase", "--yes", "bo@acme.example"], b"")
    assert code == 0 and "cannot be undone" not in err
    assert cli("erase", "nobody@acme.example").returncode == 0  # no terminal: acts at once, as before


def test_the_demo_prints_a_command_that_works(tmp_path, monkeypatch):
    """Run as shown, by a shell whose PATH lacks the virtualenv (the demo's own PATH lacks it too)."""
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    line = reopen_command(tmp_path / "a b")
    assert line.startswith(f"COLDMAIL_HOME='{tmp_path / 'a b'}' ")
    done = subprocess.run(["/bin/sh", "-c", line + " --version"], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0 and done.stdout.startswith("coldmail "), done.stderr


def test_the_demo_without_a_terminal_does_not_wait_in_the_tui(tmp_path):
    """Found when a helper ran `coldmail demo` in a script: the TUI ran for 12 minutes, waiting for keys."""
    done = subprocess.run([sys.executable, "-m", "coldmail", "demo", "--home", str(tmp_path / "d")],
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "Not a terminal" in done.stderr and "Open it again:" in done.stdout
    # What each recipient received is kept, to be read as they would read it: the notice of where their
    # details came from is in the first email, and the opt-out beside it.
    sent = sorted((tmp_path / "d" / "sent").glob("*.eml"))
    assert f"As they received it (open one in a mail client): {tmp_path / 'd' / 'sent'}" in done.stdout
    assert len(sent) == 6 and sent[2].name == "03-claire.martin@transports-martin.example.eml"
    msg = email.message_from_bytes(sent[2].read_bytes(), policy=email.policy.default)
    assert msg["To"] == "Claire Martin <claire.martin@transports-martin.example>" and msg["List-Unsubscribe"]
    text = msg.get_body(("plain",)).get_content()
    assert "Nous avons trouvé vos coordonnées via : speaker list of Logistics Paris 2026" in text
    assert "répondez simplement « non merci »" in text
    # Claire is in France: she reads French from the first line to the notice, never "I'm writing to
    # you as Directrice logistique at Transports Martin" above a French notice.
    assert msg["Subject"] == "Une question sur vos opérations chez Transports Martin"
    assert msg["Content-Language"] == "fr"
    assert text.startswith("Bonjour Claire,\r\n") and ("Je vous écris en votre qualité de Directrice logistique, car "
                                                      "je pense que notre travail pourrait vous être utile chez "
                                                      "Transports Martin.") in text
    assert "I'm writing to you" not in text and "Where your details came from" not in text
    hana = email.message_from_bytes(sent[0].read_bytes(), policy=email.policy.default)  # in the UK: English
    assert hana["Subject"] == "A question about Freightly's operations"
    hana_text = hana.get_body(("plain",)).get_content()
    assert "I'm writing to you as Head of Operations at Freightly" in hana_text
    assert 'just reply "no thanks"' in hana_text and "Where your details came from" in hana_text
