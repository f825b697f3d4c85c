"""Address normalisation: the fast path must agree with email-validator on everything it accepts."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from coldmail.addresses import InvalidAddress, domain_suffixes, normalize_email

local = st.from_regex(r"[A-Za-z0-9._%+'-]{1,70}", fullmatch=True)
domain = st.from_regex(r"([A-Za-z0-9-]{1,12}\.){1,3}[A-Za-z0-9-]{1,8}", fullmatch=True)


@settings(max_examples=2000, deadline=None)
@given(local, domain)
def test_fast_path_agrees_with_email_validator(lp, dom):
    raw = f"{lp}@{dom}"
    try:
        expected = validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        expected = None
    try:
        got = normalize_email(raw)
    except InvalidAddress:
        got = None
    assert got == expected


@pytest.mark.parametrize(
    ("raw", "norm"),
    [("A.B@Example.COM", "a.b@example.com"), (" x@y.example ", "x@y.example"),
     ("x@xn--bcher-kva.de", "x@bücher.de"), ("Ünï@bücher.de", "ünï@bücher.de")],
)
def test_normalisation(raw, norm):
    assert normalize_email(raw) == norm


@pytest.mark.parametrize("bad", ["", "a", "a@b", "a@localhost", "a@b.test", "a..b@c.example", "a@b.123",
                                 "a\r\nBcc: x@y.example@c.example", '"q"@c.example'])
def test_invalid(bad):
    with pytest.raises(InvalidAddress):
        normalize_email(bad)


def test_domain_suffixes():
    assert domain_suffixes("eu.sales.acme.com") == ["eu.sales.acme.com", "sales.acme.com", "acme.com"]


def test_special_use_names_are_email_validators():
    """The fast path's copy of the special-use names (kept so that it needs no import of
    email-validator) must be email-validator's own list."""
    import email_validator

    from coldmail.addresses import SPECIAL_USE_DOMAIN_NAMES

    assert set(email_validator.SPECIAL_USE_DOMAIN_NAMES) == SPECIAL_USE_DOMAIN_NAMES


def test_the_fast_path_does_not_import_email_validator():
    import subprocess
    import sys

    code = ("import sys; from coldmail.addresses import normalize_email; normalize_email('a@b.example'); "
            "print('email_validator' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
