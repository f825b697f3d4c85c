"""The parts one sentence holds (`Found`), as a language's lexicon finds them: for each part, the
word spans it matched, and whether a negation reaches them. The grammar (grammar.py) composes a
reply's intent from these."""

from __future__ import annotations

from coldmail.replies.classify.lexicon import Lexicon
from coldmail.replies.classify.sentences import Sentence


class Found:
    """The parts of one sentence: for each, the (start, end) word spans and the matched words."""

    def __init__(self, s: Sentence, lex: Lexicon) -> None:
        self.s = s
        self.lex = lex
        self.spans: dict[str, list[tuple[int, int, str]]] = {}
        self.readers = False  # the sentence asks about the reader's own data ("your traffic data", `yours`)
        # Most parts are absent from most sentences: one `search` says so, far cheaper than `_add`.
        # Only the parts whose entries can start at one of the sentence's words are searched.
        # (the candidate parts in the lexicon's order: a few of some thirty)
        surface, padded = s.surface, " " + s.surface
        quick = lex.quick_surface
        maybe = sorted(lex.index_surface.parts(surface.split(" ")), key=lex.order.get) if lex.index_surface else quick
        for part in maybe:
            if (found := quick.get(part)) is not None and found.search(padded):
                self._add(part, lex.surface[part], surface)
        if lemmas := s.lemmas:
            padded = " " + lemmas
            quick = lex.quick_lemmas
            maybe = sorted(lex.index_lemmas.parts(lemmas.split(" ")), key=lex.order.get) if lex.index_lemmas else quick
            for part in maybe:
                if (found := quick.get(part)) is not None and found.search(padded):
                    self._add(part, lex.lemmas[part], lemmas, words=surface)

    def _add(self, part: str, pattern, text: str, words: str | None = None) -> None:
        got = self.spans.setdefault(part, [])
        split = None
        for m in pattern.finditer(text):
            if m.end() == m.start():
                continue
            if self.lex.chars:
                got.append((m.start(), m.end(), m.group(0)))
                continue
            a = text.count(" ", 0, m.start())
            b = a + m.group(0).strip().count(" ")
            split = split or (words or text).split(" ")
            if not any(x[0] == a for x in got):
                got.append((a, b, " ".join(split[a:b + 1])))
        if not got:
            del self.spans[part]

    def _keep(self, part: str, kept: list[tuple[int, int, str]]) -> None:
        """Keep only these matches of `part` (none: the part is not in the sentence)."""
        if kept:
            self.spans[part] = kept
        else:
            del self.spans[part]

    def drop_inside(self, part: str, *containers: str) -> None:
        """Forget matches of `part` inside matches of the containers ("interest" in "no interest")."""
        if part not in self.spans:
            return
        inside = [(a, b) for c in containers for a, b, _ in self.spans.get(c, ())]
        self._keep(part, [x for x in self.spans[part] if not any(a <= x[0] and x[1] <= b for a, b in inside)])

    def owned(self) -> None:
        """A possessive SELF word ("my", "unsere") names the writer only where it owns what a request is
        about, within the next three words or the two before: the address, the data, a list, the company ("delete my personal
        data", "remove our company"). Not "delete my earlier question" or "what do you store on our drivers"."""
        if self.lex.chars or "self" not in self.spans:
            return
        what = [a for p in ("owned", "self", "channel", "mydata", "company", "contact", "store", "everything")
                for a, b, _ in self.spans.get(p, ()) if b > a or p != "self"]
        self._keep("self", [x for x in self.spans["self"]  # "my old work email", and after the noun: "qualquer rasto meu"
                            if x[0] < x[1] or x[2] not in self.lex.possessives
                            or any(-2 <= a - x[0] <= 3 and a != x[0] for a in what)])

    def yours(self, asks: bool) -> None:
        """A referral or data word the reader owns is not the writer's: "I told your colleague at the
        fair" names no one to write to instead, and "where do you get your traffic data?" asks about
        no data of the writer's (only in a question: "borren sus datos" is also "delete his data"; and
        not if the sentence names the writer too: "your notes about me").
        The owner is the word just before, or the word after ("συνάδελφό σας"); for data also the word
        before a plain word ("your traffic data", not "i bhur mbunachar sonraí": your database)."""
        parts = ("referral",) if "self" in self.spans or not asks else ("referral", "mydata")
        if self.lex.chars or not self.lex.yours or not any(p in self.spans for p in parts):
            return
        words = self.s.surface.split(" ")
        yours = self.lex.yours

        def owned(a: int, b: int, part: str) -> bool:
            if a >= 1 and words[a - 1] in yours or b + 1 < len(words) and words[b + 1] in yours:
                return True
            return part == "mydata" and a >= 2 and words[a - 2] in yours and not any(
                x <= a - 1 <= y for spans in self.spans.values() for x, y, _ in spans)

        for part in parts:
            if part not in self.spans:
                continue
            kept = [x for x in self.spans[part] if not owned(x[0], x[1], part)]
            self.readers |= part == "mydata" and len(kept) < len(self.spans[part])
            self._keep(part, kept)

    def others(self) -> None:
        """The data of the writer's customers, drivers or users is not the writer's: "deleting our
        customers' data", "les données de nos clients", "客户地址数据". MY DATA within three words of
        an OTHERS word (four characters in scripts without spaces) is theirs, and so is a possessive
        SELF just before an OTHERS word ("our customers")."""
        if "others" not in self.spans:
            return
        reach = 4 if self.lex.chars else 3
        others = self.spans["others"]

        def theirs(a: int, b: int) -> bool:
            return any(-reach <= a - ob <= reach or -reach <= oa - b <= reach for oa, ob, _ in others)

        if "mydata" in self.spans:
            self._keep("mydata", [x for x in self.spans["mydata"] if not theirs(x[0], x[1])])
        if "self" in self.spans:  # only a possessive that owns the OTHERS word: not "nous" in "nos clients nous demandent"
            self._keep("self", [x for x in self.spans["self"] if not (
                x[2] in self.lex.possessives and any(0 < oa - x[1] <= 2 for oa, _, _ in others))])

    def named(self, part: str) -> bool:
        """The first match of `part` is a noun the writer owns or points at ("meu e-mail não está no site",
        "I never published this email"): a possessive just before it, or inside a SELF phrase."""
        if self.lex.chars or part not in self.spans:
            return False
        c = min(self.spans[part])[0]
        mine = self.spans.get("self", ())
        if any(a < c <= a + 2 and w in self.lex.possessives or a <= c <= b and b > a for a, b, w in mine):
            return True
        # "Mi correo no está en su web", "Το email μου δεν είναι": a CHANNEL noun beside a SELF word (after it only
        # where something precedes the noun: "Email me never again" commands), negated only after it (a verb's
        # negation comes first, "no me escriban", "μη μου στέλνετε"; or the verb is no CHANNEL, "Mail mij niet meer")
        return (any(c == a for a, _, _ in self.spans.get("channel", ())) and any(
                    b == c - 1 or a == c + 1 and c > 0 for a, b, _ in mine)
                and all(n > c for n, _, _ in self.spans.get("negation", ())))

    def has(self, part: str) -> bool:
        return part in self.spans

    def in_or_after(self, part: str, other: str) -> bool:
        """Some match of `part` is in the clause of the first match of `other`, or in a later one (any match
        counts where there is no `other`, and in `chars` scripts, which have no clauses)."""
        if part not in self.spans:
            return False
        if self.lex.chars or other not in self.spans:
            return True
        first = self.s.clauses[min(a for a, _, _ in self.spans[other])]
        return any(self.s.clauses[b] >= first for _, b, _ in self.spans[part])

    def within(self, part: str, other: str) -> bool:
        """Every match of `part` is also a match of `other` (the same words read two ways)."""
        theirs = {(a, b) for a, b, _ in self.spans.get(other, ())}
        return part in self.spans and all((a, b) in theirs for a, b, _ in self.spans[part])

    def overlaps(self, part: str, *others: str) -> bool:
        """A match of `part` shares a word with a match of one of the others (one verb read two ways)."""
        theirs = [(a, b) for o in others for a, b, _ in self.spans.get(o, ())]
        return any(a <= y and x <= b for x, y, _ in self.spans.get(part, ()) for a, b in theirs)

    def near(self, part: str, other: str, clauses: int = 1) -> bool:
        """Some match of `part` is within `clauses` clauses of some match of `other`; a clause of courtesy
        words only ("Удалите, пожалуйста, меня") does not count. `chars` scripts have no clauses."""
        if self.lex.chars:
            return self.has(part) and self.has(other)
        words, of = self.s.surface.split(" "), self.s.clauses
        empty = {c for c in set(of) if all(w in self.lex.courtesy for w, k in zip(words, of, strict=True) if k == c)}

        def apart(i: int, j: int) -> int:
            lo, hi = sorted((of[i], of[j]))
            return sum(1 for c in range(lo + 1, hi + 1) if c not in empty)

        return any(apart(a, x) <= clauses for a, _, _ in self.spans.get(part, ()) for x, _, _ in self.spans.get(other, ()))

    def beside(self, part: str, *verbs: str, before: int = 2, after: int = 3) -> bool:
        """Some match of `part` is in the clause of a match of one of `verbs`, at most `before` words before it
        or `after` words after its first word: its object ("stop sending us paper invoices", "paperilaskujen lähettäminen"),
        not a word further on ("stop writing to me about your invoicing tool"). `chars` scripts: anywhere."""
        if self.lex.chars:
            return self.has(part)
        of = self.s.clauses
        return any(of[a] == of[x] and (0 < a - x <= after or 0 < x - b <= before)
                   for a, b, _ in self.spans.get(part, ()) for v in verbs for x, y, _ in self.spans.get(v, ()))

    def subject_after(self, verb: str) -> bool:
        """The writer is named only as a subject after every match of `verb` ([meta] subjects), in its
        clause or a later one: "Bitte löschen Sie die Mail, ich habe die falsche Datei angehängt" deletes
        a message, and "ich" is who attached it; "Die Datei mit den anonymisierten Namen schicke ich" names
        who sends, not who is erased. Not "Ich möchte gelöscht werden", where "ich" comes first. `chars`
        scripts have no words to order."""
        if self.lex.chars or not self.lex.subjects or not self.has("self") or not self.has(verb):
            return False
        first = min(a for a, _, _ in self.spans[verb])
        return all(a == b and w in self.lex.subjects and a > first for a, b, w in self.spans["self"])

    def ordered(self, *parts: str) -> bool:
        """Some match of each part follows some match of the one before, in word order."""
        at = -1
        for part in parts:
            later = [a for a, _, _ in self.spans.get(part, ()) if a > at]
            if not later:
                return False
            at = min(later)
        return True

    def asks_where(self) -> bool:
        """A WHERE word that is not also a WHAT word ("which") in the clause of an OBTAIN word: "where
        did you get it", not "which data do you have, and how long do you keep it"."""
        if not self.has("where"):
            return False
        if self.lex.chars or not self.has("obtain"):
            return not self.within("where", "what")
        whats = {(a, b) for a, b, _ in self.spans.get("what", ())}
        verbs = {self.s.clauses[a] for a, _, _ in self.spans["obtain"]}
        return any((a, b) not in whats and self.s.clauses[a] in verbs for a, b, _ in self.spans["where"])

    def word(self, part: str) -> str:
        return self.spans[part][0][2]

    def negated(self, part: str, every: bool = True) -> bool:
        """Every match of `part` (or, with every=False, its first: "don't send me these emails" negates
        "send", not "emails") has a negation just before it (or after, in V2 languages), in its clause.
        A negation inside the match itself ("больше не", "no more") is part of its meaning."""
        if self.has("negated"):
            return True
        spans = self.spans[part] if every else [min(self.spans[part])]
        if not self.has("negation"):
            return False
        # "Don't email me and delete my data": the negation is of the writing, not of the deleting. A verb
        # of the other kind (writing vs. removing) between the negation and this one, or just before the
        # negation in a language that negates after the verb ("Schreiben Sie mir nicht mehr und löschen
        # Sie...", "消去し、二度と使わないで"), takes the negation for itself.
        other = _WRITING if part in _REMOVING else _REMOVING if part in _WRITING else ()
        verbs = [x for p in other for x, _, _ in self.spans.get(p, ())]
        if self.lex.chars:  # "不要删除", "削除の必要はありません": a negation just before or after
            inside = [(a, b) for p in ("notonly", "polite", "refusal", part) for a, b, _ in self.spans.get(p, ())]
            negs = [(a, b) for a, b, _ in self.spans["negation"] if not any(a < y and x < b for x, y in inside)]  # overlapping: part of it
            after = 12 if self.lex.negation_after else 0  # "削除の必要はありません"; zh, he, ar negate before
            text = self.s.surface

            def reaches(y: int, a: int) -> bool:  # "消去し、二度と使わないで": the negation is of the later verb
                # (folding turns the reply's commas into spaces, which these scripts do not put between words)
                return " " not in text[y:a] and not any(y <= v < a for v in verbs)

            return all(any(x - 6 <= b <= x or y <= a <= y + after and reaches(y, a) for a, b in negs)
                       for x, y, _ in spans)
        consumed = {i for p in ("refusal", "polite", "notonly") for a, b, _ in self.spans.get(p, ()) for i in range(a, b + 1)}
        consumed |= {i for a, b, _ in self.spans[part] for i in range(a + 1, b + 1)}  # "no more", "больше не"
        negs = [(a, b) for a, b, _ in self.spans["negation"] if a not in consumed]
        clauses = self.s.clauses

        def taken(a: int, b: int, i: int) -> bool:
            return any(b < x < i or x < a <= x + self.lex.negation_after for x in verbs)

        def neg(i: int) -> bool:
            for a, b in negs:
                if i - self.lex.negation_before - 1 <= b < i and clauses[b] == clauses[i] and not taken(a, b, i):
                    return True
                if self.lex.negation_after and i < a <= i + self.lex.negation_after and clauses[a] == clauses[i]:
                    return True
            return False

        return all(neg(a) for a, _, _ in spans)


_WRITING = ("contact", "stop", "want")  # verbs of writing to someone (and of wanting it)
_REMOVING = ("action", "erase")  # verbs of taking someone off, or their data away


def wanted(f: Found) -> bool:
    """What a negated WANT is about, in its own clause: "I don't want your emails", not "don't want to
    miss it, keep me on the list" (the list is in the next clause)."""
    if f.lex.chars:
        return f.has("channel") or f.has("contact")
    clause = f.s.clauses[min(f.spans["want"])[0]]
    return any(f.s.clauses[a] == clause for p in ("channel", "contact") for a, _, _ in f.spans.get(p, ()))


def label(part: str, found: Found) -> str:
    return f"{part.upper()}={found.word(part)}"
