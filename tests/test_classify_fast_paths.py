"""The classifier's fast paths must decide exactly as the plain patterns they stand in for."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from coldmail.replies.classify import bounces, quotes
from coldmail.replies.classify import text as mailtext

WORDS = ["no", "no thanks", "no thank you", "not", "remove", "remove me", "remove me from", "stop", "unsubscribe",
         "a", "ab", "ab c", "ab cd", "désinscrire", "nein danke", "להסיר"]


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=8, unique=True),
       text=st.lists(st.sampled_from(WORDS + [" ", "x", ".", "piano", "-"]), max_size=12).map(" ".join))
def test_prefix_tree_finds_what_the_sorted_alternation_finds(words, text):
    plain = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                       + r")(?!\w)")
    tree = re.compile(r"(?<!\w)" + mailtext.trie_pattern(words) + r"(?!\w)")
    assert [m.span() for m in tree.finditer(text)] == [m.span() for m in plain.finditer(text)]



FRAGMENTS = ["On Mon, 3 Jun 2024, Sam <sam@x.example>", "Le 3 juin", "Am 03.06.2024 schrieb Bob", " wrote", " wrote:",
             " a écrit :", " schrieb:", "-----Original Message-----", "--", "_" * 25, "Sent from my iPhone",
             "ENVOYÉ DE MON", "From: Bob", "Subject: hi", "hello", ":", " ", "WROTE:", "写道：", "09:12写道"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4).map("".join))
def test_quote_header_prefilters_agree_with_the_patterns(line):
    stripped = line.strip()
    assert quotes._quote_header_line(stripped) == any(p.match(stripped) for p in quotes._QUOTE_HEADERS)
    assert quotes._wrote_line(stripped) == bool(quotes._QUOTE_HEADERS[1].match(stripped))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["5", "4", "2", ".", "1", "22", "x", " ", "5.1.1", "4.2.2", "2.5.3.0", "_", "é"]),
                max_size=10).map("".join))
def test_status_code_search_agrees_with_the_word_bounded_pattern(text):
    codes = re.findall(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b", text)
    assert bounces._code_classes(text, "245") == {code[0] for code in codes}
    # found anywhere, as a `search` for the 4.x.x pattern would (overlaps do not matter for existence)
    assert bool(bounces._code_classes(text, "4")) == bool(re.search(r"\b4\.\d{1,3}\.\d{1,3}\b", text))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(['text/plain', '; charset=utf-8', '; charset="ISO-8859-1"', '; CHARSET = koi8-r',
                                 '; boundary="a;charset=x"', '; name="b"', "; charset*=utf-8''x", " (comment)",
                                 "; format=flowed", "; charset=", ";charset=Windows-1252", "; charset=a b", "charset=x"]),
                min_size=1, max_size=5).map("".join))
def test_charset_shortcut_agrees_with_the_parameter_parser(content_type):
    from email.message import Message

    part = Message()
    part["Content-Type"] = content_type
    assert mailtext._charset(part) == part.get_content_charset()
