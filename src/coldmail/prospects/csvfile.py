"""Reading prospect CSV files as a stream: encoding, delimiter and header detection.

Excel, LinkedIn Sales Navigator tools, Apollo and hand-made files all spell things differently;
this module turns them into one vocabulary and says exactly what it could not read.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from coldmail.errors import BadInput

csv.field_size_limit(1_000_000)

# The fields coldmail stores. Everything else in a file is dropped and reported.
FIELDS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "role",
    "country",
    "website",
    "source",
    "source_url",
    "profile_url",
    "source_public",
    "justification",
    "collected_at",
    # Read into country and time zone (prospects/locations.py), never stored as such.
    "location",
    "city",
    "region",
)

_ALIASES: dict[str, tuple[str, ...]] = {
    "email": (
        "email", "e mail", "email address", "e mail address", "emailaddress", "mail", "work email",
        "business email", "email 1", "primary email", "contact email", "person email",
        "email work", "courriel", "e mail adresse", "correo electronico", "correo",
    ),
    "first_name": (
        "first name", "firstname", "first", "given name", "forename", "prenom", "vorname",
        "nombre", "person first name",
    ),
    "last_name": (
        "last name", "lastname", "last", "surname", "family name", "nachname", "nom",
        "apellido", "apellidos", "person last name",
    ),
    "company": (
        "company", "company name", "organization", "organisation", "organization name",
        "account name", "employer", "current company", "firma", "unternehmen", "entreprise",
        "societe", "empresa", "company name for emails",
    ),
    "role": (
        "role", "title", "job title", "position", "job", "current title", "current job title",
        "job role", "person title", "poste", "funktion", "cargo",
    ),
    "country": ("country", "country code", "person country", "land", "pays", "pais"),
    "website": (
        "website", "web site", "company website", "company domain", "domain", "website url",
        "company url", "webseite", "site web", "sitio web",
    ),
    "source": ("source", "data source", "lead source", "origin", "quelle"),
    # Where the data was found (a team page, a search, a speaker list)...
    "source_url": ("source url", "source link", "data source url", "lead source url"),
    # ...and the person's own page, which is data held about them, not a source.
    "profile_url": (
        "profile url", "linkedin url", "person linkedin url", "linkedin profile", "linkedin profile url",
        "linkedin", "sales navigator url", "sales navigator profile url", "public profile url", "xing url",
        "xing profile", "xing profile url",
    ),
    "source_public": ("source public", "public", "is public", "public source"),
    "justification": ("justification", "relevance", "reason", "why", "legitimate interest"),
    "collected_at": ("collected at", "collected on", "collected", "date collected", "date found"),
    "location": ("location", "person location", "contact location", "lead location"),
    "city": ("city", "person city", "contact city", "town", "ville", "ciudad", "stadt"),
    "region": ("region", "state", "province", "state province", "state region", "person state", "contact state"),
}
_LOOKUP = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}


class CsvFileError(BadInput):
    """The file as a whole cannot be read as a prospect CSV; the message names the file."""


def normalize_header(header: str) -> str:
    folded = header.strip().lower()
    folded = (
        folded.replace("é", "e").replace("è", "e").replace("ó", "o").replace("í", "i").replace("á", "a")
    )
    folded = re.sub(r"[^0-9a-z#]+", " ", folded).strip()
    return folded


@dataclass
class HeaderMap:
    """Column index -> field, plus the original names of the columns that are not stored."""

    columns: dict[int, str]
    dropped: list[str] = field(default_factory=list)
    original: list[str] = field(default_factory=list)

    def describe(self) -> list[tuple[str, str | None]]:
        """(original header, field or None when dropped), in file order, for previews."""
        return [(name, self.columns.get(i)) for i, name in enumerate(self.original)]


def map_headers(headers: list[str]) -> HeaderMap:
    columns: dict[int, str] = {}
    dropped: list[str] = []
    taken: set[str] = set()
    # Exact canonical names win over aliases (Apollo has both "Company" and
    # "Company Name for Emails"; the first is the one we want).
    for pass_no in (0, 1):
        for i, raw in enumerate(headers):
            if i in columns:
                continue
            key = normalize_header(raw)
            name = key.replace(" ", "_") if pass_no == 0 else _LOOKUP.get(key)
            if name in FIELDS and name not in taken:
                columns[i] = name
                taken.add(name)
    for i, raw in enumerate(headers):
        if i not in columns:
            dropped.append(raw.strip() or f"column {i + 1}")
    return HeaderMap(columns=columns, dropped=dropped, original=[h.strip() for h in headers])


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 (Excel 'Unicode text'), else Excel's cp1252/latin-1.

    Reads the whole file once in chunks, so a bad byte on line 900,000 is found before import."""
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
            _check_utf16(path, fh)
            return "utf-16"
        fh.seek(0)
        # Like git and grep: a NUL byte near the start means binary (a spreadsheet, an image...).
        if b"\x00" in fh.read(8192):
            raise CsvFileError(f"{path}: not a CSV file (it contains binary data; export it as CSV)")
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        cp1252_undefined = False
        utf8_ok = True
        while chunk := fh.read(1 << 20):
            # An ASCII chunk is UTF-8 (fifty times faster to tell), unless it follows one that ended
            # inside a character.
            if utf8_ok and not (chunk.isascii() and decoder.getstate()[0] == b""):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
            if not utf8_ok and not cp1252_undefined:
                cp1252_undefined = any(b in chunk for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"))
        if utf8_ok:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8_ok = False
    if utf8_ok:
        return "utf-8-sig"
    return "latin-1" if cp1252_undefined else "cp1252"


def _check_utf16(path: Path, fh) -> None:
    """A UTF-16 file decodes whole (two bytes a unit, surrogates paired), or CsvFileError names the
    file and the line: Excel's 'Unicode text' cut short ends in half a character."""
    fh.seek(0)
    units = "utf-16-le" if fh.read(2) == codecs.BOM_UTF16_LE else "utf-16-be"
    fh.seek(0)
    decoder = codecs.getincrementaldecoder("utf-16")()
    lines = 1
    chunk = b""
    try:
        while chunk := fh.read(1 << 20):  # (an even size: what waits between chunks is 0 or 2 bytes)
            pending = len(decoder.getstate()[0])
            lines += decoder.decode(chunk).count("\n")
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        if chunk:  # the lines of this chunk before the bad unit
            lines += chunk[:max(0, exc.start - pending)].decode(units, "ignore").count("\n")
        cut = "it ends in the middle of a character (an odd number of bytes): was it cut short?" \
            if exc.reason == "truncated data" else f"it is not valid UTF-16 ({exc.reason})"
        raise CsvFileError(f"{path}: line {lines}: {cut} Export the file again.") from None


def _decode_error(path: Path, line: int, encoding: str, exc: UnicodeDecodeError) -> CsvFileError:
    return CsvFileError(f"{path}: line {line}: cannot be read as {encoding} ({exc.reason}); "
                        "export the file again as UTF-8")


def sniff_delimiter(header_line: str) -> str:
    """The header decides: whichever of `,` `;` tab occurs most outside quotes."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class _CountingReader(io.RawIOBase):
    """Wraps a binary file and reports how many bytes were consumed, for progress bars."""

    def __init__(self, raw, on_bytes: Callable[[int], None] | None):
        self._raw = raw
        self._on_bytes = on_bytes
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        if n:
            self.consumed += n
            if self._on_bytes:
                self._on_bytes(self.consumed)
        return n or 0


@dataclass
class CsvStream:
    path: Path
    encoding: str
    delimiter: str
    headers: HeaderMap
    size: int


def open_csv(path: Path) -> CsvStream:
    """Check the file and its header without reading the rows; raises CsvFileError."""
    path = Path(path)
    if not path.exists():
        raise CsvFileError(f"{path}: no such file")
    if path.is_dir():
        raise CsvFileError(f"{path}: is a directory, not a CSV file")
    size = path.stat().st_size
    if size == 0:
        raise CsvFileError(f"{path}: the file is empty")
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as fh:
        try:
            header_line = fh.readline()
        except UnicodeDecodeError as exc:
            raise _decode_error(path, 1, encoding, exc) from None
        if not header_line.strip():
            raise CsvFileError(f"{path}: the first line is empty; it should be the header row")
        delimiter = sniff_delimiter(header_line)
        headers = next(csv.reader([header_line], delimiter=delimiter))
    mapping = map_headers(headers)
    if "email" not in mapping.columns.values():
        seen = ", ".join(repr(h) for h in headers[:8])
        hint = ""
        if len(headers) == 1 and re.search(r"[|:/]", headers[0]):
            hint = " The header looks separated by something other than comma, semicolon or tab."
        raise CsvFileError(f"{path}: no email column found (columns: {seen}).{hint}")
    return CsvStream(path=path, encoding=encoding, delimiter=delimiter, headers=mapping, size=size)


class Unreadable(list):
    """In place of a record's cells: lines that cannot be read as rows (a quote never closed, or
    closed in the wrong place, swallows the lines after it). Empty, so it is never a row's width."""

    def __init__(self, reason: str):
        super().__init__()
        self.reason = reason


class _Lines:
    """The file's lines again, read forward from a second handle only when asked (rarely: for a
    record over several lines), split as the CSV reader splits them."""

    def __init__(self, stream: CsvStream):
        self.stream = stream
        self.fh = None
        self.at = 0  # lines read so far

    def text(self, first: int, last: int) -> str:
        if self.fh is None:
            self.fh = self.stream.path.open(encoding=self.stream.encoding, newline="")
        parts = []
        for line in self.fh:
            self.at += 1
            if self.at >= first:
                parts.append(line)
            if self.at == last:
                break
        return "".join(parts)

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


def _check_quotes(lines: _Lines, first: int, last: int, delimiter: str) -> Unreadable | None:
    """A record over several lines is a quoted value with line breaks, or a quote that swallowed
    the rows after it. The reader reads leniently (as Excel does); strictly read, a swallowing quote
    either reaches the end of the file or closes where a delimiter cannot follow."""
    try:
        for _ in csv.reader(io.StringIO(lines.text(first, last), newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        if "end of data" in str(exc):
            how = "is never closed, so the rest of the file was read as that one value"
        else:
            how = f"closes only on line {last}, where more text follows it"
        return Unreadable(f"lines {first} to {last} cannot be read: a quoted value that starts on line {first} {how}. "
                          f"Check the quotes on line {first} (a quote inside a value is written twice) and import "
                          "these lines again")
    return None


def iter_records(
    stream: CsvStream, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number of the row's first line, its cells) for every row that is not blank.
    Cells are as the file has them: a row may be shorter or longer than the header. Lines that
    cannot be read as rows come as one Unreadable, with the line of the first."""
    lines = _Lines(stream)
    line = 1
    with stream.path.open("rb") as raw:
        counting = _CountingReader(raw, on_bytes)
        text = io.TextIOWrapper(io.BufferedReader(counting, 1 << 16), encoding=stream.encoding, newline="")
        reader = csv.reader(text, delimiter=stream.delimiter)
        try:
            next(reader)  # the header
            line = reader.line_num + 1
            for record in reader:
                start, line = line, reader.line_num + 1
                if line - start > 1:  # over several lines: a quoted value with line breaks, or a stray quote
                    bad = _check_quotes(lines, start, line - 1, stream.delimiter)
                    if bad is not None:
                        yield start, bad
                        continue
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                yield start, record
        except csv.Error as exc:
            hint = ""
            if "field limit" in str(exc):
                hint = f"; is a quote on line {line} never closed?"
            raise CsvFileError(f"{stream.path}: line {reader.line_num}: malformed CSV ({exc}){hint}") from None
        except UnicodeDecodeError as exc:
            raise _decode_error(stream.path, reader.line_num + 1, stream.encoding, exc) from None
        finally:
            lines.close()


def iter_rows(
    stream: CsvStream, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, dict[str, str], int]]:
    """Yield (line number of the row's first line, {field: raw value}, extra cell count)."""
    width = len(stream.headers.original)
    columns = list(stream.headers.columns.items())
    for start, record in iter_records(stream, on_bytes):
        if type(record) is Unreadable:
            continue  # (the import says which lines)
        values = {name: record[i] for i, name in columns if i < len(record)}
        yield start, values, max(0, len(record) - width)
