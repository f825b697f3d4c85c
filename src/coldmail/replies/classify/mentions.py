"""Words in quotation marks are mentioned, not said ('your footer says reply "no thanks"'), except a
do-not-contact label the writer asks to be given: 'Please mark me as "do not contact"', „nicht
kontaktieren“, « ne pas contacter », and our footer's refusal typed back as told ('"no thanks"'). Used by
grammar.read_reply, which reads the sentences with their quotations replaced (`prepared`)."""

from __future__ import annotations

import functools
import re

from coldmail.replies.classify import quotes
from coldmail.replies.classify.lexicon import Lexicon
from coldmail.replies.classify.parts import Found, label
from coldmail.replies.classify.sentences import numbered, read, signature

# Words quoted from our own footer ('reply "no thanks"') are mentioned, not said.
QUOTED = re.compile(r'"[^"\n]{1,60}"|„[^“”"\n]{1,60}[“”"]|«[^»\n]{1,60}»|“[^”\n]{1,60}”|‘[^’\n]{1,60}’|'
                    r"「[^」\n]{1,60}」|『[^』\n]{1,60}』|(?<!\w)'[^'\n]{1,40}'(?!\w)")
LABEL_WORDS = 4  # "do not contact", "ne pas contacter", "bitte nicht kontaktieren": a label is short


def do_not_contact(sentence: str, lex: Lexicon) -> str | None:
    """The opt-out a do-not-contact label in quotation marks gives the writer ("mark me as 'do not
    contact'"), or None: a short quotation read as a negated CONTACT, in a sentence that does not ask, negate
    or say more, and names the writer as its object outside the quotation (not as its subject only, 'I saw
    your "do not contact" box', nor by a possessive, 'my colleague ticked "do not contact"')."""
    if lex.chars or any(q in sentence for q in quotes.QUESTION_MARKS + lex.question_marks):
        return None  # (scripts without spaces: no word tells the writer labelled from the writer who saw a label)
    outer = Found(read(QUOTED.sub(" QUOTE ", sentence), lex), lex)
    # not "Don't mark me 'do not contact'", "my colleague ticked 'do not contact', but I'm interested", a
    # signature's 'to stop our mailings reply "do not contact"'
    if any(outer.has(p) for p in ("negation", "negated", "human", "referral", "disclaimer", "footer")):
        return None
    # the writer as the one labelled: an object ("mark me"), not only a possessive ("my colleague") or a subject
    if not any(a != b or w not in lex.subjects and w not in lex.possessives for a, b, w in outer.spans.get("self", ())):
        return None
    for match in QUOTED.finditer(sentence):
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


@functools.lru_cache(maxsize=8)  # one reply, read in each of its candidate languages
def prepared(text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...], tuple[int, ...], frozenset[int]]:
    """What does not depend on the language: the sentences holding quotation marks (as written),
    the sentences with their quotations replaced, each one's paragraph, the words before each, and
    the lines of a closing signature under the name."""
    found = numbered(text)
    sentences = tuple(s for _, _, s in found)
    quoted = tuple(s for s in sentences if QUOTED.search(s))
    if quoted:
        sentences = tuple(QUOTED.sub(" QUOTE ", s) if QUOTED.search(s) else s for s in sentences)
    offsets = [0]
    for raw in sentences:
        offsets.append(offsets[-1] + len(raw.split()))
    return quoted, sentences, tuple(p for p, _, _ in found), tuple(offsets), signature(found)


def first_sentence(text: str) -> str:
    """The reply's first sentence as `read_reply` compares it with the whole-line refusals."""
    quoted, sentences = prepared(text)[:2]
    return first_line(quoted, sentences)


def first_line(quoted: tuple[str, ...], sentences: tuple[str, ...]) -> str:
    """The first sentence as a whole-line refusal is looked for in: '"no thanks"', our own footer's words
    typed back as told, quotation marks and all, is its words."""
    first = sentences[0] if sentences else ""
    if quoted and first.strip(" .!") == "QUOTE":
        return quoted[0].strip(" .!")[1:-1]
    return first


_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_REMOVALS = ("action", "erase", "stop", "refusal", "negation", "negcontact", "negated")


def redirect(sentence: str, f: Found) -> bool:
    """The sentence gives another address to write to: "Don't write to this address any more, we close it in
    January. Send the invite to sales@firm.example." A CONTACT word and an address, in a sentence of no removal
    of its own (not "my colleague (x@firm.example) got the same mail: remove us all"), and not a quote header
    left in the text ("Saatja: Sam Carter <sam@vendor.example>")."""
    m = _ADDRESS.search(sentence)
    return bool(m) and ":" not in sentence[:m.start()] and f.has("contact") and not any(f.has(p) for p in _REMOVALS)


# A postscript's mark, as writers type it: P.S., PS:, P.D. (es), Ui. (hu), Υ.Γ. (el), נ.ב. (he), 追伸 (ja), 附言 (zh)
_POSTSCRIPT = re.compile(r"(?:p\.?\s?s\.?|p\.\s?d\.|ui\.|u\.\s?i\.|υ\.\s?γ\.|נ\.ב\.|追伸|附言|又及)(?:\s|:|$)", re.I)


def postscript(sentences: tuple[str, ...], paragraph_of: tuple[int, ...]) -> int:
    """The first sentence of the reply's postscript, a paragraph starting "P.S." after the letter (the number of
    sentences if there is none): "Still in touch with Prof. Matić? ... P.S. As for the training: not
    interested, don't send these any more." A question in the letter above does not qualify what it says."""
    for k, s in enumerate(sentences):
        if k and paragraph_of[k] != paragraph_of[k - 1] and _POSTSCRIPT.match(s.strip()):
            return k
    return len(sentences)
