"""Words in quotation marks are mentioned, not said ('your footer says reply "no thanks"'), except a
do-not-contact label the writer asks to be given: 'Please mark me as "do not contact"', „nicht
kontaktieren“, « ne pas contacter ». Used by grammar.read_reply for the sentences holding quotations."""

from __future__ import annotations

import re

from coldmail.replies.classify import quotes
from coldmail.replies.classify.lexicon import Lexicon
from coldmail.replies.classify.parts import Found, label
from coldmail.replies.classify.sentences import read

LABEL_WORDS = 4  # "do not contact", "ne pas contacter", "bitte nicht kontaktieren": a label is short


def do_not_contact(sentence: str, quoted: re.Pattern, lex: Lexicon) -> str | None:
    """The opt-out a do-not-contact label in quotation marks gives the writer ("mark me as 'do not
    contact'"), or None: a short quotation read as a negated CONTACT, in a sentence that does not ask, negate
    or say more, and names the writer as its object outside the quotation (not as its subject only, 'I saw
    your "do not contact" box', nor by a possessive, 'my colleague ticked "do not contact"')."""
    if lex.chars or any(q in sentence for q in quotes.QUESTION_MARKS + lex.question_marks):
        return None  # (scripts without spaces: no word tells the writer labelled from the writer who saw a label)
    outer = Found(read(quoted.sub(" QUOTE ", sentence), lex), lex)
    # not "Don't mark me 'do not contact'", "my colleague ticked 'do not contact', but I'm interested", a
    # signature's 'to stop our mailings reply "do not contact"'
    if any(outer.has(p) for p in ("negation", "negated", "human", "referral", "disclaimer", "footer")):
        return None
    # the writer as the one labelled: an object ("mark me"), not only a possessive ("my colleague") or a subject
    if not any(a != b or w not in lex.subjects and w not in lex.possessives for a, b, w in outer.spans.get("self", ())):
        return None
    for match in quoted.finditer(sentence):
        inner = Found(read(match.group()[1:-1], lex), lex)
        if len(inner.s.clauses) > LABEL_WORDS or inner.has("negated"):
            continue
        # (a refusal holding the CONTACT verb is one too: "ne pas contacter"; not "no thanks", our footer's,
        # nor a removal: a newsletter's 'click "unsubscribe"', 'j'ai cliqué sur « se désabonner »')
        if inner.has("negcontact"):
            said = f"NEGATED CONTACT={inner.word('negcontact')}"
        elif inner.has("contact") and (inner.negated("contact", every=False) or inner.has("refusal")):
            said = f"NEGATION + {label('contact', inner)}"
        else:
            continue
        return f"{said} (a label in quotation marks) + {label('self', outer)}"
    return None
