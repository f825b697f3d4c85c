"""Reading a prospect CSV's rows into contact records, with their suppression fingerprints.

No database here: for a large file this runs in a second process (`python -m coldmail.prospects.rowreader`),
on the other core, while the importer writes; its protocol is pickled frames on stdout.
"""

from __future__ import annotations

import io
import itertools
import operator
import os
import pickle
import queue
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from coldmail.addresses import InvalidAddress, normalize_email, normalize_many
from coldmail.mail.grammar import is_profile
from coldmail.prospects import csvfile, locations
from coldmail.prospects.fields import (
    MAX_LEN,
    RowError,
    clean_text,
    normalize_country,
    parse_collected_at,
    parse_public,
)
from coldmail.suppression.screening import Blocklist, FingerprintCache

# ---------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Defaults:
    """What a row without its own source, justification, URL or public flag gets (from the
    command line); checked with clean_text before the rows are read."""

    source: str
    justification: str
    source_url: str
    source_public: bool | None


# A contact record as the importer writes it: the columns of contacts it fills from a file, in
# this order (collected_at None: collected when the import runs).
RECORD = ("email", "fingerprint", "first_name", "last_name", "company", "role", "country", "website",
          "source", "source_url", "source_public", "collected_at", "justification", "timezone", "profile_url")
SLOT = {name: i for i, name in enumerate(RECORD)}
_TEXT_FIELDS = ("first_name", "last_name", "company", "role", "website", "source", "source_url", "justification",
                "profile_url")


@dataclass(frozen=True)
class Layout:
    """Where each field sits in a file's rows (None: the file has no such column). Worked out once
    per file, so a row is read by position and never turned into a dict of every column."""

    width: int
    email: int
    # (position in _TEXT_FIELDS, cell index, maximum length, field), present columns only
    text: tuple[tuple[int, int, int, str], ...]
    country: int | None
    source_public: int | None
    collected_at: int | None
    place: locations.Columns | None = None  # Location, City, State: country and time zone

    @classmethod
    def of(cls, headers: csvfile.HeaderMap) -> Layout:
        index = {name: i for i, name in headers.columns.items()}
        return cls(
            width=len(headers.original),
            email=index["email"],
            text=tuple((slot, index[name], MAX_LEN[name], name)
                       for slot, name in enumerate(_TEXT_FIELDS) if name in index),
            country=index.get("country"),
            source_public=index.get("source_public"),
            collected_at=index.get("collected_at"),
            place=locations.Columns.of(index),
        )


def prepare(cells: list[str], layout: Layout, defaults: Defaults, fingerprint_of: Callable[[str], str]) -> tuple:
    """One CSV row -> a contact record (RECORD's fields, in order), or RowError naming the field."""
    if len(cells) < layout.width:
        cells = cells + [""] * (layout.width - len(cells))
    raw_email = cells[layout.email]
    try:
        email = normalize_email(raw_email)
    except InvalidAddress as exc:
        raw = raw_email.strip()
        raise RowError(f"email {raw[:80]!r}: {exc}" if raw else "email is empty") from None
    text = ["", "", "", "", "", "", "", "", ""]
    if "".join(cells).isprintable():  # the usual row: no line breaks or control characters anywhere
        for slot, i, limit, name in layout.text:
            value = cells[i].strip()
            text[slot] = value if len(value) <= limit else clean_text(value, name)  # (which says it is too long)
    else:
        for slot, i, _limit, name in layout.text:
            text[slot] = clean_text(cells[i], name)
    first_name, last_name, company, role, website, source, source_url, justification, profile_url = text
    if not profile_url and source_url and is_profile(source_url):
        profile_url, source_url = source_url, ""  # a person's own page is not where they were found
    if not source:
        source = defaults.source
        if not source:
            raise RowError("no source: give a source column or --source")
    if not justification:
        justification = defaults.justification
        if not justification:
            raise RowError("no justification: give a justification column or --justification")
    country = "" if layout.country is None else normalize_country(cells[layout.country])
    zone = ""
    if layout.place is not None:
        place = layout.place.read(cells, country)
        country, zone = place.country, place.timezone
    public = None if layout.source_public is None else parse_public(cells[layout.source_public])
    collected = None if layout.collected_at is None else parse_collected_at(cells[layout.collected_at])
    return (email, fingerprint_of(email), first_name, last_name, company, role, country, website, source,
            source_url or defaults.source_url, defaults.source_public if public is None else public, collected,
            justification, zone, profile_url)


_SOURCE, _SOURCE_URL, _JUSTIFICATION, _PROFILE_URL = (
    _TEXT_FIELDS.index(name) for name in ("source", "source_url", "justification", "profile_url"))


def _or_default(values: list[str] | None, default: str, required: bool):
    """A text column with its empty cells given the default; None when a required value is still
    missing (prepare says which row)."""
    if values is None:
        return itertools.repeat(default) if default or not required else None
    if all(values):
        return values
    if default:
        return [value or default for value in values]
    return None if required else values


def prepare_many(rows: list[list[str]], layout: Layout, defaults: Defaults,
                 fingerprint_of: Callable[[str], str]) -> list[tuple] | None:
    """`prepare` of every row, column by column in C loops (zip, map) rather than row by row: the
    same records, in a quarter less time (most of what is left is the fingerprints). None when any row needs prepare's care (a row shorter or
    longer than the header, an address off the fast path, a control character, an over-long value, a
    missing source or justification, a country or flag that does not parse): then prepare goes row
    by row and says which."""
    if not rows or set(map(len, rows)) != {layout.width}:
        return None
    columns = list(zip(*rows, strict=True))
    emails = normalize_many(columns[layout.email])
    if emails is None:
        return None
    text: list = [None] * len(_TEXT_FIELDS)
    for slot, i, limit, _name in layout.text:
        if not "".join(columns[i]).isprintable():
            return None
        values = list(map(str.strip, columns[i]))
        if max(map(len, values)) > limit:
            return None
        text[slot] = values
    urls = text[_SOURCE_URL]
    if urls is not None and any(map(is_profile, urls)):  # as prepare: a profile is not a source
        profiles = text[_PROFILE_URL] or [""] * len(urls)
        moved = [("", url) if url and not profile and is_profile(url) else (url, profile)
                 for url, profile in zip(urls, profiles, strict=True)]
        text[_SOURCE_URL], text[_PROFILE_URL] = [m[0] for m in moved], [m[1] for m in moved]
    source = _or_default(text[_SOURCE], defaults.source, True)
    justification = _or_default(text[_JUSTIFICATION], defaults.justification, True)
    if source is None or justification is None:
        return None
    text[_SOURCE], text[_JUSTIFICATION] = source, justification
    text[_SOURCE_URL] = _or_default(text[_SOURCE_URL], defaults.source_url, False)
    first_name, last_name, company, role, website, source, source_url, justification, profile_url = (
        itertools.repeat("") if values is None else values for values in text)
    try:
        country = (itertools.repeat("") if layout.country is None
                   else list(map(normalize_country, columns[layout.country])))
        if layout.source_public is None:
            public = itertools.repeat(defaults.source_public)
        else:
            public = list(map(parse_public, columns[layout.source_public]))
            if defaults.source_public is not None:
                public = [defaults.source_public if flag is None else flag for flag in public]
        collected = (itertools.repeat(None) if layout.collected_at is None
                     else list(map(parse_collected_at, columns[layout.collected_at])))
    except RowError:
        return None
    zones = itertools.repeat("")
    if layout.place is not None:
        places = [layout.place.read(row, code) for row, code in zip(rows, country, strict=False)]
        country, zones = [p.country for p in places], [p.timezone for p in places]
    return list(zip(emails, map(fingerprint_of, emails), first_name, last_name, company, role, country, website,
                    source, source_url, public, collected, justification, zones, profile_url,
                    strict=False))  # repeat() is endless


_EMAIL = operator.itemgetter(0)
_PLACE = operator.itemgetter(SLOT["country"], SLOT["timezone"])


def unplaced(batch: list[tuple]) -> int:
    """Records with neither a country nor a time zone (their sending window falls back to UTC)."""
    return sum(1 for place in map(_PLACE, batch) if place == ("", ""))


def region_unsure(batch: list[tuple]) -> int:
    """How many rows are in a country over several zones (US, CA, AU) without a state or province."""
    return sum(1 for country, zone in map(_PLACE, batch) if locations.zone_unsure(country, zone))


def read_batches(
    stream: csvfile.CsvStream,
    layout: Layout,
    defaults: Defaults,
    of_email: Callable[[str], str],
    progress: Callable[[int], None] | None,
    rejected: list[dict],
    size: int,
    start: int = 0,
    stop: int | None = None,
) -> Iterator[list[tuple]]:
    """The file's good rows as records, from `size` rows at a time (prepare_many, or prepare row by
    row when it declines); bad rows go to `rejected` with their line numbers. `start` and `stop`
    count the file's rows (blank lines aside) from 0, as a slice does."""
    records = csvfile.iter_records(stream, progress)
    if start or stop is not None:
        records = itertools.islice(records, start, stop)
    while chunk := list(itertools.islice(records, size)):
        batch = prepare_many(list(map(_CELLS, chunk)), layout, defaults, of_email)
        if batch is None:
            batch = []
            for line, cells in chunk:
                try:
                    if type(cells) is csvfile.Unreadable:
                        raise RowError(cells.reason)
                    if len(cells) > layout.width:
                        raise RowError(f"the row has {len(cells) - layout.width} more cell(s) than the header")
                    batch.append(prepare(cells, layout, defaults, of_email))
                except RowError as exc:
                    rejected.append({"row": line, "reason": str(exc)})
        if batch:
            yield batch


_CELLS = operator.itemgetter(1)


# What a repeat of an address refreshes (the provenance stays the first one's): (field, slot) pairs.
UPDATED_ON_REPEAT = tuple((name, SLOT[name]) for name in ("first_name", "last_name", "company", "role", "country",
                                                          "website", "timezone", "profile_url"))


def screen(batch: list[tuple], blocklist: Blocklist) -> tuple[list[tuple], int, int]:
    """The batch without suppressed people (their address, domain or a parent domain) and with
    each address once: a repeat keeps the first provenance and brings the latest details.
    Returns (records, how many were suppressed, how many were repeats)."""
    emails = list(map(_EMAIL, batch))
    if len(set(emails)) == len(emails) and not blocklist.blocks_any(batch, emails):
        return batch, 0, 0  # the usual batch, as it is
    kept: dict[str, tuple] = {}
    n_suppressed = n_repeats = 0
    blocks = blocklist.blocks
    for rec in batch:
        if blocks(rec):
            n_suppressed += 1
            continue
        first = kept.get(rec[0])
        if first is not None:
            n_repeats += 1
            merged = list(first)
            for _name, slot in UPDATED_ON_REPEAT:
                if rec[slot]:
                    merged[slot] = rec[slot]
            kept[rec[0]] = tuple(merged)
            continue
        kept[rec[0]] = rec
    return list(kept.values()), n_suppressed, n_repeats


# ---------------------------------------------------------------------------- the reader process


def _dumps(frame: tuple) -> bytes:
    """A frame pickled in fast mode, which keeps no memo of the objects written (the memo was half
    the time of pickling a batch). A frame is plain data with no cycles (strings, numbers, tuples,
    lists, datetimes); an object in it twice, such as a default source in every record, is simply
    written twice."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(frame)
    return out.getvalue()


def serve(source, sink) -> None:
    """Read the job (a pickled dict: stream, defaults, key, size, suppressed, start) from `source`, and
    write pickled frames to `sink`: ("batch", records, screened, suppressed, repeats, rejected rows,
    bytes read) for each batch, then ("done", rejected rows), or ("csv_error", message) / ("error",
    traceback) if reading fails. Given the suppression fingerprints, it screens each batch itself
    (screened True, counts given); without them, the importer screens (counts 0).

    Frames are written by a thread of their own: a pipe holds 64 KiB, a frame about 200 KiB, and
    the importer reads the next one only when it has written the last, so reading would otherwise
    wait for writing, batch by batch."""
    job = pickle.load(source)
    stream: csvfile.CsvStream = job["stream"]
    frames: queue.Queue[bytes | None] = queue.Queue(maxsize=16)

    def write() -> None:
        try:
            while (frame := frames.get()) is not None:
                sink.write(frame)
            sink.flush()
        except OSError:  # the importer is gone (its end of the pipe is closed): stop at once, not
            os._exit(1)  # block forever on a full queue

    writer = threading.Thread(target=write, daemon=True)
    writer.start()

    def send(*frame) -> None:
        frames.put(_dumps(frame))

    done = [0]

    def progress(consumed: int) -> None:
        done[0] = consumed

    rejected: list[dict] = []
    fps = FingerprintCache(job["key"])
    blocklist = None if job["suppressed"] is None else Blocklist(job["suppressed"], fps)
    try:
        for batch in read_batches(stream, Layout.of(stream.headers), job["defaults"], fps.of_email,
                                  progress, rejected, job["size"], job["start"]):
            if blocklist is not None:
                batch, n_suppressed, n_repeats = screen(batch, blocklist)
                send("batch", batch, True, n_suppressed, n_repeats, rejected, done[0])
            else:
                send("batch", batch, False, 0, 0, rejected, done[0])
            rejected.clear()  # (read_batches keeps appending to this list)
        send("done", rejected)
    except csvfile.CsvFileError as exc:
        send("csv_error", str(exc))
    except Exception:  # noqa: BLE001 - reported to the importer, which raises it
        send("error", traceback.format_exc())
    frames.put(None)
    writer.join()


if __name__ == "__main__":
    import gc

    # A short-lived process whose rows hold no reference cycles: the cycle collector would only
    # walk them, again and again (a tenth of the reading time).
    gc.disable()
    # The package's own copy of this module, so that pickles name coldmail.prospects.rowreader, not __main__.
    from coldmail.prospects.rowreader import serve as _serve

    _serve(sys.stdin.buffer, sys.stdout.buffer)
