"""Whether a sentence asks where the writer's data came from (a source request, GDPR Art. 14): WHERE, HOW or
WHO (or a SOURCE noun) with OBTAIN, about SELF or MY DATA, told apart from questions about what is held
(Art. 15) and from a removal's own verb. Used by grammar.read_reply, sentence by sentence."""

from __future__ import annotations

from coldmail.replies.classify.parts import Found, label

WHERE_BEFORE = 8  # words from WHERE to its verb, in one clause, in a sentence that does not ask
CHARS_WHAT = 6  # characters between WHAT and the CHANNEL it asks about, in scripts without spaces ("哪个邮件列表")
FOLLOW_WORDS = 3  # "Who?", "From where, then?": a question that asks about the sentence before


def source_asked(f: Found, before: Found | None, on: str | None, asks: bool) -> tuple[str | None, bool, bool]:
    """The source request the sentence makes (its parts, for `why`) or None; whether its WHAT asks about a
    CHANNEL ("what list do you have me from?"); whether a SOURCE noun asks. `on` is what the question is
    about (SELF, MY DATA, a CHANNEL, or an "it" the sentence before named); `before`, that sentence."""
    # "where did you get my address?", "from which list do you have me?"
    # "what list do you have me from?": WHAT asks about the CHANNEL (just before it), unlike "what do
    # you have about me in your CRM?", which asks what is held
    # (in scripts without spaces, WHAT just before the CHANNEL: "哪个列表", not "ما ... رسائلكم")
    what_channel = f.has("what") and f.has("channel") and any(
        (0 <= c - w <= CHARS_WHAT if f.lex.chars else 0 < c - w <= 3)
        for _, w, _ in f.spans["what"] for c, _, _ in f.spans["channel"])
    got = f.has("obtain") or f.has("hold") and what_channel and asks
    copy = f.has("copy") or f.has("access")  # "send me a copy of the data (which) you have": access
    # a SOURCE noun asks in a question, or about the writer or their data ("the source of my address")
    sourced = f.has("source") and (asks or f.has("mydata") or f.has("self")) and not f.readers
    # "which data do you have on me?" reads WHICH as WHERE and HAVE as OBTAIN too ("welche ... haben",
    # "koje ... imate", "co macie o mnie"): without a place it came from (a list, a database) and
    # without a WHERE of its own, it asks what is held.
    which_have = (f.has("what") and not what_channel and not sourced
                  and f.within("obtain", "hold") and not f.asks_where())
    # "nehmen Sie meine Adresse raus": the verb that takes the writer off is not also where it came from
    got = got and not (not asks and f.overlaps("obtain", "action", "erase"))
    # "How do I get off this list?": the verb is the removal's (a removal's particle just after it), not OBTAIN
    got = got and not any(a == ob + 1 for _, ob, _ in f.spans.get("obtain", ()) for a, _, _ in f.spans.get("action", ()))
    # "Someone must have sold you my address. Who?": a bare WHERE/WHO question just after a sentence
    # on how the writer's address was obtained asks where it came from
    follow = (asks and not got and before is not None and f.has("where") and len(f.s.clauses) <= FOLLOW_WORDS
              and before.has("obtain") and not before.within("obtain", "hold")  # not "imate li o meni...? Koje?"
              and any(before.has(p) for p in ("self", "mydata", "anaphor")))
    # Outside a question, WHERE leads its verb in its clause ("tell me where you got my address", "de
    # qual mailing vocês obtiveram meus dados"): not "présentes ou futures, et ne pas donner nos
    # coordonnées", where "ou" (or) folds to "où"
    clause = f.s.clauses
    where = f.has("where") and (asks or f.lex.chars or any(
        0 < o - w <= WHERE_BEFORE and clause[w] == clause[o]
        for w, _, _ in f.spans["where"] for o, _, _ in f.spans.get("obtain", ())))
    source = None
    if follow:
        source = f"{label('where', f)} + {label('obtain', before)} (the sentence before)"
    elif on and got and not copy and not which_have and (where or sourced or what_channel):
        asker = "where" if where else "source" if sourced else "what"
        verb = label("obtain" if f.has("obtain") else "hold", f)
        source = f"{label(asker, f)} + {verb} + {label(on, f)}"
    elif sourced:  # "where from?", "the source of my data"
        source = f"{label('source', f)}" + (f" + {label(on, f)}" if on else "?")
    return source, what_channel, sourced
