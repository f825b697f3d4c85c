"""Reply intent (issue 17): the rules compose intent from parts, negation and deferral block
suppression, unreadable text waits for review, and the held-out evaluation meets what it reaches."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coldmail.replies.classify import REVIEW_THRESHOLD, classify_text
from coldmail.replies.classify.grammar import read_reply
from coldmail.replies.classify.lexicon import languages, lexicon

ROOT = Path(__file__).resolve().parents[1]


def suppresses(r) -> bool:
    return r.confidence >= REVIEW_THRESHOLD and (
        r.kind == "opt_out" or (r.kind == "data_request" and (r.request == "erasure" or r.also_opt_out)))


def test_every_language_of_the_corpus_has_a_lexicon():
    assert len(languages()) == 31  # 32 corpus languages; pt-BR shares pt
    for lang in languages():
        assert lexicon(lang) is not None


@pytest.mark.parametrize("text", [
    "Please don't remove me from your list, I read every one.",
    "Bitte entfernen Sie mich nicht aus dem Verteiler.",
    "No need to unsubscribe me, my colleague answered by mistake.",
    "Ne me retirez pas de votre liste, merci.",
])
def test_negated_removal_never_suppresses(text):
    r = classify_text(text)
    assert not suppresses(r) and r.kind != "opt_out", r.why


@pytest.mark.parametrize("text", [
    "Not interested right now, maybe next quarter.",
    "Not this year, write again in the spring when the budget is set.",
    "Im Moment kein Interesse, melden Sie sich im Frühjahr wieder.",
])
def test_deferral_never_suppresses(text):
    r = classify_text(text)
    assert not suppresses(r) and r.kind == "human", r.why


@pytest.mark.parametrize("text", ["", "   \n ", "\x00\x01\x02\x03\ufffd\ufffd\x04", "1234 5678 !!!"])
def test_unreadable_text_waits_for_review_and_stops_nothing(text):
    r = classify_text(text)
    assert (r.kind, r.confidence) == ("human", 0.0) and r.why.startswith("unreadable")


def test_no_intent_found_is_not_a_confident_human():
    r = classify_text("Regarding the thing from before.")
    assert r.kind == "human" and r.confidence < REVIEW_THRESHOLD and r.why.startswith("no intent found")


def test_positive_evidence_makes_a_confident_human():
    r = classify_text("Sounds interesting, can we talk on Tuesday afternoon?")
    assert r.kind == "human" and r.confidence >= REVIEW_THRESHOLD, r.why


def test_the_model_vetoes_a_rule_it_is_sure_is_wrong(monkeypatch):
    """The rules' opt-out is acted on; the same reading waits for review once the model's "human"
    probability reaches its veto (here forced to 0 so that any reply reaches it)."""
    from coldmail.replies.classify import model as model_mod

    text = "Please remove me from your mailing list."
    assert classify_text(text).confidence >= REVIEW_THRESHOLD
    m = model_mod.load()
    monkeypatch.setattr(m, "veto", 0.0)
    r = classify_text(text)
    assert r.kind == "opt_out" and r.confidence < REVIEW_THRESHOLD


@pytest.mark.parametrize(("lang", "text", "intent"), [
    ("en", "Kindly strike us from your distribution list.", "opt_out"),
    ("en", "Wipe whatever you store about me, i.e. my personal data.", "erasure"),
    ("en", "Which site sold you my address?", "source"),
    ("de", "Bitte streichen Sie mich aus Ihrem Verteiler.", "opt_out"),
    ("fr", "Supprimez mes données personnelles, s'il vous plaît.", "erasure"),
    ("es", "Quítenme de su lista, por favor.", "opt_out"),
    ("it", "Da dove avete preso il mio indirizzo?", "source"),
    ("pl", "Proszę usunąć mnie z listy.", "opt_out"),
    ("cs", "Odkud máte můj e-mail?", "source"),
    ("ro", "Dezabonati-ma va rog", "opt_out"),
    ("sv", "Ta bort mig från er lista.", "opt_out"),
    ("ru", "Удалите меня из вашей рассылки.", "opt_out"),
    ("tr", "Beni listenizden çıkarın.", "opt_out"),
    ("zh", "请把我从邮件列表中删除。", "opt_out"),
    ("ja", "私のデータを削除してください。", "erasure"),
    ("he", "מאיפה השגתם את המייל שלי?", "source"),
])
def test_the_rules_compose_intent_per_language(lang, text, intent):
    r = read_reply(text, lexicon(lang))
    assert r.intent == intent, r.why
    assert r.parts  # `why` names the parts matched


def test_why_names_the_parts_and_the_language():
    r = classify_text("Please remove me from your mailing list.")
    assert r.kind == "opt_out" and "ACTION=" in r.why and "SELF=" in r.why and "[en]" in r.why
    assert r.language == "en" and r.parts


def test_held_out_evaluation_meets_what_it_reaches():
    """The held-out split, by the benchmark's definitions. These are the numbers reached (see
    benchmarks/RESULTS.md), a floor against regressions; not the issue's targets (98% / 95%, no
    genuine reply suppressed, every miss in review), which this reader still misses."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import email

    import bench_intent
    from bench_intent import as_message, evaluate, split

    from coldmail.replies.classify import classify

    items = split.load("heldout")
    results = [classify(email.message_from_bytes(as_message(i))) for i in items]
    tallies, _ = evaluate(items, results, REVIEW_THRESHOLD)
    t = tallies["ALL"]
    assert t.human_suppressed <= GENUINE_SUPPRESSED
    assert t.miss_acted <= MISSES_ACTED
    assert t.opt_hit / t.opt_total >= OPT_OUT_RECALL
    assert t.req_hit / t.req_total >= DATA_RECALL
    assert bench_intent.SUPPRESS == {"opt_out", "erasure"}


# What the held-out evaluation reaches today (session 9, benchmarks/RESULTS.md).
OPT_OUT_RECALL = 0.74  # reached: 74.4% (361 of 485)
DATA_RECALL = 0.77  # reached: 77.7% (290 of 373)
GENUINE_SUPPRESSED = 0  # reached: 0 of 312 (the target)
MISSES_ACTED = 23  # reached: 23 (the target is 0: every miss in review)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["remove", "me", "take", "off", "from", "list", "the", "x", "nicht", "unsubscribe",
                                 "no", "thanks", "do", "not", "contact", "removed", "meh", "a"]), max_size=10),
       st.sampled_from(["en", "de", "fr", "pl", "fi"]))
def test_the_quick_check_agrees_with_the_part_patterns(words, lang):
    """lexicon.quick (searched in " " + text) finds a part exactly when the part's pattern does."""
    from coldmail.replies.classify.lexicon import quick

    text = " ".join(words)
    lex = lexicon(lang)
    for part, pattern in {**lex.surface, **{f"lemma {k}": v for k, v in lex.lemmas.items()}}.items():
        assert bool(quick(pattern).search(" " + text)) == bool(pattern.search(text)), part


@pytest.mark.parametrize(("subject", "auto"), [
    ("Re: Bejövő számlák automatikus feldolgozása", False),  # "automatic processing": our own subject
    ("Re: Automation for your warehouse", False),
    ("Auto: Out of the office until Monday", True),
    ("Automatische Antwort: Re: Routenplanung", True),
    ("Out of Office: Re: hello", True),
])
def test_a_subject_about_automation_is_not_an_auto_reply(subject, auto):
    """Found on replies written after the rules (evals/replies-dev): the prefix "auto:" folded to "auto"
    and read every reply to a subject with "automatic..." in it as an out-of-office."""
    from email.message import EmailMessage

    from coldmail.replies.classify import classify

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ann@example.com", "sam@acme-tools.example", subject
    msg.set_content("Kérem, vegyenek le a levelezési listájukról.\n\nTóth Gábor")
    assert (classify(msg).kind == "auto_reply") is auto


@pytest.mark.parametrize(("text", "kind", "asked"), [
    # "which data do you have on me?" asks what is held; "which list do you have me from?" asks the source
    ("Welche personenbezogenen Daten haben Sie über mich gespeichert?", "data_request", "access"),
    ("Aus welcher Liste haben Sie meine Adresse?", "data_request", "source"),
    ("איזה מידע יש לכם עליי?", "data_request", "access"),
    # who GAVE you my address: a source question in any language
    ("Kdo vám dal můj e-mail?", "data_request", "source"),
    ("¿Quién os ha dado mi correo?", "data_request", "source"),
    ("Wie heeft jullie mijn e-mailadres gegeven?", "data_request", "source"),
    # a whole first line with diacritics, folded as the lexicon folds it
    ("Não. Parem.", "opt_out", None),
    # erasure by its noun
    ("Härmed begär jag radering av samtliga personuppgifter som ni behandlar om mig.", "data_request", "erasure"),
])
def test_parts_found_on_the_second_set(text, kind, asked):
    """Shapes found on replies written after the rules (evals/replies-dev), made general."""
    r = classify_text(text)
    assert (r.kind, r.request) == (kind, asked) and r.confidence >= REVIEW_THRESHOLD, r.why


def test_a_gap_in_a_phrase_does_not_swallow_a_negation():
    """"haal ... van" allowed three words between, "niet" among them: "don't take me off" suppressed."""
    r = classify_text("Haal me alsjeblieft niet van de lijst, ik lees ze graag.")
    assert not suppresses(r), r.why
    assert suppresses(classify_text("Haal me alsjeblieft van de lijst."))


def test_a_disclaimer_is_read_as_one_paragraph():
    """Only its first sentence says "confidential"; the next one ("any distribution is forbidden") is
    no request to stop anything."""
    text = ("Facturia est-il compatible avec Sage 100 ?\n\nMerci,\nNicolas\n\n"
            "Ce message et toutes les pièces jointes sont confidentiels. "
            "Toute utilisation ou diffusion non autorisée est interdite.")
    assert not suppresses(classify_text(text))


@pytest.mark.parametrize("attribution", [
    "Den tor. 3. dec. 2026 kl. 09.14 skrev Mikkel Sørensen <mikkel@rutevejen.example>:",
    "чт, 3 дек. 2026 г. в 09:14, Дмитрий Орлов <d.orlov@skladplus.example>:",
    "3 Ara 2026 Per, 09:14 tarihinde Emre Yıldız <emre@rotasyon.example> şunu yazdı:",
])
def test_a_bottom_posted_answer_under_any_clients_attribution(attribution):
    """The answer below a quote, whatever language the client writes its attribution line in."""
    from coldmail.replies.classify.quotes import new_text

    text = f"{attribution}\n> Hello Anders,\n> Not interested? Reply 'no thanks'.\n\nStop writing to me."
    assert new_text(text) == "Stop writing to me."
