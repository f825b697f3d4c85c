"""The classifier's fast paths must decide exactly as the plain patterns they stand in for."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from coldmail import classify as c

WORDS = ["no", "no thanks", "no thank you", "not", "remove", "remove me", "remove me from", "stop", "unsubscribe",
         "a", "ab", "ab c", "ab cd", "désinscrire", "nein danke", "להסיר"]


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=8, unique=True),
       text=st.lists(st.sampled_from(WORDS + [" ", "x", ".", "piano", "-"]), max_size=12).map(" ".join))
def test_prefix_tree_finds_what_the_sorted_alternation_finds(words, text):
    plain = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                       + r")(?!\w)")
    tree = re.compile(r"(?<!\w)" + c._trie_pattern(words) + r"(?!\w)")
    assert [m.span() for m in tree.finditer(text)] == [m.span() for m in plain.finditer(text)]


FRAGMENTS = ["On Mon, 3 Jun 2024, Sam <sam@x.example>", "Le 3 juin", "Am 03.06.2024 schrieb Bob", " wrote", " wrote:",
             " a écrit :", " schrieb:", "-----Original Message-----", "--", "_" * 25, "Sent from my iPhone",
             "ENVOYÉ DE MON", "From: Bob", "Subject: hi", "hello", ":", " ", "WROTE:", "写道："]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4).map("".join))
def test_quote_header_prefilters_agree_with_the_patterns(line):
    stripped = line.strip()
    assert c._quote_header_line(stripped) == any(p.match(stripped) for p in c._QUOTE_HEADERS)
    assert c._wrote_line(stripped) == bool(c._QUOTE_HEADERS[1].match(stripped))
