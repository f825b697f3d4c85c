"""The rules for one field of a prospect row: text cleaned of line breaks and control characters
(so a name cannot inject a header), length limits, countries, "public" flags and collection dates.
No database: the import's reader process uses it too."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from functools import lru_cache

from coldmail.countries import ISO_ALPHA2
from coldmail.errors import BadInput

MAX_LEN = {
    "first_name": 100,
    "last_name": 100,
    "company": 200,
    "role": 200,
    "website": 300,
    "source": 300,
    "source_url": 500,
    "profile_url": 500,
    "justification": 1000,
}


_COUNTRY_ALIASES = {"UK": "GB", "ENGLAND": "GB", "SCOTLAND": "GB", "WALES": "GB", "USA": "US", "EL": "GR"}


_TRUE = {"1", "true", "yes", "y", "public", "ja", "oui", "si", "sí"}


_FALSE = {"0", "false", "no", "n", "private", "not public", "nein", "non"}


class RowError(BadInput):
    """One row cannot be imported; the message names the field."""


# A line break after a hyphen ("Jean-⏎Luc"): the hyphen belongs to the word, the break to the layout.
_HYPHEN_BREAK = re.compile("(?<=\\S)([-\u2010\u2011])[ \t]*[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]\\s*")


def clean_text(value: str, field_name: str) -> str:
    """Join a line break after a hyphen ("Jean-⏎Luc" is "Jean-Luc"); turn other line breaks and
    control characters into one space; reject over-long values.

    A CR or LF in a name could otherwise become a new email header later."""
    if not value.isprintable():
        value = _HYPHEN_BREAK.sub(r"\1", value)
        value = "".join(
            " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in value
        )
        value = " ".join(value.split())
    value = value.strip()
    limit = MAX_LEN.get(field_name)
    if limit and len(value) > limit:
        raise RowError(f"{field_name} is {len(value)} characters long; at most {limit} are allowed")
    return value


@lru_cache(maxsize=4096)
def normalize_country(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    upper = value.upper()
    if upper in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[upper]
    if upper in ISO_ALPHA2:
        return upper
    import pycountry  # 65 ms to import: only for names and three-letter codes

    try:
        return pycountry.countries.lookup(value).alpha_2
    except LookupError:
        raise RowError(f"country {value!r} is not a known country name or ISO code") from None


@lru_cache(maxsize=64)  # a file's flags are a handful of spellings
def parse_public(value: str) -> bool | None:
    folded = value.strip().lower()
    if not folded:
        return None
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise RowError(f"source_public {value!r} should be yes or no")


def parse_collected_at(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"collected_at {value!r} is not an ISO date such as 2026-03-14") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed > datetime.now(UTC):
        raise RowError(f"collected_at {value!r} is in the future")
    return parsed.astimezone(UTC)
