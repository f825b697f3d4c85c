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
