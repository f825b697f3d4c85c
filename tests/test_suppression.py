"""The suppression list: addresses, domains and subdomains, matched by keyed fingerprint."""

from __future__ import annotations

import pytest

from coldmail.addresses import InvalidAddress
from coldmail.prospects.importing import import_csv
from coldmail.suppression import register as suppression
from conftest import write_csv


def test_address_domain_and_subdomain_matching(any_ws):
    suppression.add(any_ws, target="Ana@Acme.example", reason="opt-out", evidence="replied 'no thanks'")
    suppression.add(any_ws, target="@corp.example", reason="complaint")
    assert suppression.check(any_ws, "ana@acme.example").reason == "opt-out"
    assert suppression.check(any_ws, "ANA@ACME.EXAMPLE") is not None
    assert suppression.check(any_ws, "bob@acme.example") is None
    assert suppression.check(any_ws, "x@corp.example").reason == "complaint"
    assert suppression.check(any_ws, "x@eu.sales.corp.example").reason == "complaint"
    assert suppression.check(any_ws, "x@notcorp.example") is None


def test_adding_twice_keeps_the_first_entry(ws):
    first, created = suppression.add(ws, target="a@b.example", reason="opt-out")
    again, created_again = suppression.add(ws, target="A@B.example", reason="other")
    assert created and not created_again
    assert again.reason == "opt-out" and again.since == first.since


def test_suppression_marks_a_held_contact(ws, tmp_path):
    f = write_csv(tmp_path / "p.csv", "email\nheld@b.example\n")
    import_csv(ws, path=f, list_name="l", source="s", justification="j")
    suppression.add(ws, target="held@b.example", reason="opt-out")
    from coldmail.contacts.views import show_contact

    c = show_contact(ws, "held@b.example")
    assert c.suppressed and c.status == "suppressed" and c.suppression_reason == "opt-out"


@pytest.mark.parametrize("bad", ["", "nobody", "a@b", "@", "@-bad-.example"])
def test_bad_targets_are_refused(ws, bad):
    with pytest.raises(InvalidAddress):
        suppression.add(ws, target=bad, reason="x")


def test_fingerprints_are_keyed_per_workspace(ws, tmp_path):
    from conftest import make_ws

    other = make_ws(tmp_path / "other")
    assert suppression.fingerprint(ws.fingerprint_key, "a@b.example") != suppression.fingerprint(
        other.fingerprint_key, "a@b.example"
    )
    other.close()


@pytest.mark.parametrize("key", [b"", b"k", bytes(range(32)), bytes(range(64)), bytes(range(200)) * 2])
@pytest.mark.parametrize("value", ["john.smith@example.com", "@example.com", "zoë@bücher.example", ""])
def test_fingerprint_is_hmac_sha256(key, value):
    import hmac

    from coldmail.suppression.register import fingerprint

    assert fingerprint(key, value) == hmac.new(key, value.encode("utf-8"), "sha256").hexdigest()
