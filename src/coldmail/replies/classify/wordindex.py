"""Which parts of a lexicon a sentence's words may hold at all (`Index`), looked up per word before any
part's pattern is searched (lexicon.py builds one over the words as written and one over their lemmas)."""

from __future__ import annotations


class Index:
    """The words each part's entries start with (exact, or the stem of a "*" word), so that a
    sentence's words say which parts can match in it at all: most parts are absent from most
    sentences, and a dictionary lookup per word is cheaper than a pattern search per part."""

    def __init__(self) -> None:
        self.exact: dict[str, set[str]] = {}
        self.stems: dict[str, set[str]] = {}
        self.always: set[str] = set()  # parts with an entry that can start anywhere (a leading "...")
        self.lengths: tuple[int, ...] = ()
        self.known: dict[str, frozenset[str]] = {}

    def add(self, part: str, first: str | None, stem: bool) -> None:
        if first is None:
            self.always.add(part)
        else:
            (self.stems if stem else self.exact).setdefault(first, set()).add(part)

    def done(self) -> Index:
        self.lengths = tuple(sorted({len(s) for s in self.stems}))
        return self

    def parts(self, words: list[str]) -> set[str]:
        """The parts whose entries may start at one of `words`."""
        found = set(self.always)
        known = self.known
        for w in words:
            if (p := known.get(w)) is None:
                p = self._starting(w)
            if p:
                found |= p
        return found

    def _starting(self, w: str) -> frozenset[str]:
        """The parts an entry of which may start at the word `w` (remembered: replies repeat words)."""
        p: set[str] = set(self.exact.get(w, ()))
        for k in self.lengths:
            if k > len(w):
                break
            p |= self.stems.get(w[:k], set())
        if len(self.known) >= 100_000:
            self.known.clear()
        self.known[w] = frozenset(p)
        return self.known[w]
