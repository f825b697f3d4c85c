"""A reply's own words as sentences of words and lemmas: simplemma splits the sentences and the
words and gives the lemmas; the words are folded as the rest of the classifier folds text."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from coldmail.replies.classify.lexicon import Lexicon, lemma_of, plain
from coldmail.replies.classify.text import fold

_CLAUSE = frozenset(",;:–—-().")  # negation does not reach over these (nor over a full stop the splitter kept: "Níl uaim é. Fág as mé")
_ABBREVIATION = re.compile(r"(?<!\w)\w{1,4}\.$")  # "Art.", "čl.", "ust.", "Nr." before a number


# An email address is not words ("eolas@firm.ie" is not "eolas", information); a web address is
# one word, "http" ("https://firm.example/unsubscribe" is a link, which a footer's words may name).
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)


@dataclass
class Sentence:
    surface: str  # folded words, one space between
    lemmas: str  # their lemmas, one space between (same number of words); "" without a lemmatizer
    clauses: list[int]  # clause number of each word (commas and dashes start a new clause)
    raw: str


def split(text: str) -> list[str]:
    """The sentences of `text` (simplemma's splitter, inside each line: mail lines are sentences too)."""
    return [s for _, _, s in numbered(text)]


# Greek asks with ";" (or its own code point): "Πού τη βρήκατε; Δεν την έχω δώσει" is two sentences
_GREEK_QUESTION = re.compile(r"(?<=[;\u037e])\s+(?=[\u0386-\u03ab])")


def numbered(text: str) -> list[tuple[int, int, str]]:
    """The sentences of `text`, each with the number of its paragraph (blank lines separate them) and
    of its line."""
    import simplemma

    out = []
    paragraph = 0
    for number, line in enumerate(text.splitlines()):
        line = line.strip()
        if not line:
            paragraph += 1 if out and out[-1][0] == paragraph else 0
            continue
        for s in (part for piece in simplemma.split_sentences(line) for part in _GREEK_QUESTION.split(piece)):
            if not s.strip():
                continue
            if out and out[-1][0] == paragraph and _ABBREVIATION.search(out[-1][2]) and s.lstrip()[:1].isdigit():
                out[-1] = (paragraph, out[-1][1], f"{out[-1][2]} {s}")  # "Art. 17", "čl. 15", "чл. 17": one sentence
            else:
                out.append((paragraph, number, s))
    return out


SIGNATURE_WORDS = 6  # a signature's lines are short: a name, a title, a company


def signature(found: list[tuple[int, int, str]]) -> frozenset[int]:
    """The sentences (by index in `found`) under the name in a closing signature block: the last
    paragraph, after the writer's own, when each of its lines is one short sentence with no full
    stop or question mark ("Juan Pérez / Responsable de Sistemas / Grupo Norte": the title names no
    one to write to instead)."""
    if not found or found[-1][0] == found[0][0]:
        return frozenset()
    last = [k for k, (p, _, _) in enumerate(found) if p == found[-1][0]]
    lines = [found[k][1] for k in last]
    if len(last) < 2 or len(set(lines)) < len(lines) or any(
            len(found[k][2].split()) > SIGNATURE_WORDS or found[k][2].rstrip()[-1:] in ".!?;" for k in last):
        return frozenset()
    # under a name: its first line is a few capitalised words ("Juan Pérez"), not "No thanks from me"
    name = found[last[0]][2].split()
    if len(name) > 4 or not all(w[:1].isupper() and w.replace("-", "").replace(".", "").isalpha() for w in name):
        return frozenset()
    return frozenset(last[1:])


def read(sentence: str, lex: Lexicon) -> Sentence:
    """One sentence as the lexicon of a language reads it."""
    if lex.chars:
        folded = fold(sentence)
        return Sentence(folded, "", [0] * (folded.count(" ") + 1), sentence)
    originals, words, clauses = _words(sentence, lex.split_apostrophe)
    lemmas = " ".join(lemma_of(w, lex.lemma) for w in originals) if lex.lemma else ""
    return Sentence(" ".join(words), lemmas, clauses, sentence)


# A token folded (text.fold, a pure function): replies repeat their words, and tokenizing folds each one
_fold_token = functools.lru_cache(maxsize=100_000)(fold)


@functools.lru_cache(maxsize=256)  # one reply's sentences, across the languages it is read in
def _words(sentence: str, split_apostrophe: bool) -> tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]]:
    """The sentence's words (folded, and without diacritics) and their clause numbers: the same in
    every language read, so a reply read in four candidate languages is tokenized once."""
    import simplemma

    words: list[str] = []
    originals: list[str] = []
    clauses: list[int] = []
    clause = 0
    sentence = _URL.sub(" http ", _EMAIL.sub(" ", sentence))
    for token in simplemma.simple_tokenizer(sentence):
        if token in _CLAUSE or (len(token) == 1 and not token.isalnum()):
            if token in _CLAUSE:
                clause += 1
            continue
        folded = _fold_token(token)
        if not folded:
            continue
        if split_apostrophe and "'" in folded:
            folded = folded.replace("'", "' ")
        folded = folded.replace("-", " ")  # clitics: "dezabonați-mă", "laissez-moi"
        for w in folded.split():
            originals.append(w)
            words.append(plain(w))
            clauses.append(clause)
    return tuple(originals), tuple(words), tuple(clauses)
