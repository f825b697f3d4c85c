"""One oracle for "is it suppressed?": every fast path gives the plain path's answer (`oracle.find`)
for the same address, domain and parent domain, over random addresses and lists."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from coldmail.contacts.views import session_execute
from coldmail.store import db
from coldmail.store.models import Suppression, as_utc
from coldmail.suppression import oracle
from coldmail.suppression.fingerprints import fingerprint
from coldmail.suppression.register import suppress

# Few labels, so that random addresses share domains, subdomains and parents with the list.
LOCALS = st.sampled_from(["ana", "bob", "c.d", "x+tag", "info"])
LABELS = st.sampled_from(["acme", "corp", "eu", "sales", "mail"])
TLDS = st.sampled_from(["example", "co.uk"])


@st.composite
def domains(draw) -> str:
    return ".".join(draw(st.lists(LABELS, min_size=1, max_size=3))) + "." + draw(TLDS)


@st.composite
def addresses(draw) -> str:
    return f"{draw(LOCALS)}@{draw(domains())}"


targets = st.one_of(addresses(), domains().map(lambda d: "@" + d))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(listed=st.lists(targets, max_size=8), asked=st.lists(addresses(), min_size=1, max_size=12),
       late=st.lists(targets, max_size=3))
def test_every_path_agrees_with_find(ws, listed, asked, late):
    key = ws.fingerprint_key
    with db.session_scope(ws.engine) as session:
        session.execute(delete(Suppression))
        for target in listed:
            suppress(session, key=key, actor="t", target=target, reason="r")
    watch = oracle.SuppressionWatch(ws.engine)
    try:
        with db.session_scope(ws.engine) as session:
            for target in late:  # added after the watch began: only the watch and find see them as new
                suppress(session, key=key, actor="t", target=target, reason="late")
        with db.session_scope(ws.engine, write=False) as session:
            conn = session.connection()
            fps = oracle.FingerprintCache(key)
            batch = [(a, fingerprint(key, a)) for a in asked]
            in_memory = oracle.Blocklist(oracle.all_fingerprints(conn), fps)
            per_batch = oracle.Blocklist(set(oracle.reasons_for(conn, fps.of_batch(batch))), fps)
            for rec in batch:
                email = rec[0]
                found = oracle.find(session, key, email)
                plain = found is not None
                # The plain-SQL path (the CLI's fast reader uses it over bare sqlite3) gives find's entry.
                looked = oracle.lookup(session_execute(session), key, email)
                assert looked == ((found.reason, as_utc(found.created_at)) if found else None), email
                assert in_memory.blocks(rec) is plain, email
                assert per_batch.blocks(rec) is plain, email
                assert bool(oracle.reasons_for(conn, oracle.candidate_fingerprints(key, email))) is plain, email
                # A late target makes a new entry only if it was not listed already.
                was_late = any(t not in listed and (t == email or (t.startswith("@") and (
                    email.endswith("@" + t[1:]) or email.endswith("." + t[1:])))) for t in late)
                hit = watch.hit(oracle.candidate_fingerprints(key, email))
                if was_late:
                    assert hit is not None and plain, email
            assert in_memory.blocks_any(batch, asked) is any(oracle.find(session, key, a) for a in asked)
    finally:
        watch.close()


def test_the_sending_claim_asks_the_oracle(ws):
    """The claim's check (outreach) and the contact view (contacts) give find's answer too."""
    from coldmail.contacts.views import show_contact
    from coldmail.prospects.importing import import_csv
    from conftest import write_csv

    csv = write_csv(ws.home / "p.csv", "email,source,justification\nana@eu.acme.example,s,j\nbob@corp.example,s,j\n")
    import_csv(ws, path=csv, list_name="l")
    with db.session_scope(ws.engine) as session:
        suppress(session, key=ws.fingerprint_key, actor="t", target="@acme.example", reason="company")
    assert show_contact(ws, "ana@eu.acme.example").suppressed
    assert not show_contact(ws, "bob@corp.example").suppressed


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(listed=st.lists(targets, max_size=6), asked=domains())
def test_lookup_of_a_domain_covers_its_parents(ws, listed, asked):
    """`suppression check @domain`: suppressed when the domain or a parent domain is listed."""
    key = ws.fingerprint_key
    with db.session_scope(ws.engine) as session:
        session.execute(delete(Suppression))
        for target in listed:
            suppress(session, key=key, actor="t", target=target, reason="r")
    with db.session_scope(ws.engine, write=False) as session:
        hit = oracle.lookup(session_execute(session), key, "@" + asked)
    expected = any(t.startswith("@") and (asked == t[1:] or asked.endswith("." + t[1:])) for t in listed)
    assert (hit is not None) is expected
