"""Reading one message: is it a bounce, a complaint, an automatic reply or a person, and what did
the person ask for? Pure functions over `email.message.Message`; no database.

    text.py       decoded headers, the body (HTML made plain, charset), folding, prefix-tree patterns
    quotes.py     new_text: the reply's own words (no quoted original, forwarded headers, signature, our footer)
    bounces.py    delivery status notifications, vendors' bounces, complaints (ARF, JMRP, SES)
    unsubscribe.py  the message a mail client sends for our List-Unsubscribe mailto
    autoreply.py  automatic replies (subjects from phrases/*.txt) and the return date they state
    intent.py     classify_text: what a person asks for (opt-out, erasure, source, access) or "human",
                  from the rules and the model below, with a confidence; unsure readings go to review
      language.py   the reply's candidate languages (lingua; the contact's country only as a prior)
      sentences.py  sentences, words and lemmas (simplemma)
      lexicon.py    the lexicons (lexicons/<lang>.txt: the words of each intent part, as data)
      parts.py      the parts one sentence holds (lexicon matches), and whether a negation reaches them
      grammar.py    the shared grammar that composes intent from the parts a sentence holds
      anaphora.py   what a short sentence takes from the one before ("Stop it.", "Everything you hold on me.")
      model.py      the second opinion: character n-grams and a linear model (model/intent.npz,
                    built by scripts/train_intent_model.py)
    result.py     Classification and the review threshold

The order matters: bounces often carry Auto-Submitted, so they are recognised first; a person's
reply is classified on its new text only, because the quoted original carries our own opt-out
footer ("reply 'no thanks'") and would otherwise suppress everyone who answers.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime
from email.message import Message

from coldmail.replies.classify.autoreply import auto_reply
from coldmail.replies.classify.bounces import bounce, complaint
from coldmail.replies.classify.intent import NOTHING_FOUND, classify_text, unreadable
from coldmail.replies.classify.quotes import device_line, new_text
from coldmail.replies.classify.result import REVIEW_THRESHOLD, Classification
from coldmail.replies.classify.text import Mail, body_text
from coldmail.replies.classify.unsubscribe import unsubscribe
from coldmail.store.states import ReplyKind

__all__ = ["REVIEW_THRESHOLD", "Classification", "classify", "classify_text", "new_text", "subject_may_matter", "with_subject",
           "written_subject"]


def classify(msg: Message, *, today: date | None = None, ours: Collection[str] | None = None,
             prior: str | None = None) -> Classification:
    """Read a message in order: bounce, complaint, our unsubscribe mailto, automatic reply, else a
    person's new words (and, if they say nothing, the subject they wrote). `ours` is the subjects we
    sent this person and `prior` the language of their country, if known."""
    today = today or datetime.now().date()
    mail = Mail(msg)
    text = body_text(msg)
    found = bounce(mail, text) or complaint(mail, text) or unsubscribe(mail, text) or auto_reply(mail, text, today)
    if found:
        return found
    return with_subject(classify_text(new_text(text), prior=prior), mail.subject or "", ours, prior)


def with_subject(result: Classification, subject: str, ours: Collection[str] | None = None,
                 prior: str | None = None) -> Classification:
    """If the new words say nothing, the subject the person wrote, read as the reply's first line:
    "Subject: Unsubscribe" above a signature, "Re: not interested - please stop" with an empty body.
    Behind "Re:" the subject is usually ours: without knowing ours (`ours` None), such a subject is
    read only when the body is empty, and what it says waits for a person."""
    if result.kind != ReplyKind.HUMAN or result.confidence > NOTHING_FOUND or result.token:
        return result
    body = result.new_text or ""
    written = written_subject(subject, ours)
    guessed = False
    if not written and ours is None and said_nothing(body):
        written, guessed = written_subject(subject, ()), True
    if not written:
        return result
    titled = classify_text(f"{written}\n\n{body}", prior=prior)
    if titled.kind == ReplyKind.HUMAN and titled.confidence <= NOTHING_FOUND:
        return result
    titled.why = f"{_FROM_SUBJECT}{written!r}: {titled.why}"
    if guessed:
        titled.why += " (the subject may be ours: a person checks)"
        titled.confidence = min(titled.confidence, UNSURE)
    return titled


def subject_may_matter(result: Classification) -> bool:
    """Whether knowing the subjects we sent could change this reading: a person's words that said
    nothing, or a reading taken from the subject."""
    return result.kind == ReplyKind.HUMAN and result.confidence <= NOTHING_FOUND or result.why.startswith(_FROM_SUBJECT)


def said_nothing(body: str) -> bool:
    """No words of the person's own: nothing readable, or only "Sent from my iPhone"."""
    return unreadable(body) or all(device_line(line.strip()) for line in body.splitlines() if line.strip())


# "Re:", "AW:", "SV:", "Odp:", "Отг:", "回复：": a reply's or forward's subject, ours with a prefix
_PREFIXED = re.compile(r"^\s*[^\s:：]{1,12}\s*[:：]")
# What a subject reading is worth when the subject may be ours: below the review threshold.
UNSURE = round(REVIEW_THRESHOLD - 0.05, 2)
_FROM_SUBJECT = "with its subject "  # how a reading taken from the subject starts its `why`


def _unprefixed(subject: str) -> str:
    """The subject without its reply and forward prefixes ("AW: Re: x" -> "x")."""
    while (m := _PREFIXED.match(subject)) and m.end() < len(subject):
        subject = subject[m.end():].lstrip()
    return subject


def written_subject(subject: str, ours: Collection[str] | None = None) -> str:
    """What the person wrote in the subject line, or "". Without `ours`, a subject behind a reply or
    forward prefix is taken to be ours; with it, the prefixes and our own subject are taken out and
    what is left is theirs ("Re: Route planning - NOT INTERESTED" -> "NOT INTERESTED")."""
    subject = " ".join(subject.split())
    rest = _unprefixed(subject)
    if ours is None:
        return subject if rest == subject else ""
    for own in sorted({_unprefixed(" ".join(o.split())) for o in ours}, key=len, reverse=True):
        if own:
            rest = re.sub(re.escape(own), " ", rest, flags=re.IGNORECASE)
    rest = " ".join(rest.split()).strip(" -–—|:;,.()[]")
    return rest if sum(ch.isalpha() for ch in rest) >= 2 else ""
