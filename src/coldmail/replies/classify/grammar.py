"""The shared grammar of reply intent: what a reply asks for, composed from the parts a language's
lexicon finds in each sentence.

- opt-out: ACTION (remove, unsubscribe, take off...) on SELF or a CHANNEL; STOP on CONTACT or a
  CHANNEL; a negated CONTACT ("don't email me") or WANT ("I don't want your emails"); a bare REFUSAL.
- erasure: ERASE on MY DATA, or the right to be FORGOTTEN.
- source: WHERE/HOW/WHO (or a SOURCE noun) with OBTAIN, about SELF or MY DATA.
- access: WHAT data is HELD about SELF, or a COPY of MY DATA, or the right of ACCESS.
- blocks: a NEGATED removal ("don't remove me"), DEFERRAL ("write again in spring"), a POLITE
  positive ("no problem"), a substitution (INSTEAD: "take Dan off the invite, add me instead"),
  confidentiality DISCLAIMERS and newsletter FOOTERS are not requests.
- human: positive evidence that a person wants something else (interest, a question, a referral,
  a deferral, a negated removal). "Nothing found" is not human; it is "unsure".
"""

from __future__ import annotations

import re

from coldmail.replies.classify import quotes
from coldmail.replies.classify.anaphora import ANAPHOR_WORDS, all_of_me, antecedent, referred
from coldmail.replies.classify.lexicon import Lexicon, plain, refusals_only, whole_line
from coldmail.replies.classify.mentions import do_not_contact, first_line, postscript, prepared, redirect
from coldmail.replies.classify.parts import Found, label, wanted
from coldmail.replies.classify.questions import source_asked
from coldmail.replies.classify.reading import Reading
from coldmail.replies.classify.sentences import read

TAG_WORDS = 3  # "¿Queda claro?", "Is that clear?": a later question this short does not qualify a refusal
DEFERRAL_WORDS = 6  # "Maybe next year, then.": a sentence this short that names a time is an answer
# what makes a sentence naming a time an answer to us, not the writer's story
_ANSWERS = ("contact", "refusal", "human", "action", "stop", "erase", "want", "now", "negcontact", "polite", "negation")
# A bare domain ("all addresses @acme.example", "anyone at @acme.example"): the whole company.
_DOMAIN = re.compile(r"(?<![\w.+-])@[\w-]+(?:\.[\w-]+)+")


def read_reply(text: str, lex: Lexicon, *, near: bool = False) -> Reading:
    """The rules' reading of a reply's new text in one language; with `near`, a first line one typo
    away from a whole-line refusal is that refusal (`whole_line`)."""
    r = Reading(lang=lex.lang)
    quoted, sentences, paragraph_of, offsets, signed = prepared(text)
    requests: dict[str, list[str]] = {}
    for s in quoted:  # 'I invoke my right "to be forgotten"': the quotation marks are the reply's own
        f = Found(read(s, lex), lex)
        if f.has("forgotten") and not f.has("disclaimer") and not f.has("footer") and not f.negated("forgotten"):
            requests.setdefault("erasure", []).append(label("forgotten", f))
    if quoted:
        r.human.append("QUOTED")
    first = first_line(quoted, sentences)
    exact = bool(first) and whole_line(first, lex) is not None  # folded: "Não." is "nao"
    typo = not exact and near and bool(first) and whole_line(first, lex, near=True)
    said = tuple(x for x in sentences if not quotes.device_line(x.strip()))  # not "Sent from my iPhone"
    r.whole = exact and len(said) == 1 or refusals_only(said, lex)
    if exact or typo:
        r.parts.append(f"REFUSAL={plain(first)!r} (whole line" + (f", one typo from {typo!r})" if typo else ")"))
    opt = [x for s in quoted if (x := do_not_contact(s, lex))]  # 'mark me as "do not contact"'
    weak: list[str] = []  # ACTION on a CHANNEL without SELF: a signature's newsletter line reads so too
    past: list[str] = []  # the writer's own removal, told ("I unsubscribed last year"): an objection unless a person's words say otherwise
    refusals: list[str] = []  # "no thanks": an answer to something, which other words may qualify
    tags = 0  # questions of a word or three ("Clear?", "Another one?"), which do not qualify a refusal
    ps, small_talk = postscript(sentences, paragraph_of), (0, 0, 0)  # above a P.S.: questions, refusals, tags
    soft: list[str] = []  # a negated CONTACT ("I don't read mails until...") which an away notice may explain
    deferral = polite = False
    instead = ""  # INSTEAD (someone else taken off) or REDIRECT (another address to write to): a person looks
    nows: list[str] = []  # "derzeit", "for now": a deferral of now only, which qualifies a bare refusal, not a request
    stops: list[str] = []  # STOP on a CHANNEL, no CONTACT: a deferral of now still holds it
    boilerplate = None  # from a disclaimer or newsletter line on: its paragraph, and below a first paragraph, the rest
    ends = len(sentences)  # the first sentence of the boilerplate

    def findings() -> int:
        return len(opt) + len(weak) + len(soft) + len(refusals) + sum(len(v) for v in requests.values())

    if r.parts or requests:
        r.first_at = 0
    counted = findings()
    last: Found | None = None  # the sentence before: what an "it" in this one refers to
    before: Found | None = None
    told: dict[str, set[int]] = {}  # the sentences each request was found in (-1: quoted ones)
    seen: dict[str, int] = {}
    questions: set[int] = set()  # the sentences that ask
    held_asked: set[int] = set()  # the sentences that ask what is held (not a WHAT + HOLD statement only)

    def tell(k: int) -> None:  # the requests found since the last call were found in sentence k
        for kind, v in requests.items():
            if new := v[seen.get(kind, 0):]:
                told.setdefault(kind, set()).add(k)
                if kind == "access" and (k in questions or not all(p.startswith("WHAT=") for p in new)):
                    held_asked.add(k)  # (not "nowhere else held", a WHAT + HOLD that asks nothing)
            seen[kind] = len(v)

    for k, raw in enumerate(sentences):
        tell(k - 1)
        if k == ps:
            small_talk = (r.human.count("QUESTION"), len(soft) + len(refusals), tags)
        if r.first_at is None:
            if findings() > counted:
                r.first_at = offsets[k - 1]
            counted = findings()
        if boilerplate is not None and (paragraph_of[k] == boilerplate or boilerplate > 0):
            continue  # "This message is confidential. ... Any distribution is forbidden." is not the writer's
        f = Found(read(raw, lex), lex)
        back, before, last = before, last, f
        ante = antecedent(before, back)  # what an "it" here means
        asks = any(q in raw for q in quotes.QUESTION_MARKS + lex.question_marks)
        if asks:
            questions.add(k)
        f.drop_inside("human", "refusal", "negated", "polite", "negation")
        f.drop_inside("deferral", "refusal")  # "not now, not ever", "weder jetzt noch später": no "later"
        f.drop_inside("footer", "negated")  # "No need to unsubscribe me": not a newsletter's "to unsubscribe" line
        if f.has("past") and f.has("action"):  # "I had unsubscribed from your newsletter, but this is different"
            removals = len(f.spans["action"])
            f.drop_inside("action", "past")
            if len(f.spans.get("action", ())) < removals:
                past.append(f"PAST={f.word('past')} (told)")
        if lex.clitics and not f.has("self"):  # "quítame", "toglieteci", "neħħuni": the pronoun is on the verb
            onto = [x for v in ("action", "erase") for x in f.spans.get(v, ())
                    if any(w.endswith(c) and len(w) > len(c) + 2 for w in x[2].split()[:1] for c in lex.clitics)]
            if onto:
                f.spans["self"] = onto
        if lex.possessives:
            f.owned()  # "delete my earlier question": "my" owns a question, not the writer's address
        f.others()  # "delete our customers' data": theirs, not the writer's
        f.yours(asks)  # "I told your colleague", "your traffic data": the reader's, not the writer's
        r.hits += len(f.spans)
        if f.has("disclaimer") or f.has("footer"):
            boilerplate = paragraph_of[k]
            ends = min(ends, k)
            continue  # a signature's confidentiality notice or newsletter line, not the person's request
        # the writer's data or something the writer owns: "my address" (a SELF phrase holding a possessive, or a
        # possessive beside an OWNED word); not "my message", "your traffic data", "let me know"
        r.named |= f.has("mydata") or any(set(w.split()) & lex.possessives and (b > a or f.has("owned"))
                                          for a, b, w in f.spans.get("self", ()))
        company = f.has("company") or _DOMAIN.search(raw) is not None
        if company:
            r.company_wide = True
        if f.has("deferral") and not f.negated("deferral"):  # "nor next year" is not "write again next year"
            f.drop_inside("deferral", "now")
            if f.has("deferral"):
                # (not a time in the writer's story: "the company closes at the end of the year. Please take us
                # off your list" is an opt-out; "maybe next year", "write again in spring" hold one back)
                deferral |= asks or len(raw.split()) <= DEFERRAL_WORDS or any(f.has(p) for p in _ANSWERS)
                r.human.append(label("deferral", f))
            else:  # "currently", "for now": an answer qualified, no later message asked for
                nows.append(f"NOW={f.word('now')}")
                r.human.append(nows[-1])
        if f.has("polite"):
            polite = True
            r.human.append(label("polite", f))
        if f.has("instead"):  # "take Dan off Tuesday's invite and put me in his place": not the writer off
            instead = "INSTEAD"
            r.human.append(label("instead", f))
        if opt and k not in signed and redirect(raw, f):  # "don't write here; send the invite to sales@..."
            instead = instead or "REDIRECT"
            r.human.append("REDIRECT (another address to write to)")
        # "stop sending paper invoices, email them": things sent, not mail to the writer (named before any CHANNEL:
        # not "stop sending me emails about invoices"; not a signature's "Parcel Services")
        goods = (f.has("goods") and k not in signed and f.beside("goods", "contact", "stop")
                 and min(f.spans["goods"]) < min(f.spans.get("channel", [(1e9,)])))
        for part in ("human", "referral"):
            if part == "referral" and k in signed and not f.has("contact") and not (  # a title, not "PS ask my colleague"
                    lex.possessives & set(f.s.surface.split())):
                continue
            if f.has(part) and not (part == "human" and f.negated("human")):  # "nothing to talk about"
                r.human.append(label(part, f))
        if f.has("wherefrom"):  # "откъде?", "nereden?": a source word that lemmatizing would lose
            f.spans.setdefault("source", f.spans["wherefrom"])
        if asks and not f.has("refusal") and not any(f.has(p) for p in ("where", "what", "obtain", "hold", "copy", "source")):
            r.human.append("QUESTION")  # (not "how many times do I have to say 'not interested'?": rhetorical)
            if not lex.chars and len(f.s.clauses) <= TAG_WORDS and not f.has("human"):
                tags += 1  # "¿Queda claro?", "Understood?": a tag on what was said, not a question of the person's
        # "remove all addresses @ourfirm.example": the writer's company is SELF
        target = "self" if f.has("self") or company and f.has("channel") else "channel" if f.has("channel") else None
        # data requests (none in a sentence that asks not to be removed: "don't take me off, I want...")
        if f.has("negated") or any(f.has(v) and f.negated(v) for v in ("action", "erase")):
            r.human.append("NEGATED removal")
            continue
        if f.has("forgotten"):
            requests.setdefault("erasure", []).append(label("forgotten", f))
        bare_erase = False  # ERASE on the writer alone, nothing named as data
        if f.has("erase") and not f.negated("erase"):
            if f.has("mydata"):  # "delete my data"
                requests.setdefault("erasure", []).append(f"{label('erase', f)} + {label('mydata', f)}")
            elif f.has("everything") and (f.has("self") or f.has("hold")):  # "delete everything you have on me"
                requests.setdefault("erasure", []).append(f"{label('erase', f)} + {label('everything', f)}")
            elif f.has("self") and f.has("hold") and not f.has("channel") and f.ordered("erase", "hold", "self"):
                # "delete both, and anything else you have about me": what is held about the writer
                requests.setdefault("erasure", []).append(
                    f"{label('erase', f)} + {label('hold', f)} + {label('self', f)}")
            elif f.has("self") and f.has("store"):  # "delete me from your CRM", not only from the list
                requests.setdefault("erasure", []).append(
                    f"{label('erase', f)} + {label('self', f)} + {label('store', f)}")
            elif f.has("self") and not f.has("channel") and not f.within("erase", "action") and not f.subject_after("erase"):
                # "Forget this address", "vergessen Sie diese Adresse": a verb that only destroys data
                # (not also "remove from", like "delete"), on the writer, and no list named: erasure
                requests.setdefault("erasure", []).append(f"{label('erase', f)} + {label('self', f)}")
                bare_erase = True
        elif f.has("action") and f.has("mydata") and f.has("store") and not f.negated("action"):
            # "remove my details from your CRM" (from where data is kept, not from a mailing list)
            requests.setdefault("erasure", []).append(
                f"{label('action', f)} + {label('mydata', f)} + {label('store', f)}")
        about = "self" if f.has("self") else "mydata" if f.has("mydata") else None
        on = about or ("channel" if f.has("channel") else None)
        if (on is None and ante is not None and f.has("anaphor") and (ante.has("self") or ante.has("mydata"))
                and len(f.s.clauses) <= ANAPHOR_WORDS):
            on = "anaphor"  # "I never gave you my address. Where did you get it?"
        source, what_channel, sourced = source_asked(f, before, on, asks)
        bare_erase = bare_erase and source is not None and asks
        if bare_erase:  # "did you get it from the scan (مسح: also "wipe") of my badge?": the source's noun, no request
            requests["erasure"].pop()
            if not requests["erasure"]:
                del requests["erasure"]
        before_access = len(requests.get("access", ()))
        if f.has("access"):
            requests.setdefault("access", []).append(label("access", f))
        # "what do you hold on me?"; not "what price do you have for my company?" (a person's question)
        # (a person's word in a clause before the question's does not make it a product question: "After our
        # call on Tuesday, what did you note about me?"; "what price do you have for my company?" still is one)
        elif about and f.has("what") and f.has("hold") and (f.has("mydata") or asks and not f.in_or_after("human", "what")):
            requests.setdefault("access", []).append(f"{label('what', f)} + {label('hold', f)} + {label(about, f)}")
        elif f.has("copy") and (f.has("mydata") or f.has("self") and (f.has("hold") or f.has("everything"))):
            requests.setdefault("access", []).append(f"{label('copy', f)} + {label(about or 'hold', f)}")
        elif (f.has("everything") and f.has("hold") and about and f.has("contact") and not f.has("erase")
              and not f.negated("contact")):  # "send me everything you have (stored) on me"
            requests.setdefault("access", []).append(
                f"{label('contact', f)} + {label('everything', f)} + {label('hold', f)} + {label(about, f)}")
        # "which categories do you process, and to which recipients did you give them?": one WHICH read as
        # WHERE and WHAT, a verb of its own for holding, and no list or source asked for: beside what is
        # held, the sentence asks what is held (Art. 15), not where the data came from
        which_held = (len(requests.get("access", ())) > before_access and not what_channel and not sourced
                      and (f.within("where", "what") or not f.has("where"))
                      and f.has("obtain") and not f.within("obtain", "hold"))
        if source and not which_held:
            requests.setdefault("source", []).append(source)
        # opt-outs
        if f.has("negated"):
            r.human.append(f"NEGATED={f.word('negated')}")
        # "¿De dónde ha sacado mi dirección?": the source question's own verb (taken out of a list) is no removal
        taken = source is not None and asks and f.overlaps("action", "obtain")
        for verb in ("action", "erase"):
            if verb == "action" and taken or verb == "erase" and bare_erase:
                continue
            if f.has(verb) and target == "self" and f.has("self") and (
                    not f.near(verb, "self", 1) or f.subject_after(verb)):
                # "Switch off the auto-renewal — another month of testing we don't need", "take Kevin off
                # the invite, he's away, and add me instead": the writer named clauses away from the verb
                # is not what it takes off (a list or the whole company beside it may still be); nor is
                # a writer named only as the subject of a later clause ("delete the mail, I attached the wrong file")
                target = "self" if company and f.has("channel") else "channel" if f.has("channel") else None
            if f.has(verb) and target:
                if f.negated(verb):
                    r.human.append(f"NEGATION + {label(verb, f)}")
                    r.blocked.append(f"negated {label(verb, f)}")
                elif target == "self":
                    on = label("self", f) if f.has("self") else f"COMPANY + {label('channel', f)}"
                    opt.append(f"{label(verb, f)} + {on}")
                else:
                    weak.append(f"{label(verb, f)} + {label(target, f)}")
                break
        if goods and (f.has("stop") or f.has("negcontact") or f.has("contact") and f.negated("contact", every=False)):
            r.human.append(label("goods", f))
        if f.has("stop") and (f.has("contact") or f.has("channel")) and not f.negated("stop") and not goods:
            opt.append(f"{label('stop', f)} + {label('contact' if f.has('contact') else 'channel', f)}")
            if not f.has("contact"):
                stops.append(opt[-1])  # "Parad la cuenta demo de momento": what is stopped may be the writer's own
        elif it := referred(f, ante):
            if it[0] == "erase":
                requests.setdefault("erasure", []).append(it[1])
            else:
                opt.append(it[1])
        elif also := all_of_me(f, before, asks):
            requests.setdefault("erasure", []).append(also)
        for verb in ("contact", "want"):
            # "Don't email.", "Nie pisać więcej.": short, and nothing after the verb but a word like "again";
            # not "No puedo enviarle la factura hoy" (I can't send you the invoice today)
            # (word positions; `chars` scripts have no words to count, so only the length counts there)
            short = len(f.s.clauses) <= 6 and f.has(verb) and (
                f.lex.chars or len(f.s.clauses) - 1 - min(f.spans[verb])[1] <= 1)
            if f.has(verb) and f.negated(verb, every=False) and not f.has("negated") and not goods and (
                    f.has("self") or f.has("channel") or short) and (
                    not f.named("contact") if verb == "contact" else wanted(f)):
                soft.append(f"NEGATION + {label(verb, f)}")
        if f.has("negcontact") and not f.has("negated") and not goods and (f.has("self") or f.has("channel") or len(f.s.clauses) <= 6):
            opt.append(f"NEGATED CONTACT={f.word('negcontact')}")  # "nebesiųskite", "nepište mi"
        if goods and f.overlaps("refusal", "contact"):
            pass  # "ärge saatke meile enam paberarveid": don't send us paper invoices any more
        elif f.has("refusal"):
            refusals.append(label("refusal", f))
        elif k > 0 and len(raw) <= 80 and not f.has("action") and whole_line(raw, lex):
            # "How many times do I have to say no? ... Stop.": a refusal said as a sentence of its own. (An
            # "Unsubscribe" line of its own is a signature's newsletter link as often: ACTION on nothing.)
            refusals.append(f"REFUSAL={plain(raw)!r} (a sentence of its own)")
    tell(len(sentences) - 1)
    if r.first_at is None and findings() > counted:
        r.first_at = offsets[len(sentences) - 1]
    r.said = quotes.said(sentences, offsets, ends)
    explicit = list(opt)  # said outright: ACTION on SELF, STOP on CONTACT ("remove me", "stop emailing me")
    evidence = [h for h in r.human if h != "QUOTED"]
    person = [h for h in evidence if h not in nows]  # "derzeit ... schreiben Sie mir nicht mehr" asks all the same
    if len(soft) + len(refusals) > small_talk[1]:  # said in a P.S.: the letter's questions do not qualify it
        tags += small_talk[0] - small_talk[2]
        person = [h for h in person if h != "QUESTION"] if small_talk[0] else person
    if soft and not opt and person:
        r.blocked.append(f"{soft[0]} with {person[0]}")  # "on holiday, not reading e-mails": a person looks
    else:
        opt += soft
    qualifying = list(evidence)
    for _ in range(tags):
        qualifying.remove("QUESTION")
    if refusals and not opt and qualifying:
        r.blocked.append(f"{refusals[0]} with {qualifying[0]}")  # "no thanks to the demo, but send prices"
    else:
        opt += refusals
    if weak and not opt and not evidence:
        opt = weak
    elif weak and not opt:
        r.blocked.append(f"{weak[0]} with {evidence[0]}")
    strong = [h for h in evidence if h != "QUESTION"]
    if past and not strong:  # "I unsubscribed from all your lists last year. Where is this address from?"
        opt += past
    elif past:  # beside a person's words it is their story ("I had unsubscribed, but this is different"): said in `why`
        r.human.append(past[0])
    if r.parts and not opt and strong:  # "No thanks. But send me the pricing.": a person looks
        r.blocked.append(f"{r.parts[0]} with {strong[0]}")
        r.parts = []
    elif r.parts:  # the whole first line is a refusal
        opt = r.parts + opt
    if requests:
        kind = next(k for k in ("erasure", "source", "access") if k in requests)
        if kind == "source" and (any(p.startswith(("ACCESS=", "COPY=")) for p in requests.get("access", ()))
                                 or held_asked - told.get("source", set())):
            # "a copy of my data under Art. 15, and its source"; "Where did you get my address? And what else
            # do you hold on me?" asked in a sentence of its own: the access answer names the source too
            kind = "access"
        r.intent = kind
        # "pursuant to Art. 15 ... a copy under Art. 15(3)": the same words in two sentences are two findings
        # (an erasure request that also says "stop writing" or "I object" says the same twice; not its own
        # verb read again as a removal, "delete my data" as ERASE on SELF)
        objects = any(p.startswith(("STOP=", "REFUSAL=", "NEGATION ", "NEGATED ")) for p in opt)
        r.support = max(len(set(requests[kind])), len(told.get(kind, ()))) + (kind == "erasure" and objects)
        r.parts = requests[kind] + [p for k, v in requests.items() if k != kind for p in v]
        r.also_opt_out = bool(opt) and not deferral or kind == "erasure"
        r.found = set(requests) | ({"opt_out"} if r.also_opt_out else set())
        if r.also_opt_out and opt:
            r.parts = list(dict.fromkeys(r.parts + opt))
        return r
    deferral = deferral or bool(nows) and bool(opt) and all(o in stops for o in opt)
    if opt and (deferral or polite or instead) and not r.parts:
        # "not this year, maybe in spring": a person's answer. But "no budget, remove me from your list"
        # says the opt-out outright beside it: neither wins, and a person looks.
        said = "DEFERRAL" if deferral else "POLITE" if polite else instead
        r.held = f"{explicit[0]} with {said}" if explicit else ""
        r.blocked.append(r.held or said)
        opt = []
    if opt:
        r.intent = "opt_out"
        r.parts = opt
        r.support = len(set(opt))
        r.found = {"opt_out"}
        return r
    r.parts = []
    if r.human and not r.blocked or any(b.startswith("negated") or b in ("DEFERRAL", "POLITE", "INSTEAD") for b in r.blocked):
        r.intent = "human"
    return r
