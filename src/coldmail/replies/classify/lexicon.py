"""The intent lexicons (`lexicons/<lang>.txt`, one readable file per language): the words of each
intent *part* (ACTION, SELF, CHANNEL, ...) as data, compiled into two patterns per part: one over
the sentence's words as written and one over their lemmas (simplemma), so that an entry written
once matches its inflected forms. Add a language by adding a file; the grammar (grammar.py) is shared.

File format (see lexicons/README.md):

    [meta]
    lemma = de          # simplemma's code for the language, or none
    script = words      # words: entries match whole words; chars: inside words (zh, ja, ar, he)
    split_apostrophe = yes   # French/Italian elision: "m'envoyer" reads as "m' envoyer"
    clitics = mi ci     # object pronouns written onto a verb: "toglieteci" is ACTION + SELF
    question_marks = ;  # question marks of the language's own, beside "?" (Greek types ";")
    negation_prefix = ne nebe   # verbs negated by a prefix: "nebesiųskite" is a negated [contact] word
    [action]
    entfernen           # a word: also matches every form whose lemma is the same
    austrag*            # a stem: any word starting so
    nehmen ... aus      # a phrase; "..." allows up to three words between
    =nein               # (refusal only) the whole first line of the reply
    |لا|                # (chars scripts) "|" at either end: only at a word's start / end
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from coldmail.replies.classify.text import trie_pattern
from coldmail.replies.classify.wordindex import Index

LEXICON_DIR = Path(__file__).parent / "lexicons"
WHOLE_WORDS = 12  # a line of more words is never a whole-line refusal (`whole_line`)

PARTS = (
    "action", "erase", "stop", "contact", "want", "self", "channel", "mydata", "forgotten", "where",
    "obtain", "source", "what", "hold", "copy", "access", "negation", "negated", "deferral", "refusal",
    "polite", "human", "referral", "disclaimer", "footer", "company",
    "everything",  # "everything / whatever (you hold)": ERASE + EVERYTHING about SELF is an erasure
    "store",  # where data is kept (CRM, database, system): ERASE + SELF/MY DATA + STORE is an erasure
    "notonly",  # "not just / not only": the negation is of "only", not of the verb after it
    "wherefrom",  # "whence", "откъде", "nereden": a SOURCE question word (as written: its lemma is "where")
    "courtesy",  # "thanks", "but", "sorry": left out when a first line is compared with the whole-line refusals
    "anaphor",  # "it", "this", "them": what an earlier sentence named ("You send me a newsletter. Cancel it.")
    "instead",  # "instead", "in his place": someone else is taken off and the writer put in
    "owned",  # "address", "name", "profile": what a possessive SELF ([meta] possessives) owns when it is the writer
    "others",  # "customers", "drivers", "users": people whose data the writer's company holds, not the writer
    "now",  # "currently", "for now": a DEFERRAL of now only, which asks for no later message
    "past",  # "I unsubscribed", "ich hatte mich abgemeldet": the writer's own act, told, not a removal asked for
    "goods",  # "invoices", "parcels", "orders": things sent that are not mail to the writer ("stop the paper invoices")
)
# Function words and fixed phrases are matched as written: lemmatizing "don't" gives "do".
AS_WRITTEN = frozenset({"negation", "negated", "deferral", "refusal", "polite", "disclaimer", "footer", "self",
                        "where", "what", "company", "referral", "everything",
                        "notonly", "wherefrom", "courtesy", "anaphor", "instead", "now", "past"})


@dataclass
class Lexicon:
    lang: str
    lemma: str | None
    chars: bool
    split_apostrophe: bool
    negation_after: int
    negation_before: int  # words a negation may stand before its verb ("kun je geen adres uit een rit verwijderen")
    clitics: tuple[str, ...] = ()  # object pronouns written onto the verb: "toglieteci", "quítame", "neħħuni"
    possessives: frozenset[str] = frozenset()  # SELF words that own a noun: "my", "unsere" (`Found.owned`)
    yours: frozenset[str] = frozenset()  # the reader's: "your", "Ihre", "σας" (`Found.yours`)
    subjects: frozenset[str] = frozenset()  # SELF words that are the writer as a subject: "ich", "jeg" (`Found.subject_after`: a subject after the verb is not what it removes or erases)
    question_marks: tuple[str, ...] = ()  # the language's own, beside "?": Greek writers type ";"
    surface: dict[str, re.Pattern] = field(default_factory=dict)
    lemmas: dict[str, re.Pattern] = field(default_factory=dict)
    quick_surface: dict[str, re.Pattern] = field(default_factory=dict)  # `quick` of each, searched in " " + text
    quick_lemmas: dict[str, re.Pattern] = field(default_factory=dict)
    # Which parts a sentence's words can start (`Index`): only those parts' patterns are searched.
    index_surface: Index | None = None
    index_lemmas: Index | None = None
    whole: frozenset[str] = frozenset()  # whole-line refusals, as words() reads them
    courtesy: frozenset[str] = frozenset()  # words a whole line may add to a refusal ("no, thanks")
    gap: str = r"(?:\S+ ){0,3}"  # what "..." matches: up to three words, none of them a negation
    order: dict[str, int] = field(default_factory=dict)  # each part's place among the surface and lemma patterns


def _lemmatize(word: str, lang: str | None) -> str:
    if not lang:
        return _fold_word(word)
    from coldmail.replies.classify.lemmas import lemmatizer

    try:
        return _fold_word(lemmatizer().lemmatize(word, lang).lower())
    except ValueError:
        return _fold_word(word)


# A mailbox's words in each language it is read in (about 4 per reply, and short replies in all of them):
# a corpus of 10,000 replies asks for some 280,000 (word, language) pairs, and a miss costs simplemma's
# whole strategy pipeline, so a smaller cache churns. A million entries is about 200 MB at most.
@functools.lru_cache(maxsize=1_000_000)
def lemma_of(word: str, lang: str | None) -> str:
    """The word's lemma, folded (cached: replies repeat their words)."""
    return _lemmatize(word, lang).replace(" ", "_")


def _fold_word(word: str) -> str:
    return plain(word).replace(" ", "_")


@functools.lru_cache(maxsize=200_000)
def plain(text: str) -> str:
    """Folded (text.fold) and without diacritics, so that "Nepiste" from a phone matches "nepíšte"."""
    import unicodedata

    from coldmail.replies.classify.text import fold

    folded = fold(text)
    if folded.isascii():
        return folded
    stripped = "".join(ch for ch in unicodedata.normalize("NFD", folded) if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def _first_word(entry: str, lex: Lexicon, *, lemmatized: bool) -> tuple[str | None, bool]:
    """The word an entry's pattern starts with, as _entry_atoms folds it, and whether it is a stem
    (None: the entry may start anywhere)."""
    first = (entry.replace("-", " ").split() or ["..."])[0]
    if first == "...":
        return None, False
    star = first.endswith("*")
    originals = _originals(first.rstrip("*"), lex)
    if lemmatized and not star:
        return lemma_of(originals[0], lex.lemma), False
    return _fold_word(originals[0]), star and len(originals) == 1


def _entry_atoms(entry: str, lex: Lexicon, *, lemmatized: bool) -> list[str] | None:
    """One entry as a regex over space-joined words (or over the text, for `chars` scripts), without the
    word start `_compile` puts before it, in pieces: each letter of a word escaped on its own, and each
    other piece whole, so that entries sharing a beginning share a prefix (`quick`)."""
    pieces = []
    for word in (entry if lex.chars else entry.replace("-", " ")).split():
        if word == "...":
            pieces.append(lex.gap)  # "haal ... van" must not read "haal me NIET van"
            continue
        star = word.rstrip("|").endswith("*")
        word = word.replace("*", "") if lex.chars else word.rstrip("*")
        if lex.chars:
            from coldmail.replies.classify.text import fold

            # "|لا|": a whole word (Arabic, Hebrew), not two letters inside "الاتصال"
            start, end = word.startswith("|"), word.endswith("|")
            folded = fold(word.strip("|"))
            pieces.append((r"(?<!\w)" if start else "") + re.escape(folded) + (r"\w*" if star else "")
                          + (r"(?!\w)" if end else "") + " ?")
            continue
        originals = _originals(word, lex)
        if lemmatized and not star:
            folded = [lemma_of(w, lex.lemma) for w in originals]
        else:
            folded = [_fold_word(w) for w in originals]
        for i, w in enumerate(folded):
            last = i == len(folded) - 1
            pieces.extend(re.escape(ch) for ch in w)  # (re.escape escapes letter by letter)
            pieces.append((r"\S*" if star and last else "") + ("(?!\\S) ?" if last else " "))
    if pieces and pieces[-1].endswith(" ?"):
        pieces[-1] = pieces[-1][:-2]
    return [x for x in pieces if x] or None


def _originals(word: str, lex: Lexicon) -> list[str]:
    """An entry's word as the words a sentence is read into ("m'envoyer" -> "m'", "envoyer")."""
    return word.casefold().replace("'", "' ").split() if lex.split_apostrophe else [word.casefold()]


def lemma_words(entry: str, lex: Lexicon, lemma=None) -> tuple[set[str], set[str]]:
    """The lemmas an entry's lemma pattern compares a sentence's lemmas with: exact ones, and the
    stems of its "*" words (any lemma starting so). `lemma(word, lang)` lemmatizes (lemma_of)."""
    lemma = lemma or lemma_of
    exact: set[str] = set()
    stems: set[str] = set()
    for word in entry.replace("-", " ").split():
        if word == "...":
            continue
        star = word.endswith("*")
        originals = _originals(word.rstrip("*"), lex)
        if star:
            exact.update(_fold_word(w) for w in originals[:-1])
            stems.add(_fold_word(originals[-1]))
        else:
            exact.update(lemma(w, lex.lemma) for w in originals)
    return exact, stems


_WORD_START = r"(?<!\S)"


def _compile(entries: list[str], lex: Lexicon, *, lemmatized: bool, part: str = "",
             index: Index | None = None) -> re.Pattern | None:
    atoms = [a for e in entries if (a := _entry_atoms(e, lex, lemmatized=lemmatized))]
    patterns = [a if lex.chars else _WORD_START + a for a in map("".join, atoms)]
    if not patterns:
        return None
    if index is not None and not lex.chars:
        for e in entries:
            index.add(part, *_first_word(e, lex, lemmatized=lemmatized))
    patterns.sort(key=len, reverse=True)
    if all(p.startswith(_WORD_START) for p in patterns):
        # One look-behind before the alternatives, not one in each: the same matches ("(?<!\S)a|(?<!\S)b"
        # is "(?<!\S)(?:a|b)"), but inside a word the engine fails once per position, not once per entry
        # (about eight times faster over a sentence's words)
        compiled = re.compile(_WORD_START + "(?:" + "|".join(p[len(_WORD_START):] for p in patterns) + ")")
        _TREES[compiled.pattern] = trie_pattern(atoms, escape=False)
        return compiled
    return re.compile("|".join(patterns))


# Each word-start pattern's entries as a prefix tree (text.trie_pattern over their pieces), for `quick`: it
# matches at a position exactly when one of the entries does (only which entry matches first may differ), so
# it serves `quick`, which asks only whether a part matches, not the spans `Found` records
_TREES: dict[str, str] = {}


def quick(pattern: re.Pattern) -> re.Pattern:
    """A pattern that finds whether `pattern` matches, searched in " " + text: the entries start with
    a literal space instead of a look-behind, which lets the regex engine skip to the spaces instead of
    trying every position (most parts are absent from most sentences, so this is most of the work),
    and, for a lexicon's part, they form a prefix tree (`_TREES`) instead of a list of alternatives."""
    if not pattern.pattern.startswith(_WORD_START + "(?:"):
        return pattern  # a `chars` script: no word starts to skip to
    if (tree := _TREES.get(pattern.pattern)) is not None:
        return re.compile(" " + tree)
    return re.compile(" " + pattern.pattern[len(_WORD_START):])


def read_file(path: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    """A lexicon file's [meta] settings and its entries per part, as written."""
    meta: dict[str, str] = {}
    entries: dict[str, list[str]] = {}
    section = None
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("<<<<<<<", "=======", ">>>>>>>")):  # a merge left half done: not words of the language
            raise ValueError(f"{path.name}, line {n}: a merge conflict marker ({line[:7]})")
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            if section != "meta" and section not in PARTS:
                raise ValueError(f"{path.name}: unknown part [{section}]")
            continue
        if section == "meta":
            key, _, value = line.partition("=")
            meta[key.strip()] = value.strip()
        elif section:
            entries.setdefault(section, []).append(line)
    return meta, entries


def settings(lang: str, meta: dict[str, str]) -> Lexicon:
    """A lexicon with its [meta] settings and no parts yet."""
    lemma = meta.get("lemma", "none")
    return Lexicon(
        lang=lang,
        lemma=None if lemma == "none" else lemma,
        chars=meta.get("script", "words") == "chars",
        split_apostrophe=meta.get("split_apostrophe", "no") == "yes",
        negation_after=int(meta.get("negation_after", "3")),
        negation_before=int(meta.get("negation_before", "3")),
        clitics=tuple(_fold_word(c) for c in meta.get("clitics", "").split()),
        possessives=frozenset(_fold_word(c) for c in meta.get("possessives", "").split()),
        yours=frozenset(_fold_word(c) for c in meta.get("yours", "").split()),
        subjects=frozenset(_fold_word(c) for c in meta.get("subjects", "").split()),
        question_marks=tuple(meta.get("question_marks", "").split()),
    )


@functools.cache
def _english_entries() -> frozenset[str]:
    """en.txt's entries, lower case (read once for the four lexicons typed in Latin letters)."""
    return frozenset(e.lstrip("=").lower() for items in read_file(LEXICON_DIR / "en.txt")[1].values() for e in items)


@functools.cache
def lexicon(lang: str) -> Lexicon | None:
    """The compiled lexicon of a language, or None if there is no file for it. `el-latn`, `ru-latn`...:
    the language's lexicon for replies typed in Latin letters (translit.py), entries as skeletons."""
    base, _, latin = lang.partition("-")
    path = LEXICON_DIR / f"{base}.txt"
    if not path.exists() or latin and latin != "latn":
        return None
    meta, entries = read_file(path)
    if latin:
        from coldmail.replies.classify.translit import FAMILY, from_native, latin_entries

        if base not in FAMILY:
            return None
        family = FAMILY[base]
        entries = {part: latin_entries(items, family, _english_entries()) for part, items in entries.items()}
        meta = {**{k: v for k, v in meta.items() if k not in ("lemma", "script")},
                **{k: " ".join(from_native(w, family) for w in meta[k].split())
                   for k in ("clitics", "possessives", "yours", "subjects") if k in meta}}
    lex = settings(base, meta)
    negations = sorted({_fold_word(e) for e in entries.get("negation", []) if e.isalpha() or "'" in e}, key=len, reverse=True)
    if negations and not lex.chars:
        lex.gap = r"(?:(?!(?:" + "|".join(map(re.escape, negations)) + r") )\S+ ){0,3}"
    whole = []
    surface_index, lemma_index = Index(), Index()
    for part, items in entries.items():
        if part == "courtesy":
            lex.courtesy = frozenset(w for e in items for w in words(e))
            continue
        plain = [e for e in items if not e.startswith("=")]
        whole += [" ".join(words(e[1:])) for e in items if e.startswith("=")]
        if (p := _compile(plain, lex, lemmatized=False, part=part, index=surface_index)) is not None:
            lex.surface[part] = p
        if lex.lemma and part not in AS_WRITTEN and (
                p := _compile(plain, lex, lemmatized=True, part=part, index=lemma_index)) is not None:
            lex.lemmas[part] = p
    lex.whole = frozenset(whole)
    lex.quick_lemmas = {part: quick(p) for part, p in lex.lemmas.items()}
    # Languages that negate by a prefix ("nesiųskite", "nepište"): the prefixed CONTACT words are a negated contact.
    prefixes = meta.get("negation_prefix", "").split()
    if prefixes:
        stems = [e for e in entries.get("contact", []) if " " not in e and not e.startswith("=")]
        negated_forms = [p + (e if e.endswith("*") else e + "*") for e in stems for p in prefixes]
        if (p := _compile(negated_forms, lex, lemmatized=False, part="negcontact", index=surface_index)) is not None:
            lex.surface["negcontact"] = p
    lex.quick_surface = {part: quick(p) for part, p in lex.surface.items()}
    lex.order = {part: i for i, part in enumerate(dict.fromkeys([*lex.surface, *lex.lemmas]))}
    if not lex.chars:
        lex.index_surface, lex.index_lemmas = surface_index.done(), lemma_index.done()
    return lex


_WORD = re.compile(r"\w+(?:'\w+)*")


def words(line: str) -> list[str]:
    """A line's words as whole-line refusals compare them: folded as the lexicons fold, no punctuation."""
    return _WORD.findall(plain(line))


def whole_line(line: str, lex: Lexicon, *, near: bool = False) -> str | None:
    """The lexicon's whole-line refusal that `line` is ("Nein.", "No, thanks!", "Ne, díky."), or None.

    With `near`, a refusal one typo away counts too ("no thnaks", "nein dnake", "ei kitos", "nejtak": our
    own "just reply 'no thanks'", typed in a hurry), if it is long enough that one letter does not make
    another word: two words of five letters or more, or one word of eight ("unsubscibe", not "basta" or "remover").
    """
    said = words(line)
    if not said or len(said) > WHOLE_WORDS:  # the longest refusal is five words; courtesy may add a few
        return None
    forms = dict.fromkeys((" ".join(said), " ".join(w for w in said if w not in lex.courtesy)))
    exact = next((f for f in forms if f in lex.whole), None)
    if exact is not None or not near:
        return exact
    for form in forms:
        if form and (match := process.extractOne(form, _near(lex.whole), scorer=OSA.distance, score_cutoff=1)):
            return match[0]
    return None


# Where a short reply's pieces end: "Not interested, remove me.", "No thanks; unsubscribe"
_PIECE_END = re.compile(r"\s*(?:[,;:\u060c\u3001\uff0c\uff1b]|\s[-\u2013\u2014]\s)\s*")
REFUSAL_PIECES = 3  # a reply of more pieces than this is not a refusal said once over


def refusals_only(sentences: tuple[str, ...], lex: Lexicon) -> bool:
    """Whether a short reply is whole-line refusals and nothing else, in a sentence or a few: "Not
    interested, remove me.", "No thanks. Unsubscribe." (each piece, between commas or full stops, is one)."""
    pieces = [p for s in sentences for p in _PIECE_END.split(s) if p.strip(" .!?。！")]
    return 1 < len(pieces) <= REFUSAL_PIECES and all(whole_line(p, lex) is not None for p in pieces)


@functools.cache
def _near(whole: frozenset[str]) -> tuple[str, ...]:
    """The whole-line refusals long enough to be matched one typo away."""
    return tuple(w for w in sorted(whole) if len(w.replace(" ", "")) >= (5 if " " in w else 8))


@functools.cache
def languages() -> tuple[str, ...]:
    """The languages with a lexicon file (read once: the files ship with the package)."""
    return tuple(sorted(p.stem for p in LEXICON_DIR.glob("*.txt")))
