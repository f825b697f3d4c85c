"""Email address validation and normalisation (email-validator, with a fast path for plain ASCII)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from coldmail.errors import BadInput

_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# email_validator.SPECIAL_USE_DOMAIN_NAMES (a test checks that they agree), written out so that the
# fast path needs no import of email-validator, which compiles its patterns on import (35 ms of
# every command's start, and of the import's reader process).
SPECIAL_USE_DOMAIN_NAMES = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})
# Plain ASCII dot-atom addresses with ordinary domains, already stripped and lower-cased: the
# overwhelming majority, taken as they are. Anything else (Unicode, IDNA `xn--` labels, quoted
# local parts, a local part over 64 or an address over 254 characters, a special-use top-level
# name: every one is a single label) goes through email-validator. One pattern with every
# condition in it, so that many addresses are checked in one C loop (`normalize_many`).
_FAST = re.compile(
    r"(?=[^@]{1,64}@)(?=[\s\S]{1,254}\Z)"
    rf"{_ATEXT}+(?:\.{_ATEXT}+)*@(?!.*--)(?:{_LABEL}\.)+"
    rf"(?!(?:{'|'.join(sorted(SPECIAL_USE_DOMAIN_NAMES))})\Z)[a-z](?:[a-z0-9-]*[a-z])?"
)


class InvalidAddress(BadInput):
    """The address is not a usable email address; the message says why."""


def normalize_email(raw: str) -> str:
    """Return the canonical, lower-case form used for storage, uniqueness and fingerprints."""
    value = raw.strip().lower()
    if _FAST.fullmatch(value):
        return value
    if not value:
        raise InvalidAddress("the address is empty")
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(value, check_deliverability=False, allow_quoted_local=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from None
    return result.normalized.lower()


def normalize_many(raws: Iterable[str]) -> list[str] | None:
    """`normalize_email` of each, when every one is on the fast path (stripping, lower-casing and
    checking in C loops); otherwise None, and the caller goes one at a time."""
    values = list(map(str.lower, map(str.strip, raws)))
    return values if all(map(_FAST.fullmatch, values)) else None


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[1]


def normalize_domain(raw: str) -> str:
    """Validate a bare domain (for `@domain` suppressions) by validating a placeholder address."""
    domain = raw.strip().lstrip("@").lower()
    return domain_of(normalize_email(f"postmaster@{domain}"))


def domain_suffixes(domain: str) -> list[str]:
    """`eu.sales.acme.com` -> itself and each parent with at least one dot, so a suppressed
    `@acme.com` also covers its subdomains."""
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(len(parts) - 1)]
