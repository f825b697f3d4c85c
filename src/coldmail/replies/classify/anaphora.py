"""What a short sentence takes from the sentence before it: "You keep sending me newsletters. Stop it."
(the emails, stopped), "You have my personal data. Erase it." (the data, erased), "Remove me. Everything you
hold on me." (all that is held, erased too). Used by grammar.read_reply, sentence by sentence."""

from __future__ import annotations

from coldmail.replies.classify.parts import Found, label

ERASE_ANAPHOR_WORDS = 12  # "Please erase them from all your systems and confirm it.": ERASE on the data named before
ANAPHOR_WORDS = 8  # "Stop it.", "Please cancel it now.": a short sentence whose object is the one before's


def passes_on(f: Found) -> bool:
    """A sentence that only points back ("You have my data. I never gave it to you. Delete it."): an "it" in
    the next one still means what the sentence before this one named. It names no data, list, address or
    way of writing, and the writer at most as a subject."""
    return f.has("anaphor") and not any(f.has(p) for p in ("mydata", "channel", "owned", "contact")) and all(
        a == b and w in f.lex.subjects for a, b, w in f.spans.get("self", ()))


def antecedent(before: Found | None, back: Found | None) -> Found | None:
    """The sentence an "it" in this one means: the one before, or, if that one only points back
    (`passes_on`), the writer's data or own address named in the one before that ("You have my data. I
    never gave it to you. Delete it."; not any email: "You sent me the contract by email. I signed it. Stop it.")."""
    if before is None or back is None or not passes_on(before):
        return before
    mine = back.has("mydata") or back.has("owned") and any(
        a < b or w in back.lex.possessives for a, b, w in back.spans.get("self", ()))
    return back if mine else before


def referred(f: Found, before: Found | None) -> tuple[str, str] | None:
    """A short sentence whose object is "it"/"this", named by the sentence before: "You keep sending me
    your newsletter. Stop it." (STOP or ACTION on the emails written to the writer), "You have my phone
    number. Delete it." (ERASE on their data). Returns the verb's part and the finding, or None."""
    # The writer as the subject only ("Jag begär att ni raderar dem") leaves the object to the "it"
    named = f.has("self") and not all(a == b and w in f.lex.subjects for a, b, w in f.spans["self"])
    if before is None or not f.has("anaphor") or named or len(f.s.clauses) > ERASE_ANAPHOR_WORDS:
        return None
    # "Žiadam o ich vymazanie zo všetkých vašich systémov a o potvrdenie": the data named before, erased
    # from where it is kept (a longer sentence than the other verbs', which "it" reaches less surely)
    if f.has("erase") and before.has("mydata") and not f.negated("erase"):
        return "erase", f"{label('erase', f)} + {label('anaphor', f)} (= {label('mydata', before)})"
    if f.has("channel") or f.has("self") or len(f.s.clauses) > ANAPHOR_WORDS:
        return None
    # the emails written to the writer, or the writer's own address ("How did you get this address? Remove it.")
    address = before.has("self") and before.has("owned") and not before.has("others")
    written = before.has("channel") and (before.has("self") or before.has("contact")) or address
    for verb in ("stop", "action"):
        # (not a verb that is also OBTAIN: "¿De dónde lo han sacado?" took it out of a list, and asks where)
        if f.has(verb) and (written or verb == "stop" and (before.has("contact") or before.has("channel"))) and not (
                f.negated(verb) or f.overlaps(verb, "obtain")):
            named = "channel" if before.has("channel") else "contact" if before.has("contact") else "self"
            return verb, f"{label(verb, f)} + {label('anaphor', f)} (= {label(named, before)})"
    return None


def all_of_me(f: Found, before: Found | None, asks: bool) -> str | None:
    """A verbless sentence naming all that is held on the writer, just after a removal or erasure of the
    writer: "Remove me. Everything you hold on me." asks to erase that too (as "Remove me and everything you
    hold on me" would). Not a question ("Everything you hold on me?"), nor a sentence that goes on after naming the
    writer ("Everything else you have on me is fine"), nor one with a verb of its own the lexicon knows."""
    if (before is None or asks or len(f.s.clauses) > ANAPHOR_WORDS or not f.has("self")
            or not (f.has("everything") or f.has("mydata")) or not f.has("hold")
            or any(f.has(v) for v in ("action", "erase", "stop", "contact", "copy", "access", "where", "what"))
            or max(b for _, b, _ in f.spans["self"]) != len(f.s.clauses) - 1):  # ends on the writer: no "...is fine"
        return None
    verb = next((v for v in ("erase", "action") if before.has(v)), None)
    if verb is None or not before.has("self") or before.negated(verb):
        return None
    whole = "everything" if f.has("everything") else "mydata"
    return f"{label(verb, before)} (the sentence before) + {label(whole, f)} + {label('hold', f)} + {label('self', f)}"
