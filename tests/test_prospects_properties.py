"""Property tests of the importer: every row is accounted for, nothing raw is stored, no crash."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from coldmail.db import session_scope
from coldmail.models import Contact
from coldmail.prospects import import_csv

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
    from coldmail.fingerprints import fingerprint
    from coldmail.rowreader import RECORD, Blocklist, FingerprintCache, screen

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
