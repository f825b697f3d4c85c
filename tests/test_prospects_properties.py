"""Property tests of the importer: every row is accounted for, nothing raw is stored, no crash."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from coldmail.prospects.importing import import_csv
from coldmail.store.db import session_scope
from coldmail.store.models import Contact

# NUL is excluded: a NUL in a file's first 8 KiB makes it binary by design (tested elsewhere).
chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
names = st.text(chars, max_size=120)
emails = st.one_of(
    st.from_regex(r"[a-z]{1,8}@[a-z]{1,6}\.example", fullmatch=True),
    st.text(chars, max_size=30),
)
rows = st.lists(st.tuples(emails, names, names, st.sampled_from(["", "DE", "fr", "Narnia", "uk"])), max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows, delimiter=st.sampled_from([",", ";", "\t"]), encoding=st.sampled_from(["utf-8", "utf-8-sig"]))
def test_every_row_is_accounted_for_and_stored_values_are_clean(ws, tmp_path_factory, rows, delimiter, encoding):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(["email", "first_name", "company", "country"])
    w.writerows(rows)
    path = tmp_path_factory.mktemp("h") / "p.csv"
    path.write_bytes(buf.getvalue().encode(encoding))
    with session_scope(ws.engine, write=False) as s:
        before = {c.email for c in s.execute(select(Contact)).scalars()}
    result = import_csv(ws, path=path, list_name="prop", source="fuzz", justification="property test")
    accounted = result.imported + result.updated + result.duplicates + result.suppressed + len(result.rejected)
    assert accounted == len(rows)
    assert all(2 <= r["row"] for r in result.rejected)
    with session_scope(ws.engine, write=False) as s:
        stored = list(s.execute(select(Contact)).scalars())
    assert len({c.email for c in stored} - before) == result.imported
    for c in stored:
        for value in (c.first_name, c.company):
            assert "\n" not in value and "\r" not in value and value == value.strip()
            assert all(ch.isprintable() or ch == " " or not ch.isspace() for ch in value)
        assert len(c.first_name) <= 100 and len(c.company) <= 200
        assert c.source and c.justification


# ---------------------------------------------------------------- screening

domains_ = st.lists(st.sampled_from(["a", "b", "eu"]), min_size=1, max_size=3).map(lambda p: ".".join(p) + ".example")
addresses = st.builds(lambda local, domain: f"{local}@{domain}", st.sampled_from(["x", "y", "z"]), domains_)


@settings(max_examples=200, deadline=None)
@given(batch=st.lists(addresses, max_size=30), suppressed=st.lists(st.one_of(addresses, domains_.map("@{}".format)),
                                                                    max_size=6))
def test_screening_blocks_exactly_the_suppressed_addresses_and_domains(batch, suppressed):
    """The blocklist looks a domain up once and remembers it; it must agree with the definition:
    a row is blocked when its address, its domain or a parent domain is suppressed."""
    from coldmail.addresses import domain_suffixes
    from coldmail.prospects.rowreader import RECORD, screen
    from coldmail.suppression.fingerprints import fingerprint
    from coldmail.suppression.screening import Blocklist, FingerprintCache

    key = b"property-key"
    fps = FingerprintCache(key)
    records = [(email, fps.of_email(email), *[""] * (len(RECORD) - 2)) for email in batch]
    blocklist = Blocklist({fingerprint(key, target) for target in suppressed}, fps)
    kept, n_suppressed, n_repeats = screen(records, blocklist)

    def blocked(email: str) -> bool:
        domain = email.split("@")[1]
        return email in suppressed or any("@" + d in suppressed for d in domain_suffixes(domain))

    allowed = [email for email in batch if not blocked(email)]
    assert [rec[0] for rec in kept] == list(dict.fromkeys(allowed))
    assert n_suppressed == len(batch) - len(allowed)
    assert n_repeats == len(allowed) - len(set(allowed))
    assert fps.of_batch(records) == {fps.of_email(e) for e in batch} | {
        fingerprint(key, "@" + d) for e in batch for d in domain_suffixes(e.split("@")[1])}


# ---------------------------------------------------------------- reading many rows at once

OPTIONAL_COLUMNS = ["first_name", "last_name", "company", "role", "website", "source", "source_url", "justification",
                    "country", "source_public", "collected_at", "phone"]
# Per column: cells that need no care, and cells that do (a bad value, a control character, an
# over-long or oddly spaced one).
CLEAN = {"country": ["", "DE", "fr", "uk"], "source_public": ["", "yes", "no", "Public"],
         "collected_at": ["", "2026-01-02", "2025-12-31T10:00:00Z"]}
ODD = {"country": ["Narnia", "X1"], "source_public": ["maybe"], "collected_at": ["2030-01-01", "yesterday"]}
CLEAN_TEXT = ["", "Ana", " Ana ", "company website", "https://example.com/team", "runs logistics", "x" * 100]
ODD_TEXT = ["x" * 101, "a\nb", "\u00a0x ", "a\tb", " a  \r b ", "x" * 301]
ODD_EMAILS = ["", "bad", "Ünï@bücher.de", "a@b.test", "x@xn--bcher-kva.de", "a" * 65 + "@b.example"]

clean_emails = st.from_regex(r" ?[A-Za-z0-9.]{1,8}@[a-z]{1,6}\.(example|com) ?", fullmatch=True).filter(
    lambda e: ".." not in e and not e.strip().startswith(".") and ".@" not in e)
many_defaults = st.builds(
    lambda source, justification, url, public: __import__("coldmail.prospects.rowreader").prospects.rowreader.Defaults(
        source, justification, url, public),
    st.sampled_from(["event list", "event list", ""]), st.sampled_from(["buys freight", "buys freight", ""]),
    st.sampled_from(["", "https://x.example"]), st.sampled_from([None, True, False]))


def _rows(draw, header: list[str], clean_only: bool) -> list[list[str]]:
    """A few rows that need no care; unless `clean_only`, then most often one flaw: one odd cell
    (or any text at all), or one row short or long."""
    rows = [[draw(clean_emails) if column == "email" else draw(st.sampled_from(CLEAN.get(column, CLEAN_TEXT)))
             for column in header] for _ in range(draw(st.integers(1, 6)))]
    if clean_only:
        return rows
    flaw = draw(st.sampled_from(["none", "cell", "cell", "cell", "text", "ragged"]))
    row = draw(st.sampled_from(rows))
    if flaw in ("cell", "text"):
        i = draw(st.integers(0, len(header) - 1))
        odd = ODD_EMAILS if header[i] == "email" else ODD.get(header[i], ODD_TEXT)
        row[i] = draw(st.sampled_from(odd) if flaw == "cell" else st.text(chars, max_size=12))
    elif flaw == "ragged":
        row[:] = row[:draw(st.integers(1, len(row)))] if draw(st.booleans()) else [*row, "extra"]
    return rows


def _prepare_each(rows, layout, defaults, of_email):
    from coldmail.prospects.fields import RowError
    from coldmail.prospects.rowreader import prepare

    records = []
    for cells in rows:
        if len(cells) > layout.width:
            return None
        try:
            records.append(prepare(cells, layout, defaults, of_email))
        except RowError:
            return None
    return records


@settings(max_examples=1000, deadline=None)
@given(columns=st.lists(st.sampled_from(OPTIONAL_COLUMNS), unique=True), defaults=many_defaults, data=st.data())
def test_prepare_many_is_prepare_of_each_row_or_hands_them_back(columns, defaults, data):
    """The column-at-a-time reading gives exactly prepare's records, or None (and prepare then goes
    row by row) when any row needs prepare's care: it never gives a different record."""
    from coldmail.prospects.csvfile import map_headers
    from coldmail.prospects.rowreader import Layout, prepare_many
    from coldmail.suppression.screening import FingerprintCache

    header = data.draw(st.permutations(["email", *columns]))
    layout = Layout.of(map_headers(header))
    of_email = FingerprintCache(b"k").of_email
    rows = _rows(data.draw, header, clean_only=False)
    got = prepare_many(rows, layout, defaults, of_email)
    if got is not None:
        assert got == _prepare_each(rows, layout, defaults, of_email)


@settings(max_examples=200, deadline=None)
@given(columns=st.lists(st.sampled_from(OPTIONAL_COLUMNS), unique=True), defaults=many_defaults, data=st.data())
def test_prepare_many_takes_the_usual_rows_itself(columns, defaults, data):
    """Rows that need no care (plain addresses, printable values within their limits, known countries,
    flags and dates) are read column by column, and agree; without a source or a justification
    from the row or the command line, prepare rejects them, and both give None."""
    from coldmail.prospects.csvfile import map_headers
    from coldmail.prospects.rowreader import Layout, prepare_many
    from coldmail.suppression.screening import FingerprintCache

    header = data.draw(st.permutations(["email", *columns]))
    layout = Layout.of(map_headers(header))
    of_email = FingerprintCache(b"k").of_email
    rows = _rows(data.draw, header, clean_only=True)
    expected = _prepare_each(rows, layout, defaults, of_email)
    got = prepare_many(rows, layout, defaults, of_email)
    assert got == expected
    if expected is not None:
        assert got is not None
