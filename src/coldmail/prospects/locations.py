"""Where a contact is: Sales Navigator's `Location` ("Denver, Colorado, United States") and Apollo's
City / State / Country columns, read into a country code and, where the state or province says it,
an IANA time zone (a Denver contact is in America/Denver, not the country's main zone, New York).

The state/province -> zone table is data (`region_zones.tsv`); subdivision names come from
pycountry, zones are checked against zoneinfo. Only the country and the zone are kept: the city and
the region are read, never stored (data minimisation)."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from coldmail.prospects.fields import RowError, normalize_country

TABLE = Path(__file__).with_name("region_zones.tsv")
# Sales Navigator's metropolitan areas: "Greater Denver Area", "Denver Metropolitan Area".
_AREA = re.compile(r"^(?:greater\s+)?(.*?)(?:\s+(?:metropolitan|metro|bay))?(?:\s+area)?$")


# Countries over several time zones whose states or provinces a file can name (region_zones.tsv):
# without one, a contact's window is the country's main zone (New York for the US), a guess that
# the import and `campaign schedule` warn about, as they do about contacts with no place at all.
REGION_WORD = {"US": "state", "CA": "province", "AU": "state or territory"}


def zone_unsure(country: str, timezone: str) -> bool:
    """A contact in a country over several zones with no zone of its own: its window is a guess."""
    return not timezone and country.upper() in REGION_WORD


@dataclass(frozen=True)
class Place:
    country: str = ""  # ISO 3166-1 alpha-2, "" when unknown
    timezone: str = ""  # IANA zone, "" when the place does not say (the country's main zone applies)


def fold(text: str) -> str:
    """Case, accents and punctuation away: "Québec" and "quebec", "St. John's" and "st johns"."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


@dataclass(frozen=True)
class _Tables:
    zones: dict[str, str]  # subdivision code -> zone
    cities: dict[tuple[str, str], str]  # (subdivision code, folded city) -> zone
    names: dict[str, dict[str, str]]  # country -> folded subdivision name or short code -> subdivision code
    countries: dict[str, str]  # folded country name -> alpha-2


@functools.cache
def tables() -> _Tables:
    """The data file, with every zone checked (a typo in it fails loudly, not one contact at a time)."""
    import pycountry  # only when a file has location columns

    zones: dict[str, str] = {}
    cities: dict[tuple[str, str], str] = {}
    aliases: list[tuple[str, str]] = []
    countries: dict[str, str] = {}
    for number, line in enumerate(TABLE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        kind, code, name, zone = (line.split("\t") + ["", "", ""])[:4]
        if zone:
            ZoneInfo(zone)  # raises on an unknown zone
        if kind == "zone":
            zones[code] = zone
        elif kind == "city":
            cities[(code, fold(name))] = zone
        elif kind == "alias":
            aliases.append((code, name))
        elif kind == "country":
            countries[fold(name)] = code
        else:
            raise ValueError(f"{TABLE.name} line {number}: unknown kind {kind!r}")
    names: dict[str, dict[str, str]] = {}
    for code in zones:
        country, short = code.split("-", 1)
        sub = pycountry.subdivisions.get(code=code)
        table = names.setdefault(country, {})
        table[fold(short)] = code
        if sub is not None:
            table[fold(sub.name)] = code
    for code, name in aliases:
        names.setdefault(code.split("-", 1)[0], {})[fold(name)] = code
    return _Tables(zones, cities, names, countries)


def country_of(text: str) -> str:
    """A country name or code as exports write it -> alpha-2, or ""."""
    key = fold(text)
    if not key:
        return ""
    found = tables().countries.get(key)
    if found:
        return found
    try:
        return normalize_country(text)
    except RowError:
        return ""


def _region(country: str, text: str) -> str:
    """A state or province (name or code) -> its subdivision code; any country when `country` is ""."""
    key = fold(text)
    if not key:
        return ""
    names = tables().names
    if country:
        return names.get(country, {}).get(key, "")
    # Without a country, a name or code of exactly one subdivision ("WA": Washington or Western Australia).
    hits = {table[key] for table in names.values() if key in table}
    return hits.pop() if len(hits) == 1 else ""


@functools.lru_cache(maxsize=65536)
def place_of(location: str = "", city: str = "", region: str = "", country: str = "") -> Place:
    """The contact's country and time zone from what the file gives. An explicit country (a
    Country column) wins over the one in a location; a region in another country is ignored."""
    parts = [p.strip() for p in location.split(",") if p.strip()]
    found = country_of(country) if country else ""
    if parts:
        as_country = country_of(parts[-1])
        as_region = _region("", parts[-1]) if len(parts) > 1 else ""
        if as_country and not as_region:
            parts, found = parts[:-1], found or as_country
        elif as_country and not found:
            return Place()  # "Denver, CO", "Macon, Georgia": a state, or a country? Unknown, so warned.
    code = _region(found, region) if region else ""
    if not code:
        # "Denver, Colorado" or "Toronto, ON, Canada": the region is the last part left.
        for part in reversed(parts):
            code = _region(found, part)
            if code:
                break
    if code and found and not code.startswith(found + "-"):
        code = ""
    if code:
        found = found or code.split("-", 1)[0]
    if not code:
        return Place(found, "")
    town = city or (parts[0] if parts else "")
    match = _AREA.match(fold(town))
    town_key = match.group(1) if match else fold(town)
    t = tables()
    return Place(found, t.cities.get((code, town_key)) or t.zones.get(code, ""))


@dataclass(frozen=True)
class Columns:
    """Where a file's location columns sit (None: absent)."""

    location: int | None
    city: int | None
    region: int | None

    @classmethod
    def of(cls, index: dict[str, int]) -> Columns | None:
        cols = cls(index.get("location"), index.get("city"), index.get("region"))
        return None if cols == cls(None, None, None) else cols

    def read(self, cells: list[str], country: str) -> Place:
        """The place of one row, given the country its Country column gave ("" for none)."""
        def cell(i: int | None) -> str:
            return cells[i].strip() if i is not None and i < len(cells) else ""

        return place_of(cell(self.location), cell(self.city), cell(self.region), country)
