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
    "source_url": (
        "source url", "profile url", "linkedin url", "person linkedin url", "linkedin profile",
        "linkedin profile url", "linkedin", "sales navigator url", "public profile url",
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
        header_line = fh.readline()
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


def iter_records(
    stream: CsvStream, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number of the row's first line, its cells) for every row that is not blank.
    Cells are as the file has them: a row may be shorter or longer than the header."""
    with stream.path.open("rb") as raw:
        counting = _CountingReader(raw, on_bytes)
        text = io.TextIOWrapper(io.BufferedReader(counting, 1 << 16), encoding=stream.encoding, newline="")
        reader = csv.reader(text, delimiter=stream.delimiter)
        try:
            next(reader)  # the header
            line = reader.line_num + 1
            for record in reader:
                start, line = line, reader.line_num + 1
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                yield start, record
        except csv.Error as exc:
            raise CsvFileError(f"{stream.path}: line {reader.line_num}: malformed CSV ({exc})") from None


def iter_rows(
    stream: CsvStream, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, dict[str, str], int]]:
    """Yield (line number of the row's first line, {field: raw value}, extra cell count)."""
    width = len(stream.headers.original)
    columns = list(stream.headers.columns.items())
    for start, record in iter_records(stream, on_bytes):
        values = {name: record[i] for i, name in columns if i < len(record)}
        yield start, values, max(0, len(record) - width)
