"""The fast MIME writer must say exactly what the standard library reads back."""

from __future__ import annotations

import email
from email import policy

from hypothesis import given, settings
from hypothesis import strategies as st

from coldmail.mail import mime
from coldmail.mail.rendering import header_safe

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)


def _roundtrip(subject: str, display: str, body: str, html: str):
    headers = [
        mime.address("From", display, "sam@acme-tools.example"),
        mime.address("To", display, "x@bücher.example"),
        mime.unstructured("Subject", subject),
        mime.raw_header("Message-ID", "<a@b.example>"),
    ]
    raw = mime.build(headers, body, html)
    for line in raw.split(b"\r\n"):
        assert len(line) <= 998
    assert b"\n" not in raw.replace(b"\r\n", b"")
    return email.message_from_bytes(raw, policy=policy.default)


@settings(max_examples=400, deadline=None)
@given(subject=text, display=text, body=text, html=text)
def test_stdlib_reads_back_what_was_written(subject, display, body, html):
    subject, display = header_safe(subject), header_safe(display)
    m = _roundtrip(subject, display, body, html)
    assert str(m["Subject"] or "") == subject
    got = m["To"].addresses[0].display_name
    if display.isascii() or len(display.encode()) <= 45:
        assert got == display
    else:
        # Past one encoded word, CPython's parser (like its own generator's output) puts a space
        # between adjacent encoded words in a phrase; RFC 2047 readers join them.
        assert got.replace(" ", "") == display.replace(" ", "")
    assert m["To"].addresses[0].addr_spec == "x@xn--bcher-kva.example"
    assert m["From"].addresses[0].addr_spec == "sam@acme-tools.example"
    def lines(s: str) -> str:  # the parser hands back the wire's CRLF line ends
        return s.replace("\r\n", "\n").replace("\r", "\n")

    assert lines(m.get_body(("plain",)).get_content()) == lines(body)
    assert lines(m.get_body(("html",)).get_content()) == lines(html)
    assert not m.defects and all(not p.defects for p in m.iter_parts())


def test_long_ascii_subject_is_folded_and_unfolds_exactly():
    subject = " ".join(["word"] * 60)
    m = _roundtrip(subject, 'Sam "the man" Carter, Jr.', "hi", "<p>hi</p>")
    assert str(m["Subject"]) == subject
    assert m["To"].addresses[0].display_name == 'Sam "the man" Carter, Jr.'


def _encodings(raw: bytes) -> list[str]:
    return [line.split(b": ")[1].decode() for line in raw.split(b"\r\n") if line.startswith(b"Content-Transfer-Encoding")]


def test_ascii_parts_go_as_7bit_and_others_as_quoted_printable():
    plain = "Hello Ana,\n\nA short note.\n-- \nSam\n"
    assert _encodings(mime.build(["From: a@b.example"], plain, "<p>hi</p>")) == ["7bit", "7bit"]
    raw = mime.build(["From: a@b.example"], "Grüße\n", "<p>" + "x" * 1200 + "</p>")
    assert _encodings(raw) == ["quoted-printable", "quoted-printable"]  # non-ASCII; a line over 998
    m = email.message_from_bytes(mime.build(["From: a@b.example"], plain, "<p>hi</p>"), policy=policy.default)
    assert m.get_body(("plain",)).get_content().replace("\r\n", "\n") == plain  # "-- " keeps its space
