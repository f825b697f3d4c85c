"""The commands that must answer in a blink (`suppression check`, `contacts show`, `where`) take a short way:
no typer parsing (`cli/_fast.py`) and no SQLAlchemy (`cli/_light.py`). These tests hold that the
short way gives the long way's answer, falls back whenever it cannot be sure, and loads neither
SQLAlchemy nor pydantic. benchmarks/bench_startup.py measures the time itself."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from coldmail.cli import _light
from coldmail.cli.contacts import human_lines
from coldmail.prospects.importing import import_csv
from coldmail.store import config, db, keys
from coldmail.suppression import register
from conftest import write_csv

ROWS = """email,first_name,last_name,company,country,source,justification
ana@acme.example,Ana,Lopez,Acme,ES,website,Runs logistics
bo@corp.example,Bo,Berg,Corp,SE,website,Runs fleet
"""

LONG_WAY = "import sys; from coldmail.cli.root import main; sys.argv[0] = 'coldmail'; main()"
SHORT_WAY = ("import sys; from coldmail.cli import main\n"
             "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
             "print('LOADED', 'sqlalchemy' in sys.modules, 'pydantic' in sys.modules, file=sys.stderr)\n"
             "sys.exit(code)")


@pytest.fixture
def people(ws, tmp_path):
    import_csv(ws, path=write_csv(tmp_path / "p.csv", ROWS), list_name="leads")
    register.add(ws, target="@corp.example", reason="complaint")
    _light.remember_settings(ws.home, _settings)  # as `where`'s plain path leaves it
    return ws


def _settings(config) -> dict:
    from coldmail.privacy.where import Settings

    return Settings.of(config).to_json()


def _run(code: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_the_light_readers_constants_are_the_stores():
    assert _light.head_revision() == db.HEAD_REVISION
    assert _light.DB_NAME == config.DB_NAME and _light.KEY_FILE == keys.KEY_FILE
    assert _light.CONFIG_NAME == config.CONFIG_NAME and (_light.STORE / "config.py").samefile(config.__file__)
    key = bytes(range(32))
    assert _light.check_value(key, "fingerprint") == keys.check_value(key, "fingerprint")


@pytest.mark.parametrize("args", [
    ["suppression", "check", "ana@acme.example"],
    ["suppression", "check", "bo@corp.example", "--json"],
    ["suppression", "check", "@sales.corp.example"],
    ["suppression", "check", "@acme.example", "--json"],
    ["suppression", "check", "a@@b"],
    ["contacts", "show", "ana@acme.example"],
    ["contacts", "show", "bo@corp.example", "--json"],
    ["contacts", "show", "nobody@acme.example"],
    ["where", "ana@acme.example"],
    ["where", "bo@corp.example", "--json"],
    ["where", "--json", "nobody@corp.example"],
    ["where", "nobody@acme.example"],
    ["where", "a@@b"],
])
def test_the_short_way_answers_as_typer_does_without_sqlalchemy_or_pydantic(people, args):
    short, long = _run(SHORT_WAY, *args), _run(LONG_WAY, *args)
    loaded = short.stderr.splitlines()[-1]
    assert loaded == "LOADED False False", short.stderr
    assert (short.returncode, short.stdout) == (long.returncode, long.stdout)
    assert short.stderr.splitlines()[:-1] == long.stderr.splitlines()


@pytest.mark.parametrize("args", [
    ["where", "ana@acme.example"],
    ["where", "bo@corp.example", "--json"],
    ["where", "nobody@corp.example", "--json"],
    ["where", "nobody@acme.example"],
])
def test_where_answers_the_short_way_as_the_plain_path_does(people, args):
    """sqlite3 and the settings snapshot against SQLAlchemy and pydantic over the same database (a
    database URL in the environment makes the short way step aside)."""
    (people.home / _light.SETTINGS_SNAPSHOT).unlink()
    plain = _run(SHORT_WAY, *args, env={"COLDMAIL_DATABASE_URL": db.sqlite_url(people.home / config.DB_NAME)})
    assert plain.stderr.splitlines()[-1] == "LOADED True True"
    short = _run(SHORT_WAY, *args)  # with the snapshot that the plain path left
    assert short.stderr.splitlines()[-1] == "LOADED False False", short.stderr
    assert (short.returncode, short.stdout) == (plain.returncode, plain.stdout) and plain.stdout


def test_where_steps_aside_when_coldmail_toml_changes(people):
    from coldmail.privacy.controller import init_workspace

    init_workspace(people, company="Renamed Freight Tools Ltd")
    done = _run(SHORT_WAY, "where", "ana@acme.example")
    assert done.stderr.splitlines()[-1] == "LOADED True True" and "Renamed Freight Tools Ltd" in done.stdout
    again = _run(SHORT_WAY, "where", "ana@acme.example")  # the plain path left a new snapshot
    assert again.stderr.splitlines()[-1] == "LOADED False False" and again.stdout == done.stdout
    (people.home / config.CONFIG_NAME).write_text("[retention]\nno_reply_months = 99\n", encoding="utf-8")
    broken = _run(SHORT_WAY, "where", "ana@acme.example")
    assert broken.returncode == 2 and "no_reply_months" in broken.stderr and not broken.stdout


def test_the_suppression_check_says_what_covers_a_domain(people):
    out = _run(SHORT_WAY, "suppression", "check", "@eu.corp.example").stdout
    assert out.startswith("suppressed since ") and out.endswith(": complaint\n")
    assert _run(SHORT_WAY, "suppression", "check", "@acme.example").stdout == "not suppressed\n"


@pytest.mark.parametrize("why", ["postgres", "no key", "wrong key", "old schema"])
def test_the_light_reader_steps_aside_when_it_cannot_be_sure(people, monkeypatch, why):
    assert _light.open_reader() is not None
    if why == "postgres":
        monkeypatch.setenv("COLDMAIL_DATABASE_URL", "postgresql://127.0.0.1/none")
    elif why == "no key":
        (people.home / keys.KEY_FILE).unlink()
    elif why == "wrong key":
        monkeypatch.setenv("COLDMAIL_FINGERPRINT_KEY", "ab" * 32)
    else:
        monkeypatch.setattr(_light, "head_revision", lambda: "9999")
    assert _light.open_reader() is None


def test_a_wrong_key_is_refused_by_the_long_way(people):
    """When the short way steps aside, the workspace's own checks speak."""
    done = _run(SHORT_WAY, "suppression", "check", "ana@acme.example", env={"COLDMAIL_FINGERPRINT_KEY": "ab" * 32})
    assert done.returncode == 2 and "not this workspace's key" in done.stderr


def test_contacts_show_prints_messages_and_replies_one_a_line():
    data = {"email": "a@b.example", "suppressed": True,
            "messages": [{"campaign": "q4", "step": 1, "state": "sent", "sent_at": "2026-11-30T10:20:00+00:00",
                          "subject": "Hello"}],
            "replies": [{"received_at": "2026-11-30T11:00:00+00:00", "kind": "bounce_hard", "action": "suppressed"}],
            "requests": []}
    assert human_lines(data) == [
        "email       a@b.example",
        "suppressed  yes",
        "messages",
        "  - q4 step 1, sent on 2026-11-30 10:20: Hello",
        "replies",
        "  - 2026-11-30 11:00 bounce_hard -> suppressed",
        "requests    -",
    ]


def test_contacts_list_pages_and_filters(people, cli):
    first = cli("contacts", "list", "--limit", "1")
    assert first.returncode == 0 and first.stdout.count("\n") == 1 and "ana@acme.example" in first.stdout
    assert "--after 1" in first.stderr
    rest = cli("contacts", "list", "--after", "1", "--json")
    assert [r["email"] for r in __import__("json").loads(rest.stdout)] == ["bo@corp.example"]
    assert cli("contacts", "list", "--country", "se").stdout.split("\t")[1] == "bo@corp.example"
    assert cli("contacts", "list", "--list", "nope").returncode == 2
    bad = cli("contacts", "list", "--status", "gone")
    assert bad.returncode == 2 and "opted_out" in bad.stderr
