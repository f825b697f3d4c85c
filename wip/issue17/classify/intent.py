"""What a person's reply asks for (`classify_text`): two readers that must agree before anything
is done.

1. The rules (grammar.py over lexicons/<lang>.txt): the reply is split into sentences and words,
   the words lemmatized (simplemma) in the detected language (lingua; the contact's country
   language only as a prior), and the intent composed from parts (ACTION + SELF, ERASE + MY DATA...).
2. The model (model.py): character n-grams and a linear model trained on the corpus.

Both agree and the model is sure: the rules' answer is acted on. They disagree, or either is
unsure: the rules' answer stands but its confidence falls below REVIEW_THRESHOLD, so a person
looks first. "Human" needs positive evidence; a reply in which nothing was found is unsure, and an
unreadable one (no letters, binary) is "human" at confidence 0, which stops nothing.
"""

from __future__ import annotations

import unicodedata

from coldmail.replies.classify.grammar import Reading, read_reply
from coldmail.replies.classify.language import candidates
from coldmail.replies.classify.lexicon import lexicon
from coldmail.replies.classify.model import load as load_model
from coldmail.replies.classify.phrasefiles import (  # noqa: F401 - autoreply.py and the fast-path tests use these
    _RUN,
    _find,
    _words,
    phrases,
)
from coldmail.replies.classify.result import REVIEW_THRESHOLD, Classification
from coldmail.store.states import ReplyKind, RequestKind

ACT = 0.95  # rules and model agree, the model is sure
ACT_HUMAN = 0.9  # positive evidence of a person's reply, and the model agrees
DISAGREE = 0.6  # below REVIEW_THRESHOLD: a person decides
UNSURE_HUMAN = 0.5
NOTHING_FOUND = 0.3
LONG = 80  # words: a long reply's request may be a quotation or an aside, so it is reviewed
_PRIORITY = {"erasure": 0, "source": 1, "access": 2, "opt_out": 3, "human": 4, None: 5}

assert DISAGREE < REVIEW_THRESHOLD <= ACT_HUMAN < ACT


def unreadable(text: str) -> bool:
    """No letters to read, or mostly control characters and replacement marks (binary decoded as text)."""
    letters = sum(1 for ch in text if ch.isalpha())
    if letters < 2:
        return True
    junk = sum(1 for ch in text if ch == "\ufffd" or (unicodedata.category(ch) in ("Cc", "Co", "Cs")
                                                       and ch not in "\n\r\t"))
    return junk > 0.1 * len(text)


def read(text: str, prior: str | None = None) -> Reading:
    """The rules' reading in the most likely language that yields one."""
    best: Reading | None = None
    negated = False
    for lang in candidates(text, prior):
        lex = lexicon(lang)
        if lex is None:
            continue
        reading = read_reply(text, lex)
        negated |= any(h.startswith("NEGAT") for h in reading.human)
        if best is None or _PRIORITY[reading.intent] < _PRIORITY[best.intent]:
            best = reading
    if best is not None and best.intent == "opt_out" and negated:
        # Read in another candidate language, the reply asks NOT to be removed: a person decides.
        best.blocked.append("negated removal in another reading")
        best.intent = None
    return best or Reading(lang=(candidates(text, prior) or [""])[0])


def classify_text(text: str, *, prior: str | None = None) -> Classification:
    """Classify the new words of a person's reply. `prior` is the contact's country language, if known."""
    if unreadable(text):
        return Classification(ReplyKind.HUMAN, 0.0, new_text=text, why="unreadable")
    reading = read(text, prior)
    model = load_model()
    label, prob = model.predict(text) if model else (None, 0.0)
    sure = model is not None and prob >= model.cutoff
    words = len(text.split())
    opinion = f"model: {label} {prob:.2f}" if model else "no model"
    where = f" ({reading.lang})"
    intent = reading.intent

    if intent is None:
        return Classification(ReplyKind.HUMAN, NOTHING_FOUND, new_text=text, language=reading.lang,
                              why=f"no intent found{where}; {opinion}")
    if intent == "human":
        conf = ACT_HUMAN if sure and label == "human" else UNSURE_HUMAN
        return Classification(ReplyKind.HUMAN, conf, new_text=text, language=reading.lang, parts=reading.human,
                              why=f"{' + '.join(dict.fromkeys(reading.human))}{where}; {opinion}")
    agree = label == intent or (intent == "opt_out" and label == "erasure")
    conf = ACT if agree and sure and words <= LONG else DISAGREE
    why = f"{' | '.join(reading.parts)}{where}; {opinion}"
    if intent == "opt_out":
        return Classification(ReplyKind.OPT_OUT, conf, company_wide=reading.company_wide, new_text=text,
                              language=reading.lang, parts=reading.parts, why=why)
    return Classification(ReplyKind.DATA_REQUEST, conf, request=RequestKind(intent),
                          also_opt_out=reading.also_opt_out or intent == "erasure", company_wide=reading.company_wide,
                          new_text=text, language=reading.lang, parts=reading.parts, why=why)
