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
from coldmail.replies.classify.model import Model
from coldmail.store.states import ReplyKind

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


@pytest.mark.parametrize(("text", "acted"), [
    ("Not interested.", True), ("Unsubscribe", True), ("No thanks", True),
    ("Not interested.\n\nJohn", False),  # a line beside it: the model's veto still holds
    ("No thanks, we already use a tool for that.", False),
    # refusals and nothing else, in pieces (session 25: "Not interested, remove me." waited at human 0.85)
    ("Not interested, remove me.", True), ("No thanks. Unsubscribe.", True), ("Nein danke, bitte abmelden.", True),
    ("No thanks, but send me your pricing.", False), ("Not interested, remove me. Call Marco instead.", False),
    # a phone's signature line is not a line beside it (session 25: "Abmelden" waited at human 0.67)
    ("Abmelden\n\nVon meinem Samsung Galaxy Smartphone gesendet.", True), ("Unsubscribe\n\nSent from my iPhone", True),
])
def test_a_whole_line_refusal_alone_is_acted_on_whatever_the_model_says(monkeypatch, text, acted):
    """Seen in session 24: "Not interested." waited for a person, the model reading it as a person's answer
    at 0.60 (it has seen "not interested right now, but..." in many). Alone, nothing beside it can be
    misread; with anything beside it, the veto holds it back as before."""
    r = _read_sure(monkeypatch, text, "human", 0.95)
    assert r.kind == "opt_out" or not acted, r.why
    assert (r.confidence >= REVIEW_THRESHOLD) == acted, r.why
    assert ("nothing but refusals" in r.why) == acted, r.why  # `why` says the model's doubt was overruled


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


# What the held-out evaluation reaches today (session 25: 86.2%, 89.5%, 1, 3: the grammar's refusal pieces, a refusal
# above a phone's signature line and yes/no source questions, the lexicons tuned on d16, session 24's model kept: retrained
# with d16 it read 88.0%, 90.3%, 1, 5 here but suppressed 3 + 5 genuine replies of new writers (d17, d18) against 0 + 2,
# and was not shipped, a choice made on those aggregates (evals/replies/CHANGES.md).
# Session 24: 85.2%, 89.0%, 1, 3: the lexicons tuned on d15, the model
# retrained with it, differ chosen on fresh readings (0.50), each cut-off the one with fewest reviews within one
# error's weight of the least cost, and a whole-line refusal alone acted on whatever the model says (+11 opt-outs
# here). ONE GENUINE REPLY IS SUPPRESSED, 0 from session 20 to 23: it came with the retrained model (the same
# lexicons under session 23's model suppress none here), while new writers' d16 + d17 suppress 1 instead of 3.
# Not chosen by this score, and the reply was not read; the target stays 0. Session 22: 84.1%, 89.8%, 0, 5: the model retrained with d14, its
# vetoes chosen on the rules' fresh readings of sets they had not been tuned on (veto 0.32, was 0.42): 14 more
# held-out opt-outs wait for a person instead of being acted on, and new writers' sets d15 + d16 suppress 3
# genuine replies instead of 6 (at the old veto the same model reads 87.0% here). Chosen on training data by
# the training script's fixed costs, not by this score. Session 21: 85.6%, 89.5%, 0, 5, the model retrained with d13 and
# the lexicons tuned on it; session 20, benchmarks/RESULTS.md; session 18 reached 86.8%,
# 89.3%, 1, 5; session 17 86.2%, 87.1%, 1, 6; session 16 84.7%, 87.4%, 0, 5). Measured by aggregate only (the
# replies were not read). Session 20's model, retrained with d12 and its cut-offs chosen leaving one set of
# writers out (a genuine reply suppressed costing twice a miss), holds more for review: no genuine held-out
# reply is suppressed, and 1.4 points fewer opt-outs are acted on than with the model before it (87.2%). It is
# shipped as its script builds it, not chosen by its held-out score.
OPT_OUT_RECALL = 0.859  # reached: 86.0% (417 of 485; 86.2% in session 25: one reply now waits in review, session 26's Found.named); 85.2% in session 24
DATA_RECALL = 0.895  # reached: 89.5% (334 of 373); 89.0% in session 24, 89.8% in session 22
GENUINE_SUPPRESSED = 1  # reached: 1 of 312 (0 in sessions 20-23; the target is 0)
MISSES_ACTED = 3  # reached: 3, was 5 (the target is 0: every miss in review)


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


FORMAL_ERASURE = (
    "Dear Sir or Madam,\n\nPursuant to Article 17 of the General Data Protection Regulation I request the "
    "erasure of all personal data your organisation holds about me, including my name, my email address, "
    "my job title and any notes recorded in your CRM or in your sales tools. I also object to any further "
    "processing of my data for marketing purposes.\n\nPlease delete my data without undue delay and confirm "
    "the erasure in writing within one month, as the Regulation requires. If any of my data was passed to "
    "third parties, please tell them too.\n\nYours faithfully,\nDeborah Okafor\nHead of Procurement\n"
    "Brennan & Shaw Logistics Ltd\nUnit 4, Harbour Road, Dublin 2")
ASIDE = (
    "Hi Anna,\n\nThanks for the note. We run eleven vans out of the Leeds depot and the drivers plan their "
    "own routes every morning, which takes them far too long. Our planner left in the summer and nobody "
    "picked that up. I would like to understand how your tool handles time windows for deliveries and "
    "whether it can import our orders from the spreadsheet we use today. My old address is on your list "
    "too: please remove me from that list. Could you send me a price for eleven "
    "vans and a couple of dates for a short call? Thursday afternoon would suit me best.\n\nBest,\nTom")


def test_a_long_request_that_says_it_more_than_once_is_acted_on():
    assert len(FORMAL_ERASURE.split()) > 80
    r = classify_text(FORMAL_ERASURE)
    assert r.kind == "data_request" and r.request == "erasure" and r.confidence >= REVIEW_THRESHOLD, r.why
    assert "long reply" not in r.why


def test_a_long_reply_with_one_request_in_an_aside_waits_for_a_person():
    assert len(ASIDE.split()) > 80
    r = classify_text(ASIDE)  # a refusal is not held for length; here the model reads a person's reply
    assert r.confidence < REVIEW_THRESHOLD, r.why
    asks = ASIDE.replace("please remove me from that list", "where did you get that address from, by the way")
    r = classify_text(asks)
    assert r.request == "source" and r.confidence < REVIEW_THRESHOLD and "long reply" in r.why, r.why


LONG_REFUSAL = (
    "Hi Anna,\n\nFunny timing: I was at the transport fair last week and sat through four routing demos. "
    "Everyone claims twelve to eighteen percent. The number I care about is failed first-time deliveries, "
    "and nobody could show me that on real data. Half the vendors could not handle our Saturday rounds "
    "either, which is where the pain is. We signed a three-year contract with one of them on Friday, so "
    "we are locked in until 2029 whatever happens.\n\nSo please stop emailing me about this.\n\nCheers,\nSimon")


def test_a_refusal_at_the_end_of_a_long_reply_is_not_held_for_its_length():
    assert len(LONG_REFUSAL.split()) > 80
    r = classify_text(LONG_REFUSAL)
    assert r.kind == "opt_out" and "long reply" not in r.why, r.why


@pytest.mark.parametrize("text", [
    "Bitte löschen Sie die Mail, ich habe die falsche Datei angehängt.",
    "Kan I fjerne vandmærket, så jeg kan vise videoen til direktionen?",
    "Bitte die Excel-Datei sofort löschen. Die richtige Datei mit den anonymisierten Namen schicke ich gleich.",
])
def test_the_writer_as_a_subject_after_the_verb_is_not_what_is_removed(text):
    # [meta] subjects: "ich", "jeg" name who attached the file, shows the video or sends the file (after
    # the verb, in its clause or a later one), not who is removed or erased
    assert not suppresses(classify_text(text)), classify_text(text).why


def test_the_writer_as_a_subject_still_asks_to_be_removed():
    assert suppresses(classify_text("Ich möchte aus Ihrem Verteiler gelöscht werden."))


def _read_sure(monkeypatch, text: str, label: str, p: float):
    """The reply read with a second opinion sure of `label` (the rules under test, not the model)."""
    from coldmail.replies.classify import intent

    monkeypatch.setattr(intent, "load_model", lambda: _Sure(label, p))
    return classify_text(text)


def _acted_as_opt_out(r) -> bool:
    """The reply is suppressed at once, not sent to review."""
    return r.kind == "opt_out" and r.confidence >= REVIEW_THRESHOLD


class _Sure:
    """A second opinion that is sure of one label (the decision rule is under test, not the model)."""

    labels = ("opt_out", "erasure", "source", "access", "human")
    veto, cutoff, differ, agree = 0.85, 0.6, 0.7, 0.5
    veto_twice = veto_request = None
    veto_for = Model.veto_for

    def __init__(self, label: str, p: float) -> None:
        self.label, self.p = label, p

    def probabilities(self, text):
        import numpy as np

        rest = (1 - self.p) / 4
        return np.array([self.p if lbl == self.label else rest for lbl in self.labels])


@pytest.mark.parametrize("text, acted", [("Please remove me from your mailing list.", True),
                                         ("Where did you get my email address?", False)])
def test_a_request_a_person_answers_and_a_suppression_have_vetoes_of_their_own(monkeypatch, text, acted):
    """A genuine reply suppressed is for good; one opened as a source request is read by whoever answers
    it: the model's "human" probability that holds each back for a person is chosen apart."""
    from coldmail.replies.classify import intent

    class Apart(_Sure):
        veto, veto_request = 0.85, 0.5

    monkeypatch.setattr(intent, "load_model", lambda: Apart("human", 0.6))
    r = classify_text(text)
    assert r.kind in ("opt_out", "data_request") and (r.confidence >= REVIEW_THRESHOLD) == acted, r.why


@pytest.mark.parametrize("label, p, acted", [("erasure", 0.9, False), ("erasure", 0.5, True), ("source", 0.9, True)])
def test_the_model_sure_of_another_request_sends_the_rules_reading_to_review(monkeypatch, label, p, acted):
    from coldmail.replies.classify import intent

    monkeypatch.setattr(intent, "load_model", lambda: _Sure(label, p))
    r = classify_text("Where did you get my email address?")
    assert r.kind == "data_request" and r.request == "source", r.why
    assert (r.confidence >= REVIEW_THRESHOLD) == acted, r.why
    if not acted:
        assert "the model reads erasure" in r.why or "model: erasure" in r.why


def test_an_article_number_stays_in_its_sentence():
    from coldmail.replies.classify.sentences import split

    assert split("Ai sensi dell'art. 17 del GDPR cancellate i miei dati. Grazie.") == [
        "Ai sensi dell'art. 17 del GDPR cancellate i miei dati.", "Grazie."]
    assert split("Thanks. 3 vans will do.") == ["Thanks.", "3 vans will do."]  # a whole word ends its sentence


@pytest.mark.parametrize("text", [
    "What price do you have for my company?",
    "¿Qué precio tiene para mi empresa?",
    "Quel prix avez-vous pour ma société ?",
])
def test_a_price_question_is_not_an_access_request(text):
    r = classify_text(text)
    assert r.kind != "data_request", r.why


@pytest.mark.parametrize("text", [
    "No, thanks.",
    "Thanks, but no!\n\nSent from my iPhone",
    "No thank you",
])
def test_a_refusal_with_courtesy_words_around_it_is_a_refusal(text):
    r = classify_text(text)
    assert r.kind == "opt_out" and r.confidence >= 0.9, r.why


@pytest.mark.parametrize("text", [
    "No, but send me the prices.",
    "No thanks. But send me the pricing.",
    "Thanks, but not this quarter. Try me again in spring.",
    "Thanks!",
])
def test_courtesy_words_do_not_make_a_refusal_of_an_answer(text):
    r = classify_text(text)
    assert r.kind != "opt_out", r.why


@pytest.mark.parametrize("text, opt_out", [
    ("Don't email.", True),
    ("Nie pisać więcej.", True),
    ("No puedo enviarle la factura hoy.", False),  # "I can't send you the invoice today"
    ("I can't send the invoice today.", False),
])
def test_a_short_negated_send_is_an_opt_out_only_when_nothing_follows_it(text, opt_out):
    r = classify_text(text)
    assert (r.kind == "opt_out" and r.confidence >= REVIEW_THRESHOLD) == opt_out, r.why


def test_the_model_sure_of_an_opt_out_the_rules_found_beside_the_request_does_not_send_it_to_review(monkeypatch):
    from coldmail.replies.classify import intent

    monkeypatch.setattr(intent, "load_model", lambda: _Sure("opt_out", 0.9))
    r = classify_text("Please remove me from your list. And where did you get my email address?")
    assert r.kind == "data_request" and r.request == "source" and r.also_opt_out, r.why
    assert r.confidence >= REVIEW_THRESHOLD, r.why


def _message(subject: str, body: str):
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "kirsten@dahl.example"
    msg["To"] = "anna@routewise.example"
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


@pytest.mark.parametrize("subject, body", [
    ("Unsubscribe", "\n\n--\nDeclan Hurley | Fleet Coordinator"),  # nothing but a signature
    ("Please remove me from your list", "Thanks.\n\nKirsten Dahl\nDahl Catering ApS"),
])
def test_a_request_written_in_the_subject_is_read_when_the_body_says_nothing(subject, body):
    from coldmail.replies.classify import classify

    r = classify(_message(subject, body))
    assert r.kind == "opt_out" and r.confidence >= REVIEW_THRESHOLD, r.why
    assert "subject" in r.why


@pytest.mark.parametrize("subject, body", [
    ("Re: Remove the guesswork from route planning", "\n\n--\nDeclan Hurley"),  # our subject behind "Re:"
    ("AW: Unsubscribe", "Sounds interesting, can we talk on Tuesday?"),  # the body says something else
])
def test_a_reply_subject_or_a_body_with_its_own_answer_is_not_read_as_the_request(subject, body):
    from coldmail.replies.classify import classify

    r = classify(_message(subject, body))
    assert not suppresses(r), r.why


@pytest.mark.parametrize("text", [
    "No budget this year and none planned for next year. Please remove me from your list.",
    "Not this quarter, maybe in spring. Please take me off your mailing list for now.",
])
def test_an_explicit_opt_out_beside_a_deferral_waits_for_a_person(text):
    r = classify_text(text)
    assert r.confidence < REVIEW_THRESHOLD, r.why  # neither suppressed nor read as a confident "human"


@pytest.mark.parametrize("text", [
    "We have no need for this at the moment, so please stop emailing me.",
    "Please take me off your mailing list for now.",
    "Derzeit kein Bedarf. Bitte schreiben Sie mir nicht mehr.",
])
def test_a_deferral_of_now_only_does_not_hold_an_opt_out_said_outright(text):
    """"Currently", "for now" ([now]) qualify an answer; unlike "write again in spring" they ask for no later
    message, so the request beside them is acted on."""
    r = classify_text(text)
    assert r.kind == ReplyKind.OPT_OUT and r.confidence >= REVIEW_THRESHOLD, r.why


def test_a_deferral_of_now_only_still_qualifies_a_bare_refusal():
    r = classify_text("We are not interested at the moment. Thanks")
    assert r.confidence < REVIEW_THRESHOLD, r.why  # not suppressed for good on "at the moment"


def test_a_negated_interest_word_is_not_evidence_of_a_person():
    r = classify_text("We do not want a meeting, we signed with another provider.")
    assert r.confidence < REVIEW_THRESHOLD and "HUMAN=" not in r.why, r.why


@pytest.mark.parametrize("text, asked", [
    ("What do you have about me in your CRM? Send it to me.", "access"),
    ("What list did you get my address from?", "source"),
    ("Welche Daten haben Sie zu meiner Person gespeichert, und wie lange wollen Sie sie aufbewahren?", "access"),
    ("Woher haben Sie meine Daten?", "source"),
])
def test_which_data_is_held_is_access_and_which_list_is_source(text, asked):
    r = classify_text(text)
    assert r.kind == "data_request" and r.request == asked and r.confidence >= REVIEW_THRESHOLD, r.why


@pytest.mark.parametrize("text, kind", [
    ("You keep emailing me every week. Stop it.", "opt_out"),
    ("Your newsletters arrive twice a week. Please stop this now.", "opt_out"),
    ("You have my personal data from some list. Please erase it.", "erasure"),
    ("You have my phone number. Remove it.", "opt_out"),  # the writer's own address or number (session 25)
])
def test_it_refers_to_what_the_sentence_before_named(text, kind):
    r = classify_text(text)
    assert r.confidence >= REVIEW_THRESHOLD, r.why
    assert r.kind == kind or r.request == kind, r.why


@pytest.mark.parametrize("text, erasure", [
    ("Remove me. Everything you hold on me.", True), ("Delete me. All the data you have on me.", True),
    ("Remove me from your list. Everything you hold on me?", False),  # a question: what is held
    ("Remove me from the cc. Everything else you have on me is fine.", False),  # goes on after naming the writer
    ("Please don't remove me. Everything you hold on me.", False),
])
def test_all_that_is_held_named_after_a_removal_is_erased_too(monkeypatch, text, erasure):
    # session 25 (training sl-d8-010 and helpers' made-up examples): the verbless second sentence had been dropped
    r = _read_sure(monkeypatch, text, "erasure", 0.95)
    assert (r.request == "erasure" and r.confidence >= REVIEW_THRESHOLD) == erasure, r.why


@pytest.mark.parametrize("text, access", [
    ("Suite à notre appel de mardi, qu'avez-vous noté à mon sujet ?", True),  # the person's words come first
    ("Po naszej rozmowie we wtorek: co zanotowaliście o mnie?", True),
    ("Quel prix avez-vous pour mon entreprise ?", False), ("What price do you have for my company?", False),
])
def test_a_persons_word_before_an_access_question_does_not_hold_it(monkeypatch, text, access):
    # session 25 (training fr/ro-d16-018, ru-d9-017): a weekday or "call" anywhere in the sentence held it back
    r = _read_sure(monkeypatch, text, "access", 0.95)
    assert (r.request == "access" and r.confidence >= REVIEW_THRESHOLD) == access, r.why


def test_how_do_i_get_off_this_list_is_a_removal_not_a_source_question(monkeypatch):
    # session 25 (training d16): "get" + "off this list" read as OBTAIN, and a source request was opened
    from coldmail.replies.classify import intent

    monkeypatch.setattr(intent, "load_model", lambda: _Sure("opt_out", 0.95))
    r = classify_text("How do I get off this list? I've had four of these now.")
    assert r.kind == "opt_out" and r.confidence >= REVIEW_THRESHOLD, r.why
    assert classify_text("How did I get on your list?").request == "source"


def test_a_source_question_then_remove_it_is_also_an_objection():
    # session 25: "Remove it" (the address named in the question before) was read as nothing, and the
    # source request was opened without the suppression the writer asked for
    r = classify_text("How did you get this address? Remove it immediately.")
    assert r.request == "source" and r.also_opt_out and r.confidence >= REVIEW_THRESHOLD, r.why
    # ...but a verb that also means "obtained" ("sacado": taken out of a list) is the question's, not a removal
    assert not classify_text("¿De dónde ha sacado mi dirección?").also_opt_out


@pytest.mark.parametrize("text", [
    "We keep the customer list in Excel. Can you remove it from the onboarding?",
    "Thanks for the demo yesterday. Stop by our booth, it is next to the entrance.",
    "You sent me a quote last week. Can you delete it and send a new one for 20 vans?",
])
def test_it_referring_to_something_else_is_not_an_opt_out(text):
    assert not suppresses(classify_text(text))


def test_a_short_reply_is_read_in_every_language_when_its_own_find_nothing(monkeypatch):
    from coldmail.replies.classify import intent

    # The detector's guesses for one word are poor: here it guesses neither Polish nor English.
    monkeypatch.setattr(intent, "candidates", lambda text, prior=None: ["fi", "et"])
    r = classify_text("Wypisz mnie.")
    assert r.kind == "opt_out" and r.confidence >= REVIEW_THRESHOLD and r.language == "pl", r.why
    assert not suppresses(classify_text("Kiitos paljon!"))


def test_a_person_found_only_in_a_runner_up_language_of_a_long_reply_waits_for_review(monkeypatch):
    from coldmail.replies.classify import intent
    from coldmail.replies.classify.grammar import Reading

    readings = {"et": Reading(lang="et"), "sv": Reading(lang="sv", intent="human", human=["HUMAN=koppel"])}
    monkeypatch.setattr(intent, "candidates", lambda text, prior=None: ["et", "sv"])
    monkeypatch.setattr(intent, "read_reply", lambda text, lex: readings[lex.lang])
    r = classify_text("Soovin tutvuda kõigi andmetega, mis teil minu kohta on. " * 4 + "Helen Koppel")
    assert r.confidence < REVIEW_THRESHOLD and "only the sv reading" in r.why, r.why


def test_addresses_are_not_words_of_the_sentence():
    from coldmail.replies.classify.sentences import _words

    _, words, _ = _words("Scríobh chuig eolas@gnolacht.ie nó féach https://gnolacht.example/unsubscribe-me", False)
    assert "eolas" not in words and "unsubscribe" not in words  # "eolas" is Irish for "information"
    assert "http" in words  # a link is one word, which a newsletter footer's words may name


@pytest.mark.parametrize("mark", [";", "\u037e"])  # the semicolon key, and the Greek question mark's own code point
def test_a_greek_question_mark_asks(mark):
    r = classify_text(f"Ποια είναι η πηγή σας{mark}")  # "What is your source?"
    assert r.kind == "data_request" and r.request == "source", r.why


def test_a_negated_time_is_not_a_deferral():
    assert suppresses(classify_text("Not in spring either. Please remove me from your list."))
    assert not suppresses(classify_text("Maybe next year. Please remove me from your list."))  # a person looks


@pytest.mark.parametrize("text", [
    "Don't email me and delete my data.",
    "Schreiben Sie mir nicht mehr und löschen Sie meine Daten.",  # the negation after its verb (V2)
    "Больше мне не пишите и удалите все мои данные.",
])
def test_a_negated_send_does_not_negate_the_erasure_beside_it(text):
    r = classify_text(text)
    assert r.kind == "data_request" and r.request == "erasure" and r.confidence >= REVIEW_THRESHOLD, r.why


@pytest.mark.parametrize("text", ["Don't remove me or delete my data.", "Bitte löschen Sie mich nicht, ich lese gern mit."])
def test_a_negation_still_reaches_the_removals_it_governs(text):
    assert not suppresses(classify_text(text))


@pytest.mark.parametrize("text", ["Please forget this address.", "Vergessen Sie bitte diese Adresse.",
                                  "Dimenticate questo indirizzo, grazie."])
def test_a_verb_that_only_destroys_data_on_the_writer_is_an_erasure(text):
    r = classify_text(text)
    assert r.kind == "data_request" and r.request == "erasure" and r.confidence >= REVIEW_THRESHOLD, r.why


def test_remove_and_delete_from_a_list_stay_opt_outs():
    for text in ("Please delete me from your list.", "Delete me."):  # "delete" also takes off: not only data
        r = classify_text(text)
        assert r.kind == "opt_out", r.why


@pytest.mark.parametrize("text", [
    "Saw you're doing a webinar in January - don't want to miss that, keep me on the list for the invite!",
    "Das will ich nicht verpassen, bitte lassen Sie mich auf dem Verteiler für die Einladung!",
])
def test_a_negated_want_is_about_its_own_clause(text):
    assert not suppresses(classify_text(text))


@pytest.mark.parametrize("text", [
    "Uit welke campagne deze berichten ook komen: haal mijn adres er alsjeblieft uit.",
    "Kérem, hogy a nevemet vegyék ki a nyilvántartásukból.",  # "ki" is both "who" and the verb's "out"
])
def test_the_verb_that_takes_the_writer_off_is_not_also_where_the_address_came_from(text):
    r = classify_text(text)
    assert r.kind == "opt_out" and r.confidence >= REVIEW_THRESHOLD, r.why
    assert "WHERE=" not in r.why, r.why


def test_which_categories_and_to_which_recipients_is_access():
    r = classify_text("Milliseid andmeid te minu kohta töötlete ja kellele olete neid edastanud?")
    assert r.kind == "data_request" and r.request == "access", r.why
    r = classify_text("From which list do you have my address?")  # WHICH with a list named stays a source question
    assert r.kind == "data_request" and r.request == "source", r.why


@pytest.mark.parametrize("text, erasure", [
    ("Please delete that, and anything else you have about me.", True),
    ("Please delete me from the list you have.", False),  # a list named: an opt-out
])
def test_erasing_what_is_held_about_the_writer_is_an_erasure(text, erasure):
    # the rules' reading; whether it is acted on at once is also the model's say (it may read access)
    r = classify_text(text)
    assert r.kind in ("data_request", "opt_out") and (r.request == "erasure") is erasure, r.why
    assert suppresses(r) or r.confidence < REVIEW_THRESHOLD, r.why


@pytest.mark.parametrize("text", [
    "Please take Kevin off the invite for Thursday, he is away that week, and add me instead.",
    "Отключите, пожалуйста, автопродление — ещё месяц теста нам не нужен, хотим платный тариф.",
])
def test_the_writer_named_clauses_away_is_not_what_the_verb_takes_off(text):
    assert not suppresses(classify_text(text))


@pytest.mark.parametrize("text", [
    "Удалите, пожалуйста, меня из списка.",  # a clause of courtesy words only does not count
    "Please remove, from every list you keep, all addresses @acme.example, not only me.",  # the company still
])
def test_the_writer_beside_the_verb_is_still_taken_off(monkeypatch, text):
    # The rules' reading is under test: the second opinion agrees here (the shipped model may hold the
    # company-wide one back for a person, a decision tested apart)
    r = _read_sure(monkeypatch, text, "opt_out", 0.9)
    assert suppresses(r) and r.confidence >= REVIEW_THRESHOLD, r.why


def test_a_japanese_negation_after_a_comma_is_of_the_later_verb():
    r = classify_text("私の個人データをすべて消去し、二度と使わないでください。")  # erase it all, and never use it again
    assert r.kind == "data_request" and r.request == "erasure", r.why
    assert not suppresses(classify_text("私のデータを削除しないでください。"))  # do not delete my data


@pytest.mark.parametrize("p, acted", [(0.45, False), (0.55, True)])
def test_a_person_read_by_the_rules_needs_the_model_to_lean_the_same_way(monkeypatch, p, acted):
    from coldmail.replies.classify import intent

    monkeypatch.setattr(intent, "load_model", lambda: _Sure("human", p))
    r = classify_text("Sounds interesting, can you send me the pricing?")
    assert r.kind == "human", r.why
    assert (r.confidence >= REVIEW_THRESHOLD) == acted, r.why


@pytest.mark.parametrize("text", [
    "Please remove Dan from Tuesday's invite and put me in his place.",
    "Bitte nehmen Sie Herrn Kühn aus der Einladung und laden Sie stattdessen mich ein.",
])
def test_someone_else_taken_off_and_the_writer_put_in_is_not_an_opt_out(text):
    assert not suppresses(classify_text(text))


def test_not_enough_is_not_a_negated_removal():
    # "Forget this address. Unsubscribing me is not enough." asks for more than a removal, not for none
    r = classify_text("Proszę zapomnieć ten adres. Nie wystarczy mi wypisanie z listy mailingowej.")
    assert r.kind == "data_request" and r.request == "erasure" and r.confidence >= REVIEW_THRESHOLD, r.why


@pytest.mark.parametrize("text, lang", [
    ("no thnaks", "en"),
    ("Nein dnake.", "de"),
    ("ei kitos", "fi"),
    ("nejtak", "da"),
])
def test_a_refusal_typed_with_one_typo_is_the_refusal(text, lang):
    # Our own "just reply 'no thanks'", typed in a hurry: one typo from a whole-line refusal.
    r = classify_text(text)
    assert r.kind == "opt_out" and r.confidence >= REVIEW_THRESHOLD and r.language == lang, r.why
    assert "one typo from" in r.why


def test_a_long_word_with_one_typo_is_read_as_the_refusal():
    # (the model may still send it to a person: it is not sure a misspelled word is an objection)
    r = classify_text("Unsubscibe")
    assert r.kind == "opt_out" and "one typo from 'unsubscribe'" in r.why, r.why


@pytest.mark.parametrize("text", ["ok thanks", "Pasta", "Removed.", "yes thanks", "Ja, danke!", "si grazie"])
def test_a_word_one_letter_from_a_short_refusal_is_not_one(text):
    # Only refusals long enough that one letter does not make another word are matched one typo away.
    assert not suppresses(classify_text(text))


def test_a_refusal_said_as_a_sentence_of_its_own_later_in_the_reply_is_one():
    r = classify_text("Your fourth email this month, and my answer is the same as in March. Stop.")
    assert r.kind == "opt_out" and r.confidence >= REVIEW_THRESHOLD, r.why
    assert "a sentence of its own" in r.why


def test_an_unsubscribe_link_line_of_its_own_in_a_signature_is_not_a_refusal():
    r = classify_text("Sounds interesting, send me the pricing please.\n\nAcme Weekly\n\nUnsubscribe")
    assert not suppresses(r), r.why


@pytest.mark.parametrize("text", [
    "Delete my earlier question, I found the answer.",
    "Please remove our logo from the proposal.",
    "Supprimez notre ancien devis, svp.",
    "How do you handle deletion requests from our customers?",
])
def test_a_possessive_that_owns_something_else_is_not_the_writer(text):
    # "my" names the writer only where it owns an address, data, a list: not a question, a logo, customers
    assert not suppresses(classify_text(text))


@pytest.mark.parametrize("text, kind, asked", [
    ("Please remove my old work email from your CRM.", "opt_out", None),
    ("Borrad mis datos.", "data_request", "erasure"),
    ("Удалите мои данные.", "data_request", "erasure"),
])
def test_a_possessive_that_owns_an_address_or_data_is_the_writer(monkeypatch, text, kind, asked):
    # The rules' reading is under test, with a second opinion that agrees: the shipped model reads "remove
    # my old work email from your CRM" as an erasure as likely as not, and then a person looks (in the
    # fresh readings, 18 of 20 opt-outs the model read as erasures at 0.42 or more were erasures)
    r = _read_sure(monkeypatch, text, asked or kind, 0.9)
    assert r.kind == kind and r.request == asked and r.confidence >= REVIEW_THRESHOLD, r.why


def test_where_did_you_get_it_refers_to_the_address_named_before():
    r = classify_text("I never put this address on any website. Where did you get it?")
    assert r.kind == "data_request" and r.request == "source" and r.confidence >= REVIEW_THRESHOLD, r.why


@pytest.mark.parametrize("text", [
    "Sinceramente: isso veio de lista comprada? Porque meu e-mail não está no site da empresa.",
    "My email is not on our website. Was it a bought list?",
])
def test_a_negation_of_the_writers_own_address_is_not_a_negated_contact(text):
    # "meu e-mail não está no site": the address, not "don't email me"
    r = classify_text(text)
    assert r.kind != "opt_out" or r.confidence < REVIEW_THRESHOLD, r.why


@pytest.mark.parametrize("text", [
    "Not interested. I already told your colleague at the fair last month.",
    "Deixem-nos em paz, por favor. Já dissemos ao vosso colega na feira que não estávamos interessados.",
])
def test_the_readers_colleague_is_no_referral(text):
    # "your colleague" names no one of the writer's to write to instead: the refusal beside it stands
    # (the rules read the opt-out; whether it is acted on at once is also the model's say)
    r = classify_text(text)
    assert r.kind == "opt_out" and "REFERRAL" not in r.why, r.why


def test_my_colleague_is_still_a_referral():
    r = classify_text("I'm not the right person for this, please talk to my colleague Marco.")
    assert r.kind == "human" and not suppresses(r), r.why


@pytest.mark.parametrize("text", [
    "Where do you get your traffic data from? Is it live?",
    "D'où viennent vos données de trafic ?",
])
def test_the_readers_own_data_is_not_the_writers(text):
    assert classify_text(text).request != "source"


@pytest.mark.parametrize("text", [
    "Can the test routes and our customers' address data be deleted after the pilot?",
    "Après le pilote, pourrez-vous effacer les données de nos clients ?",
    "Könnt ihr nach dem Test die Daten unserer Kunden löschen?",
    "试点结束后，测试路线和客户地址数据能否全部删除？",
])
def test_the_data_of_the_writers_customers_is_not_the_writers(text):
    # a question about the product's deletion of someone else's data: nobody is suppressed
    r = classify_text(text)
    assert not suppresses(r) and r.request != "erasure", r.why


@pytest.mark.parametrize("text", [
    "Please delete my data and the data of our customers too.",
    "Löschen Sie bitte meine Daten.",
])
def test_the_writers_own_data_beside_customers_is_still_theirs(text):
    r = classify_text(text)
    assert r.request == "erasure" and r.confidence >= REVIEW_THRESHOLD, r.why


@pytest.mark.parametrize("text, asked", [
    ("I never gave this address to anyone. Someone must have sold it to you. Who?", "source"),
    ("You say you found my details on our company website. Which page, exactly?", "source"),
    ("We bought two new trucks last month. Who?", None),
    ("Do you hold anything on me apart from my email? If so, which?", "access"),
])
def test_a_bare_who_after_how_the_address_was_obtained_asks_its_source(text, asked):
    r = classify_text(text)
    assert r.request == asked, r.why


@pytest.mark.parametrize("text, asked", [
    ("Merci de cesser toute communication, présentes ou futures, et de ne pas donner nos coordonnées.", None),
    ("Gostaria de saber de qual mailing ou fornecedor vocês obtiveram meus dados.", "source"),
    ("Please tell me where you got my address.", "source"),
])
def test_where_outside_a_question_leads_its_verb_in_its_clause(text, asked):
    # "ou" (or) folds to "où" (where): outside a question, a WHERE word asks only before its verb
    assert classify_text(text).request == asked


def test_a_tag_question_after_a_refusal_does_not_qualify_it():
    # "Is that clear?" tags what was said; "Can you send prices?" is the person's own question (the
    # rules' reading: whether an opt-out is acted on at once is also the model's say)
    assert classify_text("We are not interested in this at all. Is that clear?").kind == "opt_out"
    assert classify_text("We are not interested in the webinar. Can you send prices for the app?").kind != "opt_out"


@pytest.mark.parametrize("text", ["Not now, not ever.", "Weder jetzt noch später."])
def test_a_deferral_word_inside_a_refusal_is_part_of_it(text):
    # "später" inside "weder jetzt noch später" is no "write again later"
    assert classify_text(text).kind == "opt_out"


def test_a_deferral_beside_a_refusal_still_holds_it():
    assert not suppresses(classify_text("No thanks, not now."))


# --- session 17 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Where did you get my email address? And what else do you hold about me?",
    "Woher haben Sie meine Adresse? Und welche Daten haben Sie sonst noch über mich gespeichert?",
])
def test_an_access_question_of_its_own_beside_a_source_question_is_access(text):
    """The access answer (Art. 15) names the source too: the request that asks for more is answered."""
    reading = read_reply(text, lexicon("de" if "Woher" in text else "en"))
    assert reading.intent == "access" and "source" in reading.found, reading.parts


def test_a_source_question_alone_stays_a_source_question():
    reading = read_reply("What list did you get my address from? I never signed up anywhere.", lexicon("en"))
    assert reading.intent == "source", reading.parts


def test_a_formal_request_citing_the_article_twice_counts_two_findings():
    text = ("Pursuant to Article 15 GDPR I request confirmation of whether you process my personal data. "
            "Please also provide a copy under Article 15(3) GDPR within one month.")
    reading = read_reply(text, lexicon("en"))
    assert reading.intent == "access" and reading.support >= 2, (reading.parts, reading.support)


def test_an_erasure_request_that_also_objects_counts_the_objection():
    reading = read_reply("I request the erasure of my personal data. And stop emailing me.", lexicon("en"))
    plain = read_reply("I request the erasure of my personal data.", lexicon("en"))
    assert reading.intent == plain.intent == "erasure"
    assert reading.support == plain.support + 1


@pytest.mark.parametrize("text, ways", [
    ("Not interested. Please remove me from your list.", 2),
    ("Please remove me from your list.", 1),
    ("No thanks.", 1),
])
def test_the_ways_an_opt_out_is_said(text, ways):
    reading = read_reply(text, lexicon("en"))
    assert reading.intent == "opt_out" and reading.ways == ways, reading.parts


@pytest.mark.parametrize("p_human, acted", [(0.6, True), (0.75, False)])
def test_an_opt_out_said_two_ways_needs_a_surer_veto(monkeypatch, p_human, acted):
    """Said two ways, an opt-out is held for review only when the model is at least `veto_twice` sure of a
    person's reply; said once, the ordinary veto (lower) holds it."""
    from coldmail.replies.classify import intent

    class Model(_Sure):
        veto, veto_twice = 0.48, 0.70

    monkeypatch.setattr(intent, "load_model", lambda: Model("human", p_human))
    twice = classify_text("Not interested. Please remove me from your list.")
    once = classify_text("Please remove me from your list.")
    assert twice.kind == once.kind == "opt_out"
    assert (twice.confidence >= REVIEW_THRESHOLD) == acted, twice.why
    assert once.confidence < REVIEW_THRESHOLD, once.why


@pytest.mark.parametrize("lang, text", [
    # off the cc: a routing request, not an opt-out
    ("en", "Please take me off cc, Marco Bellini leads this now. Send your proposal to him."),
    ("el", "Βγάλτε με από την κοινοποίηση, σας παρακαλώ. Στείλτε την πρότασή σας στον Μάρκο."),
    ("de", "Bitte nehmen Sie mich aus CC, Herr Weber ist jetzt zuständig."),
    # "I didn't say I'm not interested": no refusal
    ("en", "I didn't say I'm not interested, only that it's expensive."),
    ("hu", "Azt nem mondtam, hogy nem érdekel, csak hogy drága."),
])
def test_look_alikes_of_session_17_are_no_opt_out(lang, text):
    reading = read_reply(text, lexicon(lang))
    assert reading.intent != "opt_out", reading.parts


@pytest.mark.parametrize("text, intent", [
    ("den mas endiaferei, eimaste mikri oikogeneiaki monada. parakalw mi mou ksanasteilete", "opt_out"),
    ("Zdravstvuyte. Pozhaluysta, ne pishite mne bolshe.", "opt_out"),
    ("Molya, ne mi pishete poveche.", "opt_out"),
])
def test_greek_and_cyrillic_typed_in_latin_letters_are_read(text, intent):
    from coldmail.replies.classify.intent import read

    reading = read(text)
    assert reading.intent == intent and reading.stray, reading.parts  # (a short one may be read in every language)
    assert "typed in Latin letters" in " ".join(reading.parts) or "read in every language" in " ".join(reading.parts)


def test_a_latin_skeleton_reading_is_acted_on_only_where_the_model_agrees(monkeypatch):
    from coldmail.replies.classify import intent

    text = "Zdravstvuyte. Pozhaluysta, ne pishite mne bolshe."
    monkeypatch.setattr(intent, "load_model", lambda: _Sure("source", 0.5))
    r = classify_text(text)
    assert r.kind == "opt_out" and r.confidence < REVIEW_THRESHOLD, r.why
    monkeypatch.setattr(intent, "load_model", lambda: _Sure("opt_out", 0.9))
    assert classify_text(text).confidence >= REVIEW_THRESHOLD


def test_the_skeletons_of_a_native_word_and_its_latin_spellings_meet():
    from coldmail.replies.classify.translit import from_native, skeleton

    assert {skeleton(w, "greek") for w in ("efharisto", "euxaristw", "eyxaristo")} == {from_native("ευχαριστώ", "greek")}
    assert {skeleton(w, "cyrillic") for w in ("pozhaluysta", "pozhalujsta")} == {from_native("пожалуйста", "cyrillic")}
    assert skeleton("Hello, world!", "greek").endswith("!")  # punctuation and spacing stay


def test_a_reply_a_latin_language_reads_is_not_read_as_a_skeleton():
    from coldmail.replies.classify.intent import read

    reading = read("Thanks, sounds interesting. Can we talk on Tuesday?")
    assert not reading.latin and reading.intent == "human"


def test_a_question_mark_found_by_a_runner_up_does_not_change_the_replys_language():
    # a Turkish question about the delivery time: Lithuanian, Czech... read only "a question" in it
    r = classify_text("Teslimat süresi ne kadar? Depomuz Gebze'de.")
    assert r.language == "tr" and r.confidence <= REVIEW_THRESHOLD, (r.language, r.why)


@pytest.mark.parametrize("text", ["Parem de me mandar esses e-mails", "PAREM DE ME MANDAR EMAIL"])
def test_a_short_reply_the_detector_misplaces_is_read_in_every_language(text):
    # lingua's trigrams read these as French / Romanian and English; no candidate finds anything
    r = classify_text(text)
    assert r.kind == "opt_out" and r.confidence > REVIEW_THRESHOLD and r.language == "pt", r.why
    assert "read in every language" in r.why


@pytest.mark.parametrize("p, acted", [(0.6, False), (0.9, True)])
def test_a_reply_read_in_every_language_is_acted_on_only_if_the_model_is_sure_of_the_same(monkeypatch, p, acted):
    from coldmail.replies.classify import intent

    monkeypatch.setattr(intent, "load_model", lambda: _Sure("opt_out", p))
    r = classify_text("Parem de me mandar esses e-mails")
    assert r.kind == "opt_out" and (r.confidence > REVIEW_THRESHOLD) == acted, r.why


@pytest.mark.parametrize("text, opt_out", [
    ("👎", True), ("🛑\n\nSkickat från min iPhone", True), ("✋🚫", True), ("🙅\u200d♂️", True),
    ("👍", False), ("👍👎", False), ("🙂", False), ("👎 at the price, but call me", False), ("👋✋", False),
    ("👎\n\nThe iPhone app crashes on login", False), ("🚫\n\nDon't stop, I use Android", False),
])
def test_a_refusal_sign_alone_is_an_opt_out_in_every_language(text, opt_out):
    r = classify_text(text)
    assert suppresses(r) == opt_out, r.why


@pytest.mark.parametrize("label, p, opened", [
    ("source", 0.9, "source"), ("access", 0.9, "access"), ("source", 0.8, None),
    ("erasure", 0.99, None), ("opt_out", 0.99, None),
])
def test_the_model_alone_opens_only_a_source_or_access_request(monkeypatch, label, p, opened):
    # where the rules find nothing: a request that suppresses no one and erases nothing, which a person
    # answers; never an erasure or an opt-out (a character model cannot read a negation)
    from coldmail.replies.classify import intent

    monkeypatch.setattr(intent, "load_model", lambda: _Sure(label, p))
    r = classify_text("My email address, seriously? Lorem ipsum dolor sit amet.")
    assert r.request == opened and (r.confidence > REVIEW_THRESHOLD) == (opened is not None), r.why
    assert not suppresses(r)


@pytest.mark.parametrize("text", ["Did you get my address from LinkedIn?", "Did you buy my email from a list?"])
def test_the_model_alone_opens_a_source_request_asked_without_a_where_word(monkeypatch, text):
    # session 25: the writer's data named as "my address" (a SELF phrase) or read in the detected language
    # while a runner-up found only the question mark, had not counted as named
    r = _read_sure(monkeypatch, text, "source", 0.95)
    assert r.request == "source" and r.confidence >= REVIEW_THRESHOLD and r.language == "en", r.why


@pytest.mark.parametrize("text", ["Where do your route times come from?", "Lorem ipsum dolor sit amet.",
                                  "Did you get my message?"])
def test_the_model_alone_opens_no_request_about_data_not_the_writers(monkeypatch, text):
    # the rules see neither the writer nor their data: a question about the product's own figures
    r = _read_sure(monkeypatch, text, "source", 0.99)
    assert r.kind != "data_request" and r.confidence <= REVIEW_THRESHOLD, r.why


def test_a_trailing_question_mark_does_not_stop_the_reading_in_every_language():
    r = classify_text("Parem de me mandar esses e-mails?")
    assert r.kind == "opt_out" and r.language == "pt", r.why


def test_a_negated_first_person_removal_is_not_an_opt_out():
    # pt [refusal] "quero sair ... lista" is not negated by the grammar: "não quero sair" is [negated]
    assert not suppresses(classify_text("Não quero sair da lista, só estou ocupado."))


@pytest.mark.parametrize("text", ["Please remove me from your list.", "Bitte  NICHT\tmehr schreiben", "ΣΟΦΟΣ σοφός ﬁle",
                                  "请不要再给我发邮件", "İstanbul\u2028line", ""])
def test_the_models_own_hashing_gives_the_vectorizers_row(text):
    """Model.hashed (per-word columns, cached) is the row sklearn's HashingVectorizer gives the same text."""
    import numpy as np

    from coldmail.replies.classify.model import load

    model = load()
    if model is None:
        pytest.skip("no model built")
    row = model.vectorizer.transform([text]).tocsr()
    row.sort_indices()
    cols, counts = model.hashed(text)
    assert np.array_equal(cols, row.indices) and np.array_equal(counts, row.data)


def test_a_signature_and_a_disclaimer_do_not_make_a_one_line_request_long():
    # "long reply" holds a request that may be an aside; a formal one-liner above a firm's address block and
    # its confidentiality notice is not one (d13 as training: 11 such right readings waited for review)
    from coldmail.replies.classify.intent import LONG, read

    request = "Under Article 15 GDPR I hereby request access to the personal data you process about me."
    signature = ("Yours faithfully,\n\nJohn Doe\nManaging Director\nDoe & Sons Funeral Services Ltd\n"
                 "12 High Street, Leeds LS1 4AB\nTel. 0113 000 000 | 24h: 0113 000 001\nwww.doefuneral.example")
    notice = ("This email and any attachments are confidential and intended solely for the addressee. If you have "
              "received it in error, please notify the sender immediately and delete it from your system. Any "
              "use, disclosure or copying of this email by anyone other than the addressee is prohibited and may "
              "be unlawful. Doe & Sons Funeral Services Ltd is registered in England and Wales, number 01234567.")
    text = f"{request}\n\n{signature}\n\n{notice}"
    assert len(text.split()) > LONG
    reading = read(text)
    assert reading.intent == "access" and reading.said == len(request.split()), reading
    # the writer's own long paragraph still counts: it is what may hold a request as an aside
    prose = " ".join(["We looked at your tool last year and the team liked the planner, but the rollout stalled."] * 5)
    assert read(f"{prose}\n\n{request}\n\n{signature}").said == len(prose.split()) + len(request.split())


@pytest.mark.parametrize("line, phone", [
    ("Sent from my iPhone", True), ("Wysłane z iPhone'a", True), ("iPhoneから送信", True),
    ("Get Outlook for Android", True), ("Don't stop, I use Android", False), ("Does it run on Android?", False),
])
def test_a_phone_line_says_nothing_else(line, phone):
    from coldmail.replies.classify.quotes import device_line

    assert device_line(line) == phone


def test_fresh_readings_name_replies_of_their_own_set_and_feed_the_vetoes():
    """The rules' readings recorded before a set was tuned on (the vetoes and `differ` are chosen on them)
    name only replies of that set, each with a request or an opt-out and all it found, and the training
    script reads all of them."""
    import importlib.util
    import json

    root = Path(__file__).resolve().parents[1]
    files = sorted(root.glob("evals/replies-*/fresh-readings.json"))
    assert files, "no fresh readings recorded"
    total = 0
    for path in files:
        ids = {json.loads(line)["id"] for p in path.parent.glob("*.jsonl")
               for line in p.read_text(encoding="utf-8").splitlines() if line.strip()}
        readings = json.loads(path.read_text(encoding="utf-8"))
        assert set(readings) <= ids, path
        kinds = {"opt_out", "erasure", "source", "access"}
        assert all(v[0] in kinds and isinstance(v[1], bool) for v in readings.values())
        assert all(v[0] in v[3] and set(v[3]) <= kinds for v in readings.values()), path  # all it found, its own kind too
        assert all(v[1] for v in readings.values() if v[0] in ("opt_out", "erasure")), path  # these always suppress
        total += len(readings)
    spec = importlib.util.spec_from_file_location("train_intent_model", root / "scripts" / "train_intent_model.py")
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    assert len(train.fresh_readings()) == total


@pytest.mark.parametrize("text, stop", [
    ("Mi correo no está en su página web. ¿De dónde lo sacaron?", False),  # a fact about the address
    ("Το email μου δεν είναι στην ιστοσελίδα σας. Πού το βρήκατε;", False),
    ("No me escriban más. ¿De dónde sacaron mi correo?", True),  # the verb's negation comes first
    ("Mail mij niet meer. Waar heeft u mijn adres vandaan?", True),  # the verb is no CHANNEL noun
    ("Email me never again. Where did you get my address?", True),  # a command: nothing before the noun
])
def test_the_writers_own_address_negated_is_no_negated_contact(text, stop):
    # session 26 (training el-d10-014, bg-d11-015, it-d15-014): people who asked only where the address came
    # from were also suppressed, "my email is not on your website" read as "no email"
    r = classify_text(text)
    assert r.request == "source" and r.confidence >= REVIEW_THRESHOLD, r.why
    assert r.also_opt_out == stop, r.why


@pytest.mark.parametrize("text, acted", [
    ("Gracias, pero no nos interesa.\n\nJuan Pérez\nResponsable de Sistemas\nGrupo Norte", True),
    ("No thanks.\n\nAnna Berg\nPerson in charge of IT\nNorthgate Foods", True),
    # a referral said in the signature's first line, or in a sentence, still holds the refusal back
    ("Gracias, pero no nos interesa.\n\nHable con mi compañero Juan, responsable de compras.", False),
    ("Hello Tom\n\nNo thanks from me\nAsk my colleague Anna in purchasing", False),  # no name above it
    ("No thanks.\n\nJohn\nPS ask my colleague Anna", False),
    ("Gracias, pero no nos interesa.\n\nSaludos\nJuan Pérez\nEscriba a mi compañera Ana", False),
])
def test_a_title_under_the_name_is_no_referral(monkeypatch, text, acted):
    r = _read_sure(monkeypatch, text, "opt_out", 0.9)
    assert _acted_as_opt_out(r) == acted, r.why


@pytest.mark.parametrize("text, acted", [
    ('Please mark me as "do not contact".', True),
    ("Bitte setzen Sie mich auf „nicht kontaktieren“.", True),
    ("Merci de me passer en « ne pas contacter ».", True),
    # mentioned, not asked for: a question, the writer as a subject only, our footer's refusal
    ('Does your CRM have a "do not contact" flag for me?', False),
    ('I saw the "do not contact" box on your form.', False),
    ('Your email told me to reply "no thanks", but send me the prices first.', False),
    ('Don\'t mark me "do not contact", I want the prices.', False),  # negated, and a person's words
    ("Mein Kollege hat „nicht kontaktieren“ angekreuzt, aber ich bin interessiert. Rufen Sie mich an.", False),
    ('我在你们的网站上看到了"请勿联系"选项。', False),  # no words to tell who is labelled
])
def test_a_do_not_contact_label_in_quotation_marks_is_asked_for(monkeypatch, text, acted):
    # session 26 (training d5 "mark me do-not-contact" in 13 languages): words in quotation marks were all
    # taken as our footer's, mentioned and not said
    r = _read_sure(monkeypatch, text, "opt_out", 0.9)
    assert _acted_as_opt_out(r) == acted, r.why


@pytest.mark.parametrize("lang, text, intent, suppressed", [
    ("ar", "هل حصلتم عليها من مسح بطاقتي في المعرض؟", "source", False),  # "from the scan of my badge at the fair?"
    ("ar", "امسحوا بياناتي من فضلكم.", "erasure", True),  # "wipe my data, please"
    ("ar", "من أين حصلتم على عنواني؟ امسحوني من عندكم.", "erasure", True),  # the erasure in a sentence of its own
])
def test_an_erase_word_inside_a_source_question_is_no_erasure(lang, text, intent, suppressed):
    # session 27 (a helper's made-up reply): Arabic مسح is both "scan" and "wipe", and "did you get it from the
    # scan of my badge?" was acted on as an erasure request, the writer's data to be destroyed
    from coldmail.replies.classify.intent import suppresses

    reading = read_reply(text, lexicon(lang))
    assert (reading.intent, suppresses(reading)) == (intent, suppressed), reading.parts


@pytest.mark.parametrize("lang, text, intent", [
    ("tr", "Yine mi? Lütfen başka mail göndermeyin.", "opt_out"),  # "Again? Please send no more mail."
    ("en", "Seriously? No thanks.", "opt_out"),
    ("en", "Thursday? Sure, no problem.", "human"),
    ("en", "Demo? No thanks. Send me the prices.", None),  # a person's words after it: a person looks
])
def test_a_short_question_first_does_not_qualify_a_refusal(lang, text, intent):
    # session 27 (three helpers' reports, d18 "Another one? Please, no more."): a question of a word or three
    # was a tag on what was said only after the first sentence
    assert read_reply(text, lexicon(lang)).intent == intent


@pytest.mark.parametrize("lang, text, intent", [
    ("en", "I had unsubscribed from your newsletter, it came too often. This is different: tell me more.", "human"),
    ("ro", "M-am dezabonat de la newsletterul vostru, dar asta e altceva. Spune-mi mai multe.", "human"),
    ("de", "Ich habe mich abgemeldet, aber das hier ist etwas anderes und interessiert mich.", "human"),
    ("en", "I already unsubscribed twice and you keep writing!", "opt_out"),  # no person's words: it objects
    ("fr", "Je me suis désinscrit de toutes vos listes l'an dernier. D'où vient cette adresse ?", "source"),
])
def test_a_removal_the_writer_tells_of_is_their_story(lang, text, intent):
    # session 27 (training d18 "unsubscribed from the newsletter, but interested", de and ro: suppressed);
    # the told removal still objects where no person's words stand beside it (fr: suppressed with the request)
    reading = read_reply(text, lexicon(lang))
    assert reading.intent == intent, reading.parts
    assert ("opt_out" in reading.found) == (intent != "human"), reading.found
    if intent == "human":  # the removal set aside is named for the person who reviews it
        assert any(h.startswith("PAST=") for h in reading.human), reading.human


@pytest.mark.parametrize("text, acted", [
    ("The company closes next year and I retire in the spring. Please remove us from your list.", True),
    ("Our fleet was sold last spring and the depot closes next year. Take me off your list.", True),
    ("Maybe next year. Please remove me from your list for now.", False),  # a short sentence: an answer
    ("Not this year, maybe again in spring. Remove me from your list for now.", False),  # a negation: an answer
    ("Write again in spring. Until then take me off your list.", False),  # a CONTACT beside the time
])
def test_a_time_in_the_writers_story_is_no_deferral(monkeypatch, text, acted):
    # session 27 (training d18 "closing/retiring", d13, d16, d17, d4: 6 opt-outs held in review): any
    # sentence naming a time held an opt-out back, even one telling what happened
    r = _read_sure(monkeypatch, text, "opt_out", 0.9)
    assert _acted_as_opt_out(r) == acted, r.why


@pytest.mark.parametrize("text, acted", [
    ('"no thanks"\n\nAs instructed.\n\nSent from my iPhone', True),
    ("„Nein danke“", True),
    ('"no grazie"\n\n(come da vostre istruzioni)', True),
    ('"no thanks" is not my answer, tell me more.', False),  # the quotation is not the whole sentence
    ('"no thanks"\n\nJust kidding, send me the deck please.', False),  # a person's words after it
])
def test_our_footers_refusal_typed_back_in_quotation_marks(monkeypatch, text, acted):
    # session 27 (training d18 "quote-footer" family, 4 languages): the footer says reply "no thanks", and
    # some do, quotation marks and all; a first sentence that is only a quoted whole-line refusal is that refusal
    r = _read_sure(monkeypatch, text, "opt_out", 0.9)
    assert _acted_as_opt_out(r) == acted, r.why


@pytest.mark.parametrize("text, kind, asked", [
    ("You somehow have my personal data. I never gave it to you. Delete it.", "data_request", "erasure"),
    ("This address is not on any website. It is private. How did you get it?", "data_request", "source"),
    ("Where did you find my number? It's private. Remove it now.", "data_request", "source"),
])
def test_it_two_sentences_back(monkeypatch, text, kind, asked):
    # session 26 (training en-d9-015, sv-d8-013, he-d14-015, sl-d8-014): a sentence that only points back
    # ("I never gave it to you") passes what "it" means on to the next one
    r = _read_sure(monkeypatch, text, asked or kind, 0.9)
    assert (r.kind, r.request, r.confidence >= REVIEW_THRESHOLD) == (kind, asked, True), r.why


@pytest.mark.parametrize("text", [
    "You sent me the contract by email. I signed it. Stop it.",  # "it" is the contract, not the emails
    "You sent me your catalogue. I printed it. Stop it.",
])
def test_it_two_sentences_back_is_only_the_writers_data_or_address(monkeypatch, text):
    # session 26, a reviewer's made-up replies: any email named two sentences back had been stopped
    r = _read_sure(monkeypatch, text, "opt_out", 0.9)
    assert not (r.kind == "opt_out" and r.confidence >= REVIEW_THRESHOLD), r.why


@pytest.mark.parametrize("text, erasure", [
    ("Delete me from your register and confirm in writing.", True),
    ("Cancellatemi dal vostro database e confermatelo per iscritto.", True),
    ("Verwijder mij uit uw database en bevestig dit schriftelijk.", True),
    ("Radera mig ur er databas och bekräfta skriftligt.", True),
    ("Kindly take my name off your records.", False),  # an opt-out (training en-008)
    ("Ta bort mig manuellt ur ert register, tack.", False),  # the mailing register (training sv-d14-001)
])
def test_the_writer_deleted_from_a_database_is_an_erasure_request(monkeypatch, text, erasure):
    # session 26: "delete me from your database" waited in review as an opt-out while the model read erasure
    r = _read_sure(monkeypatch, text, "erasure" if erasure else "opt_out", 0.9)
    assert (r.request == "erasure") == erasure and r.confidence >= REVIEW_THRESHOLD, r.why
    assert r.kind == "opt_out" or r.request == "erasure", r.why  # either way the writer is suppressed


@pytest.mark.parametrize("text, acted", [
    ("Thanks, the licences work. Please stop sending us paper invoices, email them to ap@firm.example.", False),
    ("Please don't send paper invoices any more, they get lost. A PDF is better.", False),
    ("Please stop sending me emails about invoices.", True),  # the emails are stopped: a CHANNEL is named
    ("Stop emailing me.\n\nRegards,\nGareth\nHead of Operations\nPembroke Parcel Services Ltd", True),  # a signature's
])
def test_things_sent_are_not_mail_to_the_writer(monkeypatch, text, acted):
    # session 28 (training d19 "stop the paper invoices", et fi he pt: suppressed): STOP or a negated CONTACT on
    # GOODS (invoices, parcels, deliveries) asks for no less mail; a signature's company name is no object
    r = _read_sure(monkeypatch, text, "opt_out", 0.9)
    assert _acted_as_opt_out(r) == acted, r.why


@pytest.mark.parametrize("text, acted", [
    ("Yes, Thursday works.\n\nJust please don't write to this address any more, we close it in January. "
     "Send the invite and everything else to sales@firm.example.", False),
    ("Please stop emailing me. For data protection questions my DPO is dpo@firm.example.", True),  # no CONTACT
    ("Remove us all, not just me: my colleague (ana@firm.example) got the same email.", True),  # a removal of its own
    ("Please stop writing to me.\n\n-------- Original message --------\nFrom: Sam <sam@vendor.example>", True),
])
def test_another_address_to_write_to_is_a_redirect(monkeypatch, text, acted):
    # session 28 (training d19 "use the new address", bg cs el: suppressed): after a stop, a sentence that gives
    # another address to write to makes it a redirect, which waits for a person
    r = _read_sure(monkeypatch, text, "opt_out", 0.9)
    assert _acted_as_opt_out(r) == acted, r.why


@pytest.mark.parametrize("text, acted", [
    ("Hi Ivan,\n\nWere you at FER too, class of 2009? Small world. Still in touch with Prof. Matić?\n\nDario\n\n"
     "P.S. As for the training: we are not interested, so please don't send these emails any more.", True),
    ("Hi Ivan,\n\nHow was the fair in Zagreb? Busy?\n\nDario\n\nPS: not interested, please don't write again.", True),
    ("Do you have a price list for 50 seats? Not interested in the demo though.", False),  # no P.S.: it qualifies
    ("Hi Ivan,\n\nSmall world! Still in touch with Prof. Matić?\n\nP.S. No thanks. But send me the prices.", False),
])
def test_a_postscript_is_not_qualified_by_the_letters_questions(monkeypatch, text, acted):
    # session 28 (training d19 "refusal in a P.S. after small talk", hr): a question of small talk in the letter
    # had held back the refusal said after it, in a P.S.; the P.S.'s own words still qualify it
    r = _read_sure(monkeypatch, text, "opt_out", 0.9)
    assert _acted_as_opt_out(r) == acted, r.why


@pytest.mark.parametrize("text, label, acted", [
    ("no thnaks not intrested pls dont emial agian\n\nSent from my iPhone", "opt_out", True),
    ("nie jestem zaintersowny prosze nie psiac wiecej do mnie, dzieki", "opt_out", True),
    ("no thnaks not intrested pls dont emial agian", "human", False),  # the model does not read it so: no guess
    ("Dobry den, jsem na rodicovske do brezna. Napiste mi prosim pak znovu", "opt_out", False),  # never into "nepište"
])
def test_a_hurried_phone_replys_typos(monkeypatch, text, label, acted):
    # session 28 (training d19 "typo-ridden phone reply", en pl mt; d6, d8): words one typo from the lexicon's
    # are read as them, in a language the detector proposed, and only where the model reads the same
    r = _read_sure(monkeypatch, text, label, 0.9)
    assert _acted_as_opt_out(r) == acted, r.why
    if not acted:
        assert r.kind == "human" and r.confidence < REVIEW_THRESHOLD, r.why


def test_an_invoicing_product_named_is_not_goods(monkeypatch):
    # session 28 (a helper's gap report): "invoice" further on than the verb's object is the topic, not the thing sent
    r = _read_sure(monkeypatch, "Please stop writing to me about your invoice automation tool.", "opt_out", 0.9)
    assert _acted_as_opt_out(r), r.why
