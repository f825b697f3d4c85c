"""CSV import: provenance required, minimisation, encodings, delimiters, dedupe, suppression, atomicity."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coldmail.contacts.views import show_contact
from coldmail.prospects.csvfile import CsvFileError, map_headers
from coldmail.prospects.importing import ImportError_, import_csv
from coldmail.store.db import session_scope
from coldmail.store.models import Contact, ListMember
from coldmail.suppression import register as suppression
from conftest import write_csv

SRC = dict(source="company website", justification="runs logistics at a mid-size shipper")


@pytest.fixture(autouse=True, params=["in-process", "reader-process", "reader-process, importer screens"])
def reader(request, monkeypatch):
    """Every import test runs three times: rows read in this process (small files); in the second
    process that reads large files (`python -m coldmail.prospects.rowreader`), which also drops suppressed
    people and repeats; and in that process with the importer doing that (too many suppressions
    to hand over)."""
    if request.param.startswith("reader-process"):
        monkeypatch.setattr("coldmail.prospects.importing.READER_PROCESS_FROM_BYTES", 0)
        # this process reads the first two rows, the reader process the rest
        monkeypatch.setattr("coldmail.prospects.importing.READER_STARTS_AT_ROW", 2)
    if request.param.endswith("importer screens"):
        monkeypatch.setattr("coldmail.prospects.importing.SUPPRESSIONS_TO_READER", -1)
    return request.param


def count_contacts(ws) -> int:
    with session_scope(ws.engine, write=False) as s:
        return s.execute(select(func.count()).select_from(Contact)).scalar_one()


def test_import_stores_provenance_and_drops_unneeded_columns(any_ws, tmp_path):
    f = write_csv(
        tmp_path / "p.csv",
        "Email Address,First Name,Last Name,Company Name,Job Title,Country,Phone,Birthday,source_url\n"
        "Ana.Lopez@Acme.example,Ana,López,Acme,Head of Ops,Spain,+34 600,1990-01-01,https://acme.example/team\n",
    )
    result = import_csv(any_ws, path=f, list_name="ops", **SRC, source_public=True)
    assert result.imported == 1 and not result.rejected
    assert result.dropped_columns == ["Phone", "Birthday"]
    c = show_contact(any_ws, "ana.lopez@acme.example")
    assert (c.email, c.first_name, c.last_name, c.company, c.role, c.country) == (
        "ana.lopez@acme.example", "Ana", "López", "Acme", "Head of Ops", "ES",
    )
    assert c.source == "company website" and c.source_url == "https://acme.example/team"
    assert c.source_public is True and c.collected_by == "Sam Carter" and c.list == "ops"
    assert c.justification == SRC["justification"]
    # Minimisation: nothing of the dropped columns reached the database.
    with session_scope(any_ws.engine, write=False) as s:
        row = s.execute(select(Contact)).scalars().one()
        assert "+34 600" not in repr(row.model_dump()) and "1990" not in repr(row.model_dump())


def test_rows_without_source_or_justification_are_rejected_with_their_line(ws, tmp_path):
    f = write_csv(
        tmp_path / "p.csv",
        "email,source,justification\n"
        "a@x.example,event attendee list,speaker on logistics\n"
        "b@x.example,,speaker on logistics\n"
        "c@x.example,event attendee list,\n",
    )
    result = import_csv(ws, path=f, list_name="l")
    assert result.imported == 1
    assert [r["row"] for r in result.rejected] == [3, 4]
    assert "source" in result.rejected[0]["reason"] and "justification" in result.rejected[1]["reason"]
    # Defaults fill the gaps.
    result = import_csv(ws, path=f, list_name="l", source="referral", justification="asked by a colleague")
    assert result.imported == 2 and result.updated == 1 and not result.rejected
    assert show_contact(ws, "b@x.example").source == "referral"


def test_duplicates_in_file_and_database_keep_first_provenance(any_ws, tmp_path):
    first = write_csv(tmp_path / "1.csv", "email,first_name,source\nbo@y.example,Bo,LinkedIn profile\n")
    import_csv(any_ws, path=first, list_name="a", justification="CTO of a target account")
    again = write_csv(
        tmp_path / "2.csv",
        "email,first_name,company,source\n"
        "BO@y.example,Bob,Ycorp,bought list from DataVendor\n"
        "new@y.example,Nia,Ycorp,bought list from DataVendor\n"
        "new@y.example,Nia,Ycorp,bought list from DataVendor\n",
    )
    result = import_csv(any_ws, path=again, list_name="b", justification="same account")
    assert (result.imported, result.updated, result.duplicates) == (1, 1, 1)
    bo = show_contact(any_ws, "bo@y.example")
    assert bo.first_name == "Bob" and bo.company == "Ycorp"  # details refreshed
    assert bo.source == "LinkedIn profile" and bo.list == "a"  # first provenance kept
    assert bo.lists == ["a", "b"]
    assert count_contacts(any_ws) == 2


def test_duplicates_across_batches_are_counted_as_duplicates(ws, tmp_path, monkeypatch):
    monkeypatch.setattr("coldmail.prospects.importing.BATCH", 2)
    f = write_csv(tmp_path / "p.csv", "email\n" + "".join(f"u{i % 3}@z.example\n" for i in range(7)))
    result = import_csv(ws, path=f, list_name="l", **SRC)
    assert (result.imported, result.updated, result.duplicates) == (3, 0, 4)


def test_suppressed_addresses_and_domains_are_skipped(any_ws, tmp_path):
    suppression.add(any_ws, target="gone@q.example", reason="opt-out")
    suppression.add(any_ws, target="@blocked.example", reason="asked for the whole company")
    f = write_csv(
        tmp_path / "p.csv",
        "email\ngone@q.example\nGONE@Q.EXAMPLE\nceo@blocked.example\nx@eu.blocked.example\nok@q.example\n",
    )
    result = import_csv(any_ws, path=f, list_name="l", **SRC)
    assert result.suppressed == 4 and result.imported == 1
    assert show_contact(any_ws, "gone@q.example") is None


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("email;first_name;company\nzoe@a.example;Zoë;Müller GmbH\n", "utf-8"),
        ("\ufeffemail,first_name,company\nzoe@a.example,Zoë,Müller GmbH\n", "utf-8"),
        ("email\tfirst_name\tcompany\r\nzoe@a.example\tZoë\tMüller GmbH\r\n", "cp1252"),
        ("E-mail;Vorname;Firma\r\nzoe@a.example;Zoë;Müller GmbH\r\n", "cp1252"),
        ("email\tfirst_name\tcompany\nzoe@a.example\tZoë\tMüller GmbH\n", "utf-16"),
    ],
)
def test_encodings_and_delimiters(ws, tmp_path, text, encoding):
    f = write_csv(tmp_path / "p.csv", text, encoding)
    result = import_csv(ws, path=f, list_name="l", **SRC)
    assert result.imported == 1, result
    c = show_contact(ws, "zoe@a.example")
    assert (c.first_name, c.company) == ("Zoë", "Müller GmbH")


def test_export_headers_of_common_tools_are_understood():
    apollo = ["First Name", "Last Name", "Title", "Company", "Company Name for Emails", "Email",
              "Email Status", "Person Linkedin Url", "Website", "Country", "Company Country", "Mobile Phone"]
    m = map_headers(apollo)
    assert {apollo[i]: f for i, f in m.columns.items()} == {
        "First Name": "first_name", "Last Name": "last_name", "Title": "role", "Company": "company",
        "Email": "email", "Person Linkedin Url": "profile_url", "Website": "website", "Country": "country",
    }
    assert "Mobile Phone" in m.dropped and "Company Name for Emails" in m.dropped
    sales_nav = ["First Name", "Last Name", "Job Title", "Company Name", "LinkedIn Profile URL", "Email Address"]
    fields = set(map_headers(sales_nav).columns.values())
    assert fields == {"first_name", "last_name", "role", "company", "profile_url", "email"}


def test_names_with_line_breaks_and_control_characters_are_cleaned(ws, tmp_path):
    f = write_csv(
        tmp_path / "p.csv",
        'email,first_name,company\n"evil@a.example","Eve\r\nBcc: all@victim.example","Acme\x07\x1b[31m"\n',
    )
    result = import_csv(ws, path=f, list_name="l", **SRC)
    assert result.imported == 1
    c = show_contact(ws, "evil@a.example")
    assert "\n" not in c.first_name and "\r" not in c.first_name
    assert c.first_name == "Eve Bcc: all@victim.example"
    assert all(ch.isprintable() for ch in c.company)


def test_over_long_values_are_rejected_not_truncated(ws, tmp_path):
    f = write_csv(tmp_path / "p.csv", f"email,company\nlong@a.example,{'A' * 201}\nfine@a.example,Acme\n")
    result = import_csv(ws, path=f, list_name="l", **SRC)
    assert result.imported == 1
    assert result.rejected == [{"row": 2, "reason": "company is 201 characters long; at most 200 are allowed"}]


def test_bad_values_are_reported_per_row(ws, tmp_path):
    f = write_csv(
        tmp_path / "p.csv",
        "email,country,collected_at,source_public\n"
        "a@b.example,Narnia,,\n"
        "b@b.example,DE,yesterday,\n"
        "c@b.example,DE,,maybe\n"
        "not an email,DE,,\n"
        "d@b.example,UK,2026-01-02,yes\n"
        "e@b.example,DE,,,extra\n",
    )
    result = import_csv(ws, path=f, list_name="l", **SRC)
    assert result.imported == 1
    reasons = {r["row"]: r["reason"] for r in result.rejected}
    assert set(reasons) == {2, 3, 4, 5, 7}
    assert "Narnia" in reasons[2] and "collected_at" in reasons[3] and "source_public" in reasons[4]
    assert "email" in reasons[5] and "more cell" in reasons[7]
    d = show_contact(ws, "d@b.example")
    assert d.country == "GB" and d.source_public is True and d.collected_at.date().isoformat() == "2026-01-02"


def test_line_numbers_count_multiline_cells(ws, tmp_path):
    f = write_csv(tmp_path / "p.csv", 'email,company\nok@a.example,"Two\nLines"\nbad,Acme\n')
    result = import_csv(ws, path=f, list_name="l", **SRC)
    assert result.rejected[0]["row"] == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"name,company\nAna,Acme\n", "no email column"),
        (b"email|first_name\na@b.example|Ana\n", "other than comma"),
    ],
)
def test_unusable_files_change_nothing(ws, tmp_path, content, message):
    f = tmp_path / "p.csv"
    if content is not None:
        f.write_bytes(content)
    with pytest.raises(CsvFileError, match=message):
        import_csv(ws, path=f, list_name="never", **SRC)
    assert count_contacts(ws) == 0


def test_import_is_all_or_nothing(ws, tmp_path, monkeypatch):
    f = write_csv(tmp_path / "p.csv", "email\n" + "".join(f"p{i}@a.example\n" for i in range(50)))
    calls = {"n": 0}
    real = __import__("coldmail.prospects.writer", fromlist=["flush_batch"]).flush_batch

    def failing(session, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(session, **kw)

    monkeypatch.setattr("coldmail.prospects.importing.BATCH", 10)
    monkeypatch.setattr("coldmail.prospects.writer.flush_batch", failing)
    with pytest.raises(RuntimeError):
        import_csv(ws, path=f, list_name="l", **SRC)
    assert count_contacts(ws) == 0
    with session_scope(ws.engine, write=False) as s:
        assert s.execute(select(func.count()).select_from(ListMember)).scalar_one() == 0


def test_progress_is_reported(ws, tmp_path):
    f = write_csv(tmp_path / "p.csv", "email\n" + "".join(f"p{i}@a.example\n" for i in range(3000)))
    seen = []
    import_csv(ws, path=f, list_name="l", **SRC, on_progress=lambda d, t: seen.append((d, t)))
    size = f.stat().st_size
    assert seen[-1] == (size, size) and len(seen) >= 2


def test_new_contacts_after_erasing_the_newest_get_their_own_list_membership(ws, tmp_path):
    from coldmail.privacy.erasure import erase

    import_csv(ws, path=write_csv(tmp_path / "1.csv", "email\na@k.example\nb@k.example\n"), list_name="one", **SRC)
    erase(ws, "b@k.example")  # the highest id is free again
    result = import_csv(ws, path=write_csv(tmp_path / "2.csv", "email\nc@k.example\na@k.example\n"),
                        list_name="two", **SRC)
    assert (result.imported, result.updated) == (1, 1)
    assert show_contact(ws, "c@k.example").lists == ["two"]
    assert show_contact(ws, "a@k.example").lists == ["one", "two"]
    with session_scope(ws.engine, write=False) as s:
        members = s.execute(select(func.count()).select_from(ListMember)).scalar_one()
    assert members == 3


def test_a_reader_process_that_dies_fails_the_import_cleanly(ws, tmp_path, monkeypatch, reader):
    if not reader.startswith("reader-process"):
        pytest.skip("about the reader process")
    f = write_csv(tmp_path / "p.csv", "email\n" + "".join(f"p{i}@a.example\n" for i in range(50)))
    monkeypatch.setattr("sys.executable", "/bin/false")  # exits 1 at once, without a word
    with pytest.raises(ImportError_, match=r"p\.csv: the CSV reader stopped \(exit code 1\)"):
        import_csv(ws, path=f, list_name="l", **SRC)
    assert count_contacts(ws) == 0


def test_imports_leave_every_reference_whole_and_the_checks_on(ws, tmp_path, monkeypatch):
    """The import writes without SQLite's foreign-key checks (on a connection of its own): whatever
    it writes must pass them, and the connections everyone else gets still check."""
    from coldmail.privacy.erasure import erase

    monkeypatch.setattr("coldmail.prospects.importing.BATCH", 3)
    rows = "email\n" + "".join(f"p{i % 5}@k{i % 3}.example\n" for i in range(20))  # 15 people, repeats across batches
    import_csv(ws, path=write_csv(tmp_path / "1.csv", rows), list_name="one", **SRC)
    erase(ws, "p4@k2.example")
    erase(ws, "p1@k1.example")
    suppression.add(ws, target="p2@k2.example", reason="opt-out")
    rows = "email\n" + "".join(f"p{i}@k{i % 3}.example\n" for i in range(12))  # 3 of them in list one
    result = import_csv(ws, path=write_csv(tmp_path / "2.csv", rows), list_name="two", **SRC)
    assert (result.suppressed, result.imported, result.updated) == (2, 7, 3)  # p1@k1 erased, p2@k2 opted out
    import_csv(ws, path=write_csv(tmp_path / "3.csv", rows), list_name="one", **SRC)
    with ws.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        orphans = conn.exec_driver_sql(
            "SELECT count(*) FROM list_members m LEFT JOIN contacts c ON c.id = m.contact_id WHERE c.id IS NULL")
        assert orphans.scalar_one() == 0
        per_list = dict(conn.exec_driver_sql(
            "SELECT l.name, count(*) FROM list_members m JOIN lists l ON l.id = m.list_id GROUP BY l.name").all())
    assert per_list == {"one": 15 - 2 + 7, "two": 10}


def test_a_file_that_breaks_midway_changes_nothing(ws, tmp_path):
    """A cell beyond the CSV reader's limit on line 7: the import names the line and stores nothing,
    whichever process was reading when it broke."""
    rows = "".join(f"p{i}@a.example,Ana\n" for i in range(5))
    f = write_csv(tmp_path / "p.csv", "email,first_name\n" + rows + 'x@a.example,"' + "y" * 1_100_000 + '"\n'
                  + "z@a.example,Zoe\n")
    with pytest.raises(CsvFileError, match=r"p\.csv: line \d+: malformed CSV \(field larger than field limit"):
        import_csv(ws, path=f, list_name="l", **SRC)
    assert count_contacts(ws) == 0


def test_the_reader_process_ends_when_the_importer_is_killed(tmp_path, reader):
    """SIGKILL the importing process mid-import: its reader process must not linger."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    if reader != "in-process":
        pytest.skip("runs once: it starts its own importer")
    f = write_csv(tmp_path / "p.csv", "email,first_name\n" + "".join(f"p{i}@a.example,Ana\n" for i in range(400_000)))
    script = (
        "import sys; from pathlib import Path; from coldmail.store.workspace import open_workspace; "
        "from coldmail.prospects.importing import import_csv; ws = open_workspace(Path(sys.argv[1])); "
        "import_csv(ws, path=Path(sys.argv[2]), list_name='l', source='s', justification='j')"
    )
    importer = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "ws"), str(f)])

    def readers() -> list[int]:
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if b"coldmail.prospects.rowreader" in cmd and stat[0] != "Z":
                found.append(int(pid))
        return found

    mine: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not (mine := readers()) and importer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert mine, "the importer never started its reader process"
        importer.send_signal(signal.SIGKILL)
        importer.wait()
        deadline = time.monotonic() + 20
        while any(p in readers() for p in mine) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(p in readers() for p in mine), "the reader process outlived its importer"
    finally:
        if importer.poll() is None:
            importer.kill()
            importer.wait()
        for pid in set(readers()) & set(mine):  # whatever happened, leave nothing behind
            os.kill(pid, signal.SIGKILL)


def test_statements_of_many_rows_store_what_one_row_at_a_time_does(tmp_path, monkeypatch):
    """On SQLite the import inserts many rows per statement, each skipped when its address is held.
    The same imports (repeats within a file, across batches and from before; an erased and an opted-
    out person; a second list), one row per statement and seven, must store the same contacts and
    memberships and give the same counts."""
    from coldmail.privacy.erasure import erase
    from coldmail.suppression.fingerprints import fingerprinter
    from conftest import make_ws

    monkeypatch.setattr("coldmail.prospects.importing.BATCH", 50)
    src = SRC | {"collected_by": "O'Brien'); DROP TABLE contacts; --"}  # written into the statement
    first = "email,first_name,company\n" + "".join(f"p{i % 90}@k{i % 90 % 4}.example,N{i},C{i % 7}\n" for i in range(130))
    second = "email,first_name,role\n" + "".join(f"p{i}@k{i % 4}.example,M{i},R{i}\n" for i in range(60, 200))
    outcomes = []
    for per_statement in (1, 7):
        monkeypatch.setattr("coldmail.prospects.writer.ROWS_PER_STATEMENT", per_statement)
        ws = make_ws(tmp_path / f"ws{per_statement}")
        of_email = fingerprinter(ws.fingerprint_key)
        counts = [import_csv(ws, path=write_csv(tmp_path / "1.csv", first), list_name="one", **src).to_json()]
        erase(ws, "p70@k2.example")
        suppression.add(ws, target="p101@k1.example", reason="opt-out")
        counts.append(import_csv(ws, path=write_csv(tmp_path / "2.csv", second), list_name="two", **src).to_json())
        counts.append(import_csv(ws, path=write_csv(tmp_path / "2.csv", second), list_name="one", **src).to_json())
        with ws.engine.connect() as conn:
            contacts = conn.exec_driver_sql(
                "SELECT email, first_name, last_name, company, role, source, justification, list_id, collected_by, "
                "status, collected_at = created_at FROM contacts ORDER BY email").all()
            assert all(fp == of_email(email) for email, fp in conn.exec_driver_sql(
                "SELECT email, fingerprint FROM contacts"))
            members = conn.exec_driver_sql(
                "SELECT c.email, l.name FROM list_members m JOIN contacts c ON c.id = m.contact_id "
                "JOIN lists l ON l.id = m.list_id ORDER BY 1, 2").all()
        ws.close()
        outcomes.append((counts, contacts, members))
    assert outcomes[0] == outcomes[1]
    counts, contacts, members = outcomes[1]
    assert counts[0] | {"rejected": []} == {"imported": 90, "updated": 0, "duplicates": 40, "suppressed": 0,
                                             "rejected": [], "dropped_columns": []}
    # p70@k2 was erased (its fingerprint stays suppressed), p101@k1 opted out
    assert (counts[1]["imported"], counts[1]["updated"], counts[1]["suppressed"]) == (109, 29, 2)
    assert len(contacts) == 89 + 109 and len(members) == (89 + 109) + 138
    assert {(row.collected_by, row.status) for row in contacts} == {("O'Brien'); DROP TABLE contacts; --", "new")}


def test_country_codes_need_no_pycountry_and_agree_with_it(reader):
    """Codes are looked up in our own copy of ISO 3166-1 alpha-2 (so that pycountry, 65 ms to import,
    is needed only for names); it must be pycountry's list, and give what pycountry's lookup gives."""
    if reader != "in-process":
        pytest.skip("no import here")
    import subprocess
    import sys

    import pycountry

    from coldmail.countries import ISO_ALPHA2
    from coldmail.prospects.fields import normalize_country

    assert ISO_ALPHA2 == {c.alpha_2 for c in pycountry.countries}
    for code in ISO_ALPHA2:
        for spelling in (code, code.lower(), f" {code.title()} "):
            assert normalize_country(spelling) == pycountry.countries.lookup(spelling.strip()).alpha_2
    assert normalize_country("Sweden") == "SE" and normalize_country("swe") == "SE"
    code = ("import sys; from coldmail.prospects.fields import normalize_country; normalize_country('se'); "
            "print('pycountry' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


@pytest.mark.parametrize(("split", "expected"), [(b"\xc3\xa9", "cp1252"), (b"\xc3", "cp1252"), (b"", "utf-8-sig")])
def test_encoding_is_told_across_ascii_chunks(tmp_path, reader, split, expected):
    """ASCII chunks (of 1 MiB) skip decoding; one that follows a chunk ending inside a character must
    not: here the first chunk ends with the first byte of `split`, an ASCII chunk follows, and the
    third begins with the rest of `split`. The bytes of "é" so parted are not UTF-8; skipping the
    middle chunk would join them."""
    from coldmail.prospects.csvfile import detect_encoding

    if reader != "in-process":
        pytest.skip("no import here")
    chunk = 1 << 20
    head = b"email\n" + b"a" * (chunk - 7) + split[:1]
    path = tmp_path / "p.csv"
    path.write_bytes(head + b"\n" + b"b" * (chunk - 2) + b"\n" + split[1:] + b"x@b.example\n" * 3)
    assert detect_encoding(path) == expected
