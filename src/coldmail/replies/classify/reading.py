"""What the rules read in a reply, in one language (`grammar.read_reply` fills it; `intent` chooses
among the languages' readings and weighs it against the model)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Reading:
    """What the rules found in one language: the intent, and the parts that made it."""

    lang: str
    intent: str | None = None  # opt_out, erasure, source, access, human, or None (nothing found)
    also_opt_out: bool = False
    company_wide: bool = False
    parts: list[str] = field(default_factory=list)  # e.g. "ACTION=remove + SELF=me"
    human: list[str] = field(default_factory=list)  # positive evidence of a person's reply
    blocked: list[str] = field(default_factory=list)  # what stopped an opt-out (negation, deferral...)
    hits: int = 0  # how many parts were found at all (to rank languages)
    conflict: str = ""  # another candidate language's reading that finds a person's ordinary reply instead
    support: int = 0  # how many separate findings make the intent (a formal request repeats itself)
    found: set[str] = field(default_factory=set)  # every request and opt-out found, the intent's and beside it
    said: int = 0  # words the writer said: before the signature and any disclaimer below it (quotes.said)
    first_at: int | None = None  # words before the sentence of the first finding (a request up top, or below)
    held: str = ""  # an opt-out said outright but held back by a deferral or polite words beside it
    latin: bool = False  # read as a Greek or Cyrillic language typed in Latin letters (translit.py)
    named: bool = False  # some sentence names the writer's data (MY DATA; not "your traffic data", not a disclaimer's)
    whole: bool = False  # the reply is one whole-line refusal and nothing else ("Not interested.", "Unsubscribe")
    stray: bool = False  # read in a language the detector did not propose: `latin`, or a short reply read in every language
    typo: bool = False  # read with words one typo from the lexicon's corrected (typos.py): a guess, like `stray`

    @property
    def ways(self) -> int:
        """How many different ways an opt-out is said: a bare refusal, a removal, a stop, a negated
        contact ("No thanks. Stop emailing me." says it two ways; "nesūtiet", one word read as a negated
        contact and as a refusal, one way)."""
        heads: set[str] = set()
        words: set[str] = set()
        for p in self.parts:
            head, _, rest = p.partition("=")
            word = rest.split(" + ")[0].split(" (")[0]
            if word not in words:
                words.add(word)
                heads.add(head.split(" ")[0].replace("NEGATED", "NEGATION"))
        return len(heads & {"REFUSAL", "ACTION", "STOP", "NEGATION"})

    @property
    def why(self) -> str:
        return "; ".join(self.parts or self.human or self.blocked)
