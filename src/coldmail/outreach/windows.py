"""Sending windows: the recipient's business hours in their own time zone, not on their public
holidays. (The caps per mailbox, contact and company domain are counted at claim time: `claiming`.)"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from coldmail.store.config import Sending

# One zone per country for countries with several: the most populous business zone.
_MAIN_ZONE = {
    "US": "America/New_York", "CA": "America/Toronto", "AU": "Australia/Sydney", "BR": "America/Sao_Paulo",
    "RU": "Europe/Moscow", "MX": "America/Mexico_City", "CN": "Asia/Shanghai", "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon", "DE": "Europe/Berlin", "ID": "Asia/Jakarta", "KZ": "Asia/Almaty",
    "AR": "America/Argentina/Buenos_Aires", "CL": "America/Santiago", "NZ": "Pacific/Auckland",
    "GB": "Europe/London", "FR": "Europe/Paris", "NL": "Europe/Amsterdam", "UA": "Europe/Kyiv",
    "MY": "Asia/Kuala_Lumpur", "EC": "America/Guayaquil",
}


@functools.cache
def _zone_table() -> dict[str, str]:
    """country -> first zone listed for it in the system's zone1970.tab (IANA tz database)."""
    table: dict[str, str] = {}
    for base in (Path("/usr/share/zoneinfo"), Path("/usr/lib/python3/dist-packages/tzdata/zoneinfo")):
        tab = base / "zone1970.tab"
        if tab.exists():
            for line in tab.read_text(encoding="utf-8").splitlines():
                if line.startswith("#") or not line.strip():
                    continue
                codes, _coords, zone = line.split("\t")[:3]
                for code in codes.split(","):
                    table.setdefault(code, zone)
            break
    return table


def zone_for(country: str, explicit: str = "") -> ZoneInfo | None:
    """The contact's zone if recorded, else the country's main zone, else None (unknown)."""
    for name in (explicit, _MAIN_ZONE.get(country.upper(), ""), _zone_table().get(country.upper(), "")):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return None


@functools.lru_cache(maxsize=256)
def _holidays(country: str, year: int):
    try:
        return holidays.country_holidays(country, years=year)
    except NotImplementedError:
        return {}


def _hm(text: str) -> time:
    h, m = text.split(":")
    return time(int(h), int(m))


@dataclass(frozen=True)
class WindowCheck:
    ok: bool
    next_time: datetime | None = None  # UTC, when the window opens next
    reason: str = ""


def window(now_utc: datetime, *, country: str, timezone: str, rules: Sending) -> WindowCheck:
    """Is `now` inside the recipient's sending window? If not, when does it next open?"""
    zone = zone_for(country, timezone) or ZoneInfo("UTC")
    local = now_utc.astimezone(zone)
    start, end = _hm(rules.window_start), _hm(rules.window_end)
    for day in range(0, 15):
        d = (local + timedelta(days=day)).date()
        if d.weekday() not in rules.window_days:
            continue
        if rules.skip_holidays and country and d in _holidays(country.upper(), d.year):
            continue
        opens = datetime.combine(d, start, zone)
        closes = datetime.combine(d, end, zone)
        if end == time(23, 59):  # "until 23:59" means to the end of the day, its last minute included
            closes = datetime.combine(d + timedelta(days=1), time(0, 0), zone)
        if day == 0 and opens <= local < closes:
            return WindowCheck(True)
        if local < opens:
            today = local.date()
            hol = _holidays(country.upper(), today.year).get(today) if country and rules.skip_holidays else None
            if hol:
                why = f"public holiday ({hol})"
            elif today.weekday() not in rules.window_days:
                why = "weekend"
            else:
                why = "outside business hours"
            return WindowCheck(False, opens.astimezone(now_utc.tzinfo), f"{why} in {zone.key}")
    return WindowCheck(False, now_utc + timedelta(days=1), "no sending day in the next two weeks")
