"""Locations (issue 18): Sales Navigator's `Location` and Apollo's City/State/Country into a country and a
time zone; a Denver contact is written to in Denver's business hours, and contacts with no time zone
are warned about at import and named in the schedule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pycountry
import pytest
from sqlalchemy import select

from coldmail.outreach import campaigns, places
from coldmail.outreach.sending import send_campaign
from coldmail.prospects import locations
from coldmail.prospects.importing import import_csv
from coldmail.prospects.locations import Place, place_of
from coldmail.store.config import Sending, save_config
from coldmail.store.db import session_scope
from coldmail.store.models import Contact, Message
from conftest import free_port, write_csv
from smtp_server import SmtpServer


@pytest.mark.parametrize(("args", "expected"), [
    (("Madrid, Community of Madrid, Spain",), Place("ES", "")),
    (("Denver, Colorado, United States",), Place("US", "America/Denver")),
    (("New York, New York, United States",), Place("US", "America/New_York")),
    (("El Paso, Texas, United States",), Place("US", "America/Denver")),  # a city in another zone than its state
    (("Dallas, Texas, United States",), Place("US", "America/Chicago")),
    (("Toronto, Ontario, Canada",), Place("CA", "America/Toronto")),
    (("Montréal, Québec, Canada",), Place("CA", "America/Toronto")),
    (("Calgary, AB, Canada",), Place("CA", "America/Edmonton")),
    (("Perth, Western Australia, Australia",), Place("AU", "Australia/Perth")),
    (("Brisbane, Queensland, Australia",), Place("AU", "Australia/Brisbane")),
    (("Broken Hill, New South Wales, Australia",), Place("AU", "Australia/Broken_Hill")),
    (("Austin, Texas",), Place("US", "America/Chicago")),  # the state alone says the country
    (("London, England, United Kingdom",), Place("GB", "")),
    (("Germany",), Place("DE", "")),
    (("Georgia",), Place("GE", "")),  # a country on its own
    (("Denver, CO",), Place("", "")),  # Colorado or Colombia: not guessed
    (("WA",), Place("", "")),
    (("Greater Denver Area",), Place("", "")),
    (("",), Place("", "")),
    # Apollo: City, State, Country columns.
    (("", "Denver", "Colorado", "United States"), Place("US", "America/Denver")),
    (("", "Vancouver", "British Columbia", "Canada"), Place("CA", "America/Vancouver")),
    (("", "", "Tasmania", "Australia"), Place("AU", "Australia/Hobart")),
    (("", "Perth", "WA", "AU"), Place("AU", "Australia/Perth")),
    # The Country column wins; a state of another country is ignored.
    (("Berlin, Germany", "", "", "FR"), Place("FR", "")),
    (("", "", "Ontario", "US"), Place("US", "")),
    # The country alone: its zone is left to the window (the country's main zone), and warned about.
    (("United States",), Place("US", "")),
    (("Austin, United States",), Place("US", "")),
    (("Toronto Area, Canada",), Place("CA", "")),
])
def test_place_of(args, expected):
    assert place_of(*args) == expected


def test_every_state_province_and_territory_has_a_real_zone():
    t = locations.tables()
    for country in ("US", "CA", "AU"):
        for sub in pycountry.subdivisions.get(country_code=country):
            if country == "US" and sub.type == "Outlying area" and sub.code in ("US-UM",):
                continue  # uninhabited
            assert sub.code in t.zones, sub.code
            ZoneInfo(t.zones[sub.code])
            assert place_of("", "", sub.name, country).timezone == t.zones[sub.code], sub.name
    assert all(ZoneInfo(z) for z in t.cities.values())


SALES_NAV = (
    "First Name,Last Name,Email,Company,Title,Location,Profile URL\n"
    "Ana,García,ana@madrid-co.example,Madrid Co,COO,\"Madrid, Community of Madrid, Spain\",https://x.example/a\n"
    "Dan,Reed,dan@denver-co.example,Denver Co,COO,\"Denver, Colorado, United States\",https://x.example/d\n"
    "Noa,Levi,noa@nowhere.example,Nowhere Co,COO,Greater Denver Area,https://x.example/n\n"
)
APOLLO = (
    "First Name,Last Name,Title,Company,Email,City,State,Country,Company City\n"
    "Tom,Bell,COO,Syd Co,tom@syd.example,Perth,Western Australia,Australia,Sydney\n"
    "Lea,Roy,COO,Ott Co,lea@ott.example,Winnipeg,Manitoba,Canada,Toronto\n"
)


def _contacts(ws) -> dict[str, tuple[str, str]]:
    with session_scope(ws.engine, write=False) as s:
        return {e: (c, z) for e, c, z in s.execute(select(Contact.email, Contact.country, Contact.timezone))}


def test_import_reads_locations_and_warns_about_contacts_without_a_time_zone(ws, tmp_path):
    result = import_csv(ws, path=write_csv(tmp_path / "sn.csv", SALES_NAV), list_name="l",
                        source="sales navigator", justification="runs operations")
    assert result.imported == 3 and result.no_timezone == 1
    assert any("1 contact(s) have no country or time zone" in line for line in result.details())
    assert "Location" not in result.dropped_columns
    result = import_csv(ws, path=write_csv(tmp_path / "apollo.csv", APOLLO), list_name="l",
                        source="apollo", justification="runs operations")
    assert result.no_timezone == 0 and not any("time zone" in line for line in result.details())
    assert _contacts(ws) == {
        "ana@madrid-co.example": ("ES", ""), "dan@denver-co.example": ("US", "America/Denver"),
        "noa@nowhere.example": ("", ""), "tom@syd.example": ("AU", "Australia/Perth"),
        "lea@ott.example": ("CA", "America/Winnipeg"),
    }


def test_import_of_many_rows_takes_the_same_path(ws, tmp_path):
    """prepare_many (whole columns at once) gives what prepare gives row by row."""
    rows = "".join(f"p{i},p{i}@d{i}.example,\"Denver, Colorado, United States\"\n" for i in range(300))
    rows += "".join(f"q{i},q{i}@e{i}.example,Greater Denver Area\n" for i in range(200))
    result = import_csv(ws, path=write_csv(tmp_path / "big.csv", "first_name,email,location\n" + rows),
                        list_name="l", source="sales navigator", justification="runs operations")
    assert result.imported == 500 and result.no_timezone == 200
    got = _contacts(ws)
    assert got["p7@d7.example"] == ("US", "America/Denver") and got["q7@e7.example"] == ("", "")


def test_a_denver_contact_waits_for_denver_business_hours(ws, tmp_path):
    """15:30 UTC on a Monday in winter: 10:30 in New York, 08:30 in Denver (window 09:00-17:00)."""
    rules = Sending.unpaced()
    rules.window_days, rules.window_start, rules.window_end = [0, 1, 2, 3, 4], "09:00", "17:00"
    ws.config.sending = rules
    save_config(ws.home, ws.config)
    import_csv(ws, path=write_csv(tmp_path / "sn.csv", SALES_NAV), list_name="l",
               source="sales navigator", justification="runs operations")
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    monday = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    with SmtpServer(free_port()) as server:
        asyncio.run(send_campaign(ws, name="c1", smtp_url=server.url, now=monday))
        first = {r.rcpt for r in server.recorder.received}
        with session_scope(ws.engine, write=False) as s:
            (reason,) = s.execute(select(Message.reason).where(Message.to_email == "dan@denver-co.example")).one()
        asyncio.run(send_campaign(ws, name="c1", smtp_url=server.url, now=monday.replace(hour=16)))
        second = {r.rcpt for r in server.recorder.received} - first
    # Madrid 16:30 and UTC 15:30 (Noa: no time zone) are open; Denver opens at 16:00 UTC.
    assert first == {"ana@madrid-co.example", "noa@nowhere.example"}, first
    assert "outside business hours in America/Denver" in reason
    assert second == {"dan@denver-co.example"}
    # A contact with no time zone is named in the schedule.
    import_csv(ws, path=write_csv(tmp_path / "late.csv", "email,location\nzed@bos.example,Greater Boston Area\n"),
               list_name="l", source="sales navigator", justification="runs operations")
    with session_scope(ws.engine) as s:
        assert campaigns.plan(s, campaigns.load(s, "c1"), monday) == 1
    (row,) = campaigns.schedule(ws, "c1", now=monday)
    assert row["email"] == "zed@bos.example" and row["timezone"] is None and campaigns.NO_TIMEZONE in row["reason"]
    assert places.unplaced(ws, "c1") == 1 and places.guessed(ws, "c1") == {}


def test_contacts_without_a_state_are_warned_about_not_placed_silently(ws, tmp_path, cli):
    """A US, Canadian or Australian contact without a state or province keeps its country (its rules
    apply) and is written to in the country's main zone; `campaign schedule` says which and why."""
    assert locations.zone_unsure("US", "") and locations.zone_unsure("au", "")
    assert not locations.zone_unsure("US", "America/Denver") and not locations.zone_unsure("DE", "")
    rows = ("email,location\nana@us.example,United States\nbo@co.example,\"Denver, Colorado, United States\"\n"
            "cy@ca.example,Canada\ndi@none.example,Greater Boston Area\n")
    result = import_csv(ws, path=write_csv(tmp_path / "sn.csv", rows), list_name="l", source="sales navigator",
                        justification="runs operations")
    assert result.no_region == 2  # ana (US) and cy (CA); bo has a state, di no country at all
    assert any(line.startswith("Warning: 2 contact(s) in the US, Canada or Australia have no state")
               for line in result.details())
    assert _contacts(ws)["ana@us.example"] == ("US", "")
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    with session_scope(ws.engine) as s:
        campaigns.plan(s, campaigns.load(s, "c1"), monday)
    reasons = {r["email"]: (r["timezone"], r["reason"]) for r in campaigns.schedule(ws, "c1", now=monday)}
    assert reasons["ana@us.example"] == (
        "America/New_York", "no state in US: its window is America/New_York's, the country's main zone")
    assert reasons["cy@ca.example"][1].startswith("no province in CA: its window is America/Toronto's")
    assert reasons["bo@co.example"] == ("America/Denver", "")
    assert places.guessed(ws, "c1") == {"CA": 1, "US": 1} and places.unplaced(ws, "c1") == 1
    r = cli("campaign", "schedule", "c1", "--now", monday.isoformat())
    assert r.returncode == 0, r.stderr
    assert ("warning: 1 contact(s) in US have no state: they are written to in America/New_York business hours"
            in r.stderr), r.stderr
    assert "warning: 1 contact(s) in CA have no province" in r.stderr
    assert "warning: 1 contact(s) of this campaign have no country or time zone" in r.stderr
