"""What a person's reply asks for (`classify_text`), read with the phrase files (phrasefiles.py):
data requests and opt-outs. (Issue 17 replaces this reader with one that composes intent from parts.)"""

from __future__ import annotations

from coldmail.replies.classify.phrasefiles import (
    _blank,
    _matches,
    _section,
    _spans,
    _whole_opt_outs,
    _words,
)
from coldmail.replies.classify.result import Classification
from coldmail.replies.classify.text import fold as _fold


def classify_text(text: str) -> Classification:
    """Classify the new words of a person's reply."""
    folded = _fold(text)
    if not folded:
        return Classification("human", 0.5, new_text=text, why="empty reply")
    words = len(folded.split())
    vocab = _words(folded)
    requests = [(kind, _matches(folded, kind, vocab)) for kind in ("erasure", "source", "access")]
    requests = [(k, m) for k, m in requests if m]
    # Opt-out phrases are looked for with the negations and polite positives ("no problem") blanked.
    # (Blanking whole-word phrases leaves a subset of the words, so `vocab` still covers them; blanking
    # a CJK phrase may split a word, so the words are then read again.)
    spans = _spans(folded, "not_opt_out", vocab)
    cleaned = _blank(folded, spans) if spans else folded
    blanked_cjk = False
    for p in _section("not_opt_out")[2]:
        if p in cleaned:
            cleaned = cleaned.replace(p, " ")
            blanked_cjk = True
    whole = folded.strip(" .!") in _whole_opt_outs()
    opt = _matches(cleaned, "opt_out", _words(cleaned) if blanked_cjk else vocab)
    company = bool(_matches(folded, "company", vocab))
    if requests:
        kind = requests[0][0]
        conf = 0.95 if words <= 60 else 0.75
        return Classification("data_request", conf, request=kind, also_opt_out=bool(opt) or kind == "erasure",
                              company_wide=company, new_text=text, why=f"asks: {requests[0][1][0]!r}")
    if whole or opt:
        conf = 0.99 if whole else (0.95 if words <= 40 else 0.85 if words <= 80 else 0.6)
        return Classification("opt_out", conf, company_wide=company, new_text=text,
                              why=f"says: {(opt or ['(whole message)'])[0]!r}")
    return Classification("human", 0.9, new_text=text, why="a person's reply")

