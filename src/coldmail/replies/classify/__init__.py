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
      model.py      the second opinion: character n-grams and a linear model (model/intent.npz,
                    built by scripts/train_intent_model.py)
    result.py     Classification and the review threshold

The order matters: bounces often carry Auto-Submitted, so they are recognised first; a person's
reply is classified on its new text only, because the quoted original carries our own opt-out
footer ("reply 'no thanks'") and would otherwise suppress everyone who answers.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from email.message import Message

from coldmail.replies.classify.autoreply import auto_reply
from coldmail.replies.classify.bounces import bounce, complaint
from coldmail.replies.classify.intent import NOTHING_FOUND, classify_text
from coldmail.replies.classify.quotes import new_text
from coldmail.replies.classify.result import REVIEW_THRESHOLD, Classification
from coldmail.replies.classify.text import Mail, body_text
from coldmail.replies.classify.unsubscribe import unsubscribe
from coldmail.store.states import ReplyKind

__all__ = ["REVIEW_THRESHOLD", "Classification", "classify", "classify_text", "new_text"]


def classify(msg: Message, *, today: date | None = None) -> Classification:
    """Read a message in order: bounce, complaint, our unsubscribe mailto, automatic reply, else a
    person's new words."""
    today = today or datetime.now().date()
    mail = Mail(msg)
    text = body_text(msg)
    found = bounce(mail, text) or complaint(mail, text) or unsubscribe(mail, text) or auto_reply(mail, text, today)
    if found:
        return found
    body = new_text(text)
    result = classify_text(body)
    subject = own_subject(mail.subject or "")
    if subject and result.kind == ReplyKind.HUMAN and result.confidence <= NOTHING_FOUND:
        # "Subject: Unsubscribe" above a signature, or "Abmelden" with an empty body: the person wrote
        # the request where they would write a title. Read the subject as the reply's first line.
        titled = classify_text(f"{subject}\n\n{body}")
        if titled.kind != ReplyKind.HUMAN or titled.confidence > NOTHING_FOUND:
            titled.why = f"with its subject {subject!r}: {titled.why}"
            return titled
    return result


# "Re:", "AW:", "SV:", "Odp:", "Отг:", "回复：": a reply's or forward's subject, ours with a prefix
_PREFIXED = re.compile(r"^\s*[^\s:：]{1,12}\s*[:：]")


def own_subject(subject: str) -> str:
    """The subject if the person wrote it (not ours behind "Re:"/"AW:"/"Fwd:"...), else ""."""
    subject = " ".join(subject.split())
    return "" if not subject or _PREFIXED.match(subject) else subject
