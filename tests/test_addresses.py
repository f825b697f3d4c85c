"""Address normalisation: the fast path must agree with email-validator on everything it accepts."""

from __future__ import annotations

import re

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


# The fast path's conditions as they were first written, one by one: the single pattern that
# stands for all of them (so that many addresses are checked in one C loop) must accept exactly these.
_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PARTS = re.compile(rf"({_ATEXT}+(?:\.{_ATEXT}+)*)@((?:{_LABEL}\.)+([a-z](?:[a-z0-9-]*[a-z])?))")


def _fast_by_definition(value: str) -> bool:
    from coldmail.addresses import SPECIAL_USE_DOMAIN_NAMES

    match = _PARTS.fullmatch(value)
    return bool(match and len(match.group(1)) <= 64 and len(value) <= 254 and "--" not in match.group(2)
                and match.group(3) not in SPECIAL_USE_DOMAIN_NAMES)


near_the_edges = st.builds(
    lambda local, labels, tld, tail: f"{local}@{'.'.join(labels)}.{tld}{tail}",
    st.from_regex(r"[a-z0-9.'+-]{1,70}", fullmatch=True),
    st.lists(st.from_regex(r"[a-z0-9-]{1,63}", fullmatch=True), min_size=1, max_size=5),
    st.sampled_from(["com", "example", "test", "local", "localhost", "onion", "arpa", "invalid", "x-y", "c0m",
                     "testing", "xn--p1ai"]),
    st.sampled_from(["", "\n", " ", "\nb@c.example", "@d.example"]),
)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(near_the_edges, st.text(max_size=40)))
def test_the_fast_pattern_is_the_fast_paths_definition(value):
    from coldmail.addresses import _FAST

    assert bool(_FAST.fullmatch(value)) == _fast_by_definition(value)


def test_the_fast_pattern_takes_the_limits_exactly():
    from coldmail.addresses import _FAST

    long_domain = ".".join(["d" * 63] * 3) + ".example"  # 199 characters
    for value, fast in [("a" * 64 + "@b.example", True), ("a" * 65 + "@b.example", False),
                        ("a" * 54 + "@" + long_domain, True), ("a" * 55 + "@" + long_domain, False),
                        ("a@b--c.example", False), ("a@b-c.example", True), ("a@b.test", False), ("a@test.b", True)]:
        assert bool(_FAST.fullmatch(value)) is fast, value
        assert _fast_by_definition(value) is fast, value


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(near_the_edges, st.from_regex(r" ?[A-Za-z0-9.]{1,8}@[A-Za-z]{1,8}\.example ?",
                                                        fullmatch=True)), max_size=8))
def test_normalize_many_is_normalize_email_of_each_or_nothing(raws):
    from coldmail.addresses import _FAST, normalize_many

    got = normalize_many(raws)
    if all(_FAST.fullmatch(raw.strip().lower()) for raw in raws):
        assert got == [normalize_email(raw) for raw in raws]
    else:
        assert got is None
