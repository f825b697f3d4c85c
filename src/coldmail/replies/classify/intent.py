"""What a person's reply asks for (`classify_text`): the rules read it, a model gives a second
opinion, and anything unsure waits for a person.

1. The rules (grammar.py over lexicons/<lang>.txt): the reply is split into sentences and words,
   the words lemmatized (simplemma) in the detected language (lingua; the contact's country
   language only as a prior), and the intent composed from parts (ACTION + SELF, ERASE + MY DATA...).
2. The model (model.py): character n-grams and a linear model trained on the training split.

The decision:
- the rules found a request or an opt-out: it is acted on, unless the model is sure the reply is
  a person's ordinary answer (its "human" probability reaches `veto`) or another request or
  opt-out (reaching `differ`: the rules may have read only half of it), the reading in another
  candidate language finds a person's ordinary reply instead, or the reply is long (more than 80 words
  said, its signature and disclaimer not counted) and the request not stated more than once, starting
  within its first 40 words (inside 80 words of something else it may be a quotation or an aside): then a
  person looks;
- the rules found positive evidence of a person's reply (interest, a question, a referral, a
  deferral, a negated removal): "human", unless the model is sure of a request or an opt-out;
- the rules found nothing: nobody knows, so a person looks ("no intent found" is not "human");
- a whole-line refusal and nothing else ("Not interested.", "Unsubscribe"): acted on, whatever the
  model's "human" probability (there is nothing beside it to misread);
- a refusal sign and nothing else ("👎"; "🛑" above "Sent from my iPhone" if the model reads it so too):
  an opt-out in any language;
- no readable text (binary, empty after stripping, a 👍): "unreadable", confidence 0, which stops nothing.
"""

from __future__ import annotations

import dataclasses
import re

from coldmail.replies.classify import translit, typos
from coldmail.replies.classify.grammar import Reading, read_reply
from coldmail.replies.classify.language import SHORT, candidates
from coldmail.replies.classify.lexicon import WHOLE_WORDS, languages, lexicon, whole_line
from coldmail.replies.classify.mentions import first_sentence
from coldmail.replies.classify.model import load as load_model
from coldmail.replies.classify.quotes import device_line
from coldmail.replies.classify.result import REVIEW_THRESHOLD, Classification
from coldmail.store.states import ReplyKind, RequestKind

ACT = 0.95  # the rules found a request or an opt-out and the model does not object
ACT_HUMAN = 0.9  # positive evidence of a person's reply, and the model sees no request
DISAGREE = 0.6  # below REVIEW_THRESHOLD: a person decides
NOTHING_FOUND = 0.3
LONG = 80  # words
# A reply read in a language the detector did not propose (Greek or Cyrillic typed in Latin letters; a
# short reply read in every language) is acted on only if the model is this sure of the same reading (a
# skeleton loses letters: "email" in an English reply folds like a Greek loanword; "otvoriť" is a French verb's form)
STRAY_SURE = 0.75
# Where the rules find nothing but the writer's data named (MY DATA, or something the writer owns: "my
# address"), the model alone opens a source or access request when this sure (out of fold over training,
# session 18: 5 such readings at 0.85, all right; without that guard 17, one a genuine "who are you?", and
# "where do your route times come from?" would be one). Not in a long reply, where a rules' finding waits too.
MODEL_ALONE = 0.85
SHORT_WORDS = 30  # a reply of this many words or fewer is read in every language if its own find nothing
# (the detector errs on short replies: "Parem de me mandar esses e-mails" reads as French and English)
# How a reading says its language is a guess (the answer to a request is not written in it: privacy/answers.py)
GUESSED = ("read in every language", "typed in Latin letters")
_PRIORITY = {"erasure": 0, "source": 1, "access": 2, "opt_out": 3, "human": 4, None: 5}
_REQUESTS = ("opt_out", "erasure", "source", "access")

assert DISAGREE < REVIEW_THRESHOLD <= ACT_HUMAN < ACT


# Control characters (Cc) but line breaks and tabs, private-use (Co) and surrogate (Cs) code points,
# and the replacement mark: binary decoded as text.
_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ud800-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd]")


def unreadable(text: str) -> bool:
    """No letters to read, or mostly control characters and replacement marks (binary decoded as text)."""
    letters = (ch for ch in text if ch.isalpha())
    if next(letters, None) is None or next(letters, None) is None:
        return True
    return len(_JUNK.findall(text)) > 0.1 * len(text)


_MARKS = frozenset({"QUESTION", "QUOTED"})  # what a question or quotation marks alone count as


def suppresses(reading: Reading) -> bool:
    """Whether acting on the rules' finding suppresses the writer: an opt-out, an erasure request, or a
    request that also says stop."""
    return reading.intent in ("opt_out", "erasure") or bool(reading.also_opt_out)


def _asks_only(reading: Reading) -> bool:
    """All a reading found is a question mark (or quotation marks): no more than nothing."""
    return reading.intent == "human" and set(reading.human) <= _MARKS


def _found_nothing(reading: Reading) -> bool:
    """A reading that found no part at all: no request, nothing held back ("maybe next year. remove
    me"), no person's words; a question mark at most."""
    return reading.intent in (None, "human") and set(reading.human) <= _MARKS and not reading.blocked and not reading.held


def read(text: str, prior: str | None = None) -> Reading:
    """The rules' reading in the most likely language that yields one."""
    best: Reading | None = None
    negated = False
    readings = []
    langs = candidates(text, prior)
    for lang in langs:
        lex = lexicon(lang)
        if lex is None:
            continue
        reading = read_reply(text, lex)
        readings.append(reading)
        negated |= any(h.startswith("NEGAT") for h in reading.human)
        if best is None or _PRIORITY[reading.intent] < _PRIORITY[best.intent]:
            best = reading
    if len(text.split()) <= SHORT_WORDS and all(_found_nothing(r) for r in readings):
        # "Avregistrera", "Odjava.": a word or two is too little for the detector; every lexicon reads
        # it, and it is taken only when exactly one kind of request is found and nothing else.
        # (the lexicons are read in order until a second kind, or a person's words, rules the guess out)
        kinds: set[str] = set()
        found: Reading | None = None
        for lang in languages():
            if lang in langs or (lex := lexicon(lang)) is None:
                continue
            other = read_reply(text, lex)
            if other.intent is None or _asks_only(other):
                continue
            kinds.add(other.intent)
            if len(kinds) > 1 or other.intent not in _REQUESTS:
                break
            found = found or other
        if len(kinds) == 1 and kinds <= set(_REQUESTS):
            best = found
            best.stray = True
            best.parts = [*best.parts, f"(a reply of {len(text.split())} word(s), {GUESSED[0]})"]
            readings.append(best)
    first = first_sentence(text) if all(r.intent is None for r in readings) else ""
    if first and len(first.split()) <= WHOLE_WORDS:  # (a longer first line is never a whole-line refusal)
        # "no thnaks", "nein dnake", "ei kitos": our own opt-out words typed in a hurry. A first line one
        # typo from some language's whole-line refusal is read as that refusal, in that language.
        for lang in [*langs, *(x for x in languages() if x not in langs)]:
            lex = lexicon(lang)
            if lex is not None and whole_line(first, lex, near=True):
                typo = read_reply(text, lex, near=True)
                if typo.intent is not None:
                    best = typo
                    readings.append(best)
                    break
    if all(r.intent is None for r in readings) and len(text.split()) <= SHORT_WORDS:
        # "no thnaks not intrested pls dont emial agian": a phone reply's words, one typo from the lexicon's
        # (`typos`), in a language the detector proposed; a guess, kept only where the model is sure of the same
        for lang in langs:
            fixed = typos.corrected(text, lang)
            if fixed and (lex := lexicon(lang)) is not None and (typo := read_reply(fixed, lex)).intent in _REQUESTS:
                typo.stray = typo.typo = True
                typo.parts = [*typo.parts, "(words one typo away)"]
                readings.append(typo)
                best = typo
                break
    if all(r.intent is None for r in readings) and translit.latin_only(text):
        # "parakalw mi mou ksanasteilete", "pozhaluysta ne pishite mne": Greek or Cyrillic typed in Latin
        # letters, which no language reads. The lexicon whose skeleton finds the most parts, if it finds
        # a request or an opt-out (its "human" evidence is not taken: a skeleton loses letters).
        found = [r for lang, family in translit.FAMILY.items() if (lex := lexicon(f"{lang}-latn")) is not None
                 and (r := read_reply(translit.skeleton(text, family), lex)).intent in _REQUESTS]
        if found:
            best = max(found, key=lambda r: r.hits)
            best.latin = best.stray = True
            best.parts = [*best.parts, f"(read as {best.lang} {GUESSED[1]})"]
            readings.append(best)
    if (best is not None and best.intent == "human" and readings and best is not readings[0]
            and readings[0].intent is None and len(text) >= SHORT):
        # The detected language finds nothing, and a runner-up's words read as a person's ("Koppel", a
        # surname, is Swedish for "link"): not enough to call it a person's ordinary reply.
        best.blocked.append(f"only the {best.lang} reading finds {' + '.join(dict.fromkeys(best.human))}")
        best.intent = None
    held = next((r for r in readings[:1] if r.held), None)
    if best is not None and best.intent == "human" and held is not None:
        # Read in the detected language, the reply asks outright for something beside its deferral or
        # polite words ("no budget this year; remove me from your list"): a person decides.
        best.blocked.append(f"{held.held} in the {held.lang} reading")
        best.intent = None
    if best is not None and best.intent == "opt_out" and negated:
        # Read in another candidate language, the reply asks NOT to be removed: a person decides.
        best.blocked.append("negated removal in another reading")
        best.intent = None
    if best is not None and best.intent in _REQUESTS:
        # A language the detector ranks higher reads a person's ordinary reply (interest, a
        # referral...): the readings disagree, and a person decides.
        ahead = readings[:readings.index(best)]
        other = next((r for r in ahead if r.intent == "human" and not set(r.human) <= _MARKS), None)
        if other is not None:
            best.conflict = f"{other.lang} reads {' + '.join(dict.fromkeys(other.human))}"
    if (best is not None and (best.intent is None or _asks_only(best)) and not best.stray
            and readings and best is not readings[0] and readings[0].intent is None):
        # A question mark is all a runner-up found, and the detected language nothing: the reply is still
        # in the detected language (a Turkish question whose parts are half found is not Arabic)
        # (and names the writer's data if its own reading does: "Did you buy my email from a list?")
        best = dataclasses.replace(best, lang=readings[0].lang, named=best.named or readings[0].named)
    return best or Reading(lang=(langs or [""])[0])


# A reply that is only one of these (and "Sent from my iPhone") says no in every language: 👎 🛑 🚫 ⛔ 🙅 🖕
# (not ✋, which waves as often as it stops)
REFUSAL_EMOJI = frozenset("\U0001F44E\U0001F6D1\U0001F6AB\u26D4\U0001F645\U0001F595")
# ...unless a positive one stands beside it: 👍 👌 🙂 😊 ✅ 🤝 👋 ❤ 🙏
POSITIVE_EMOJI = frozenset("\U0001F44D\U0001F44C\U0001F642\U0001F60A\u2705\U0001F91D\U0001F44B\u2764\U0001F64F")


def emoji_refusal(text: str) -> tuple[str, bool] | None:
    """The refusal emoji a reply consists of ("👎", "✋🚫" above a phone's signature line), or None: no
    letters or digits of the person's own, a refusal sign, and no positive one. With it, whether the
    reply has lines beside the sign that name a phone ("Sent from my iPhone", but perhaps "the iPhone app
    crashes"): those the model must read the same way."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    said = "".join(line for line in lines if not device_line(line))
    if not said or any(ch.isalnum() for ch in said) or any(ch in POSITIVE_EMOJI for ch in said):
        return None
    sign = next((ch for ch in said if ch in REFUSAL_EMOJI), None)
    return (sign, any(device_line(line) for line in lines)) if sign else None


def _probabilities(text: str):
    """The model (None without one) and its probability for each label."""
    model = load_model()
    return model, dict(zip(model.labels, model.probabilities(text).tolist(), strict=True)) if model else {}


def classify_text(text: str, *, prior: str | None = None) -> Classification:
    """Classify the new words of a person's reply. `prior` is the contact's country language, if known."""
    if found := emoji_refusal(text):
        sign, beside = found
        sure = True
        why = f"REFUSAL={sign} (the whole reply: a refusal sign, no words)"
        if beside:  # "👎 / Sent from my iPhone", or "🚫 / Don't stop, I use Android": the model must agree
            probs = _probabilities(text)[1]
            sure = probs.get("opt_out", 0.0) + probs.get("erasure", 0.0) >= STRAY_SURE
            why = f"REFUSAL={sign} (a refusal sign, and a line naming a phone); model: opt-out {probs.get('opt_out', 0.0):.2f}"
        return Classification(ReplyKind.OPT_OUT, ACT if sure else DISAGREE, new_text=text,
                              parts=[f"REFUSAL={sign} (the whole reply)"], why=why)
    if unreadable(text):
        return Classification(ReplyKind.HUMAN, 0.0, new_text=text, why="unreadable: no text to read")
    reading = read(text, prior)
    model, probs = _probabilities(text)
    label = max(probs, key=probs.get) if probs else None
    opinion = f"model: {label} {probs[label]:.2f}" if label else "no model"
    lang = reading.lang
    intent = reading.intent

    if (intent is None or _asks_only(reading)) and not reading.blocked and reading.named and (
            label in ("source", "access") and probs[label] >= MODEL_ALONE and len(text.split()) <= LONG):
        # "Har I købt min adresse af et listefirma?" in words no lexicon holds: the model alone may open a
        # source or access request about the writer's own data (named: not "where do your route times come
        # from? let me know"). It suppresses no one and erases nothing, and a person answers it (an erasure or an
        # opt-out needs the rules: a character model cannot read "don't remove me").
        return Classification(ReplyKind.DATA_REQUEST, ACT, request=RequestKind(label), new_text=text, language=lang,
                              parts=[f"MODEL={label}"],
                              why=f"no intent found by the rules [{lang}]; {opinion}: the model alone opens the request")
    if intent is None:
        why = "no intent found" + (f" ({'; '.join(reading.blocked)})" if reading.blocked else "")
        return Classification(ReplyKind.HUMAN, NOTHING_FOUND, new_text=text, language=lang,
                              why=f"{why} [{lang}]; {opinion}")
    if _asks_only(reading):
        # A question mark is not positive evidence by itself: "where did you get my address?" in
        # words the lexicons do not know is a question too.
        marks = " and ".join({"QUESTION": "a question", "QUOTED": "words in quotation marks"}[h]
                             for h in dict.fromkeys(reading.human))
        return Classification(ReplyKind.HUMAN, NOTHING_FOUND, new_text=text, language=lang, parts=reading.human,
                              why=f"no intent found, only {marks} [{lang}]; {opinion}")
    if intent == "human":
        objects = model is not None and label != "human" and probs[label] >= model.cutoff
        # The rules' evidence of a person is a word or two ("saan", "interest"); the model must lean the
        # same way, or a person looks: a missed objection read as "human" stops follow-ups silently.
        unsure = model is not None and probs.get("human", 0.0) < model.agree
        conf = DISAGREE if objects or unsure else ACT_HUMAN
        parts = list(dict.fromkeys(reading.human))
        return Classification(ReplyKind.HUMAN, conf, new_text=text, language=lang, parts=parts,
                              why=f"{' + '.join(parts)} [{lang}]; {opinion}")
    if intent == "source" and "access" in reading.found and probs.get("access", 0.0) > probs.get("source", 0.0):
        # Both asked, and the rules' words cannot tell which is meant ("welche Daten haben Sie, woher?"): the
        # model decides, and only towards access, whose answer (Art. 15) names the source as well
        intent = "access"
        reading.parts = [*reading.parts, "(source and access both asked: the model reads access)"]
    # A reply that is a known refusal line and nothing else ("Not interested.", "Unsubscribe") has nothing
    # beside it for the rules to misread: the model, which has seen "not interested right now, but..." in
    # many a person's answer, does not hold it back (session 24: "Not interested." waited for a person at
    # the model's "human" 0.60).
    doubted = model is not None and probs.get("human", 0.0) >= model.veto_for(
        suppressing=suppresses(reading), twice=intent == "opt_out" and reading.ways >= 2)
    vetoed = doubted and not reading.whole
    # The model is sure of another request ("who gave you my data? delete it" read only as a source question).
    others = [k for k in _REQUESTS if k not in reading.found | {intent}]  # not what the rules found beside it
    other = max(others, key=lambda k: probs.get(k, 0.0)) if probs and others else None
    differs = other is not None and probs[other] >= model.differ
    # A long reply with one finding may hold a data request as a quotation or an aside (our own email
    # pasted below "sounds interesting" holds two); a formal request ("pursuant to Art. 17 ... erase ...
    # confirm the erasure") states it up top and more than once. A refusal is not held for its length:
    # it is often one sentence at the end of a long, friendly reply ("...so no, and please don't line
    # up another reminder"), and the model's veto still holds one it reads as a person's answer.
    up_top = reading.first_at is not None and reading.first_at <= LONG // 2
    long = reading.said > LONG and not (reading.support >= 2 and up_top) and intent != "opt_out"
    # Read in a language the detector did not propose (every lexicon, or a skeleton of its letters), the
    # reply is acted on only where the model is sure of the same
    stray = reading.stray and not ((label == intent or label == "erasure" and intent == "opt_out")
                                   and probs[label] >= STRAY_SURE)
    if stray and reading.typo:  # not even a guess worth a reviewer's time ("Napiste mi" is not "nepište mi")
        return Classification(ReplyKind.HUMAN, NOTHING_FOUND, new_text=text, language=lang,
                              why=f"no intent found (read with its typos corrected, {reading.parts[0]}, "
                                  f"which the model does not read) [{lang}]; {opinion}")
    conf = DISAGREE if vetoed or differs or long or reading.conflict or stray else ACT
    why = (f"{' | '.join(reading.parts)} [{lang}]; {opinion}" + ("; long reply" if long else "")
           + (f"; the model reads {other}" if differs and other != label else "")
           + ("; nothing but refusals: acted on whatever the model says" if doubted and reading.whole else "")
           + (f"; but {reading.conflict}" if reading.conflict else ""))
    if intent == "opt_out":
        return Classification(ReplyKind.OPT_OUT, conf, company_wide=reading.company_wide, new_text=text,
                              language=lang, parts=reading.parts, why=why)
    return Classification(ReplyKind.DATA_REQUEST, conf, request=RequestKind(intent),
                          also_opt_out=reading.also_opt_out or intent == "erasure", company_wide=reading.company_wide,
                          new_text=text, language=lang, parts=reading.parts, why=why)
