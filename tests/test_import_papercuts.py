"""`coldmail import` papercuts (issue 20): quotes that swallow rows, a UTF-16 file cut short, help that
says what happens, names with line breaks, and Ctrl-C."""

from __future__ import annotations

import codecs
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from coldmail.contacts.views import show_contact
from coldmail.prospects.csvfile import CsvFileError
from coldmail.prospects.fields import clean_text
from coldmail.prospects.importing import import_csv
from coldmail.store.db import session_scope
from coldmail.store.models import Contact
from conftest import write_csv

SRC = dict(source="event list", justification="runs logistics")
HEADER = "email,first_name,last_name,company,country\n"


@pytest.fixture(params=["in-process", "reader-process"])
def reader(request, monkeypatch):
    """Rows read in this process, or (as large files are) in the reader process from the third row on."""
    if request.param == "reader-process":
        monkeypatch.setattr("coldmail.prospects.importing.READER_PROCESS_FROM_BYTES", 0)
        monkeypatch.setattr("coldmail.prospects.importing.READER_STARTS_AT_ROW", 2)
    return request.param


def _emails(ws) -> set[str]:
    with session_scope(ws.engine, write=False) as s:
        return set(s.execute(select(Contact.email)).scalars())


def test_a_quote_never_closed_rejects_the_lines_it_swallowed(ws, tmp_path, reader):
    f = write_csv(tmp_path / "q.csv", HEADER + "ok@b.example,Ola,N,Co,GB\n" + 'a@b.example,"Ann,x,y,GB\n'
                  + "c@d.example,Cid,Z,Co,GB\n" + "e@d.example,Eve,Z,Co,GB\n")
    result = import_csv(ws, path=f, list_name="l", **SRC)
    assert _emails(ws) == {"ok@b.example"}  # nothing half-read: no 'Ann,x,y,GB⏎c@d…' as a first name
    assert [r["row"] for r in result.rejected] == [3]
    reason = result.rejected[0]["reason"]
    assert "lines 3 to 5" in reason and "never closed" in reason
    assert result.imported == 1


def test_a_quote_closed_rows_later_rejects_those_rows_and_reads_on(ws, tmp_path, reader):
    f = write_csv(tmp_path / "q.csv", HEADER + "ok@b.example,Ola,N,Co,GB\n" + 'a@b.example,"Ann,x,y,GB\n'
                  + "c@d.example,Cid,Z,Co,GB\n" + 'e@d.example,"Eve",Z,Co,GB\n' + "g@d.example,Gus,Z,Co,GB\n")
    result = import_csv(ws, path=f, list_name="l", **SRC)
    assert _emails(ws) == {"ok@b.example", "g@d.example"}
    assert [(r["row"], "lines 3 to 5" in r["reason"]) for r in result.rejected] == [(3, True)]


def test_values_over_several_lines_and_stray_quotes_still_import(ws, tmp_path, reader):
    f = write_csv(tmp_path / "q.csv", HEADER + 'a@b.example,"Jean-\nLuc","Ma\r\nrie",Co,FR\n'
                  + 'b@b.example,"Ann" Smith,Lee,Co,GB\n' + 'c@b.example,Cid,"O""Neil",Co,IE\n')
    result = import_csv(ws, path=f, list_name="l", **SRC)
    assert result.imported == 3 and not result.rejected
    a, b, c = (show_contact(ws, e) for e in ("a@b.example", "b@b.example", "c@b.example"))
    assert (a.first_name, a.last_name) == ("Jean-Luc", "Ma rie")  # a break after a hyphen joins
    assert b.first_name == "Ann Smith" and c.last_name == 'O"Neil'


def test_the_cli_reports_the_line_and_exits_1(ws, cli, tmp_path):
    f = write_csv(tmp_path / "q.csv", HEADER + 'a@b.example,"Ann,x,y,GB\nc@d.example,Cid,Z,Co,GB\n')
    done = cli("import", str(f), "--list", "l", "--source", "web", "--justification", "fit")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "line 2: lines 2 to 3 cannot be read" in done.stderr
    assert cli("contacts", "show", "a@b.example").returncode == 2


@pytest.mark.parametrize(("tail", "line", "words"), [
    (b"x", 3, "ends in the middle of a character"),  # an odd trailing byte
    ("c@d.example,w,f\n".encode("utf-16-le") + b"\x00\xdc" + "\n".encode("utf-16-le"), 4, "not valid UTF-16"),
])
def test_a_broken_utf16_file_names_the_file_and_line(ws, cli, tmp_path, tail, line, words):
    body = codecs.BOM_UTF16_LE + "email,source,justification\na@e.example,w,f\n".encode("utf-16-le")
    f = tmp_path / "u16.csv"
    f.write_bytes(body + tail)
    with pytest.raises(CsvFileError, match=rf"u16\.csv: line {line}: .*{words}"):
        import_csv(ws, path=f, list_name="l")
    done = cli("import", str(f), "--list", "l")
    assert done.returncode == 2 and f"{f}: line {line}: " in done.stderr
    assert "unexpected error" not in done.stderr and _emails(ws) == set()


def test_the_help_says_what_happens_to_good_and_bad_rows(cli):
    text = " ".join(cli("import", "--help").stdout.split())
    assert "all or nothing" not in text
    assert "Rows that can be read are imported" in text and "(exit code 1)" in text
    assert "cannot be read at all, or an interrupted import, changes nothing" in text


breaks = st.sampled_from(["\n", "\r\n", "\r", "\u2028", "\x85", "\v", "\x1e"])
pieces = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)


@given(parts=st.lists(st.tuples(pieces, breaks), min_size=1, max_size=6), last=pieces)
def test_no_line_break_or_control_character_survives_cleaning(parts, last):
    """Whatever a name holds, nothing in it can start a new header line."""
    value = "".join(p + b for p, b in parts) + last
    cleaned = clean_text(value, "justification")
    assert not any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in cleaned)
    assert cleaned == cleaned.strip() and "  " not in cleaned


def test_a_break_after_a_hyphen_joins_and_others_become_one_space():
    assert clean_text("Jean-\nLuc", "first_name") == "Jean-Luc"
    assert clean_text("Jean- \r\n  Luc", "first_name") == "Jean-Luc"
    assert clean_text("Anne\n\nMarie", "first_name") == "Anne Marie"
    assert clean_text("Paris -\nBerlin", "company") == "Paris - Berlin"  # a dash, not a hyphen
    assert clean_text("Eve\r\nBcc: all@victim.example", "first_name") == "Eve Bcc: all@victim.example"


def test_ctrl_c_during_an_import_says_nothing_was_imported(ws, tmp_path, monkeypatch):
    from coldmail.cli.root import app

    monkeypatch.setattr("coldmail.cli._common._WS", None)
    monkeypatch.setattr("coldmail.prospects.importing.BATCH", 10)
    real = __import__("coldmail.prospects.writer", fromlist=["flush_batch"]).flush_batch
    calls = {"n": 0}

    def interrupted(session, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(session, **kw)

    monkeypatch.setattr("coldmail.prospects.writer.flush_batch", interrupted)
    f = write_csv(tmp_path / "p.csv", "email\n" + "".join(f"p{i}@a.example\n" for i in range(50)))
    done = CliRunner().invoke(app, ["import", str(f), "--list", "l", "--source", "web", "--justification", "fit"])
    assert done.exit_code == 130 and calls["n"] == 3
    assert "Interrupted: nothing was imported from p.csv" in done.output
    with session_scope(ws.engine, write=False) as s:
        assert s.execute(select(func.count()).select_from(Contact)).scalar_one() == 0
