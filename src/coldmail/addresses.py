"""Email address validation and normalisation (email-validator, with a fast path for plain ASCII)."""

from __future__ import annotations

import re

_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# Plain ASCII dot-atom addresses with ordinary domains: the overwhelming majority. Anything
# else (Unicode, IDNA labels, quoted local parts, odd lengths) goes through email-validator.
_FAST = re.compile(rf"({_ATEXT}+(?:\.{_ATEXT}+)*)@((?:{_LABEL}\.)+([a-z](?:[a-z0-9-]*[a-z])?))")
# email_validator.SPECIAL_USE_DOMAIN_NAMES (a test checks that they agree), written out so that the
# fast path needs no import of email-validator, which compiles its patterns on import (35 ms of
# every command's start, and of the import's reader process).
SPECIAL_USE_DOMAIN_NAMES = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


class InvalidAddress(ValueError):
    """The address is not a usable email address; the message says why."""


def normalize_email(raw: str) -> str:
    """Return the canonical, lower-case form used for storage, uniqueness and fingerprints."""
    value = raw.strip().lower()
    match = _FAST.fullmatch(value)
    if (
        match
        and len(match.group(1)) <= 64
        and len(value) <= 254
        and "--" not in match.group(2)
        and match.group(3) not in SPECIAL_USE_DOMAIN_NAMES  # every special-use name is a single label
    ):
        return value
    if not value:
        raise InvalidAddress("the address is empty")
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(value, check_deliverability=False, allow_quoted_local=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from None
    return result.normalized.lower()


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
