"""Replies: real bounces and replies from other projects, multilingual opt-outs, effects, review."""

from __future__ import annotations

import email
import json
import mailbox
from datetime import date
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from coldmail.contacts.views import show_contact
from coldmail.mail.rendering import render_for
from coldmail.outreach import campaigns
from coldmail.privacy.requests import list_requests
from coldmail.replies.classify import REVIEW_THRESHOLD, classify, classify_text, new_text
from coldmail.replies.classify.autoreply import return_date
from coldmail.replies.ingest import import_paths
from coldmail.replies.review import list_replies, resolve
from coldmail.suppression import register as suppression
from test_sending import MONDAY_10, open_all_hours, run, seed

CORPORA = Path(__file__).parent / "corpora"  # copies, with their licences: tests/corpora/README.md
BOUNCES = sorted((CORPORA / "bounces-flufl").glob("*.txt"))
# Two files in the flufl set are not bounces by any signal the issue lists: qmail_08 carries
# "Precedence: auto_reply" (an auto-reply, never an opt-out) and groupwise_03 is a hotel clerk's
# forwarded answer. Both are read as what they are; neither suppresses anyone.
NOT_BOUNCES = {"qmail_08.txt": "auto_reply", "groupwise_03.txt": "human"}


def load(path: Path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


@pytest.mark.skipif(not BOUNCES, reason="tests/corpora/bounces-flufl is missing: restore it from git")
@pytest.mark.parametrize("path", BOUNCES, ids=lambda p: p.name)
def test_every_corpus_bounce_is_a_bounce(path):
    result = classify(load(path))
    if path.name in NOT_BOUNCES:
        assert result.kind == NOT_BOUNCES[path.name]
        return
    assert result.kind in ("bounce_hard", "bounce_soft"), result.why
    assert result.failed_recipients, "no failed recipient found"


@pytest.mark.parametrize("path", sorted((CORPORA / "replies-talon").glob("*.eml")), ids=lambda p: p.name)
def test_talon_replies_are_human_and_their_new_text_is_found(path):
    result = classify(load(path))
    assert result.kind == "human"
    assert result.new_text.strip()
    expected = path.with_name(path.stem + "_reply_text")
    if expected.exists():
        assert result.new_text.splitlines()[0].strip() == expected.read_text().splitlines()[0].strip()


CRISP = sorted((CORPORA / "replies-crisp").glob("*.txt"))
# Known misreadings, kept visible (strict: a fixed one fails until it is taken off this set). "The data
# comes From: our database, not From: external sources" (email_tricky_4) is read as a source request by
# the rules (SOURCE + OBTAIN + SELF=our, in a statement, not a question), a grammar fault to fix (a SOURCE
# noun in a statement about the writer's own database asks nothing); it waited for review only when the
# model said so: session 12's, 14's, 18's and 20's models sent it to review, session 13's, 15's, 17's and
# 21's (opt_out 0.50, human under the 0.42 veto) do not. Back on this set in session 21; off it again in
# session 24, whose model sends it to review (source 0.60). The grammar fault is still there.
CRISP_MISREAD: set[str] = set()


@pytest.mark.parametrize("path", CRISP, ids=lambda p: p.name)
def test_crisp_replies_never_read_as_opt_outs(path):
    result = classify_text(new_text(path.read_text(encoding="utf-8", errors="replace")))
    suppresses = result.kind == "opt_out" or (result.kind == "data_request" and (
        result.request == "erasure" or result.also_opt_out))
    assert not (suppresses and result.confidence >= REVIEW_THRESHOLD), result.why


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.xfail(strict=True, reason="known misreading"))
                                  if p.name in CRISP_MISREAD else p for p in CRISP], ids=lambda p: p.name)
def test_crisp_replies_are_people_or_wait_for_review(path):
    result = classify_text(new_text(path.read_text(encoding="utf-8", errors="replace")))
    assert result.kind == "human" or result.confidence < REVIEW_THRESHOLD, result.why


OPT_OUTS = {
    "en": "No thanks, please remove me.", "de": "Nein danke, kein Interesse.", "fr": "Non merci, ne me contactez plus.",
    "es": "No, gracias. No me interesa.", "it": "No grazie, non sono interessato.", "nl": "Nee bedankt, geen interesse.",
    "pl": "Nie, dziękuję. Proszę mnie usunąć.", "pt": "Não, obrigado. Não tenho interesse.", "sv": "Nej tack, inte intresserad.",
    "he": "לא תודה", "ar": "لا شكرا، غير مهتم", "lv": "Nē, paldies.", "ru": "Нет, спасибо, не интересно.",
    "zh": "不用了，谢谢", "ja": "結構です。配信停止してください。",
}
SOURCE_REQUESTS = {
    "en": "Where did you get my email address?", "de": "Woher haben Sie meine E-Mail-Adresse?",
    "fr": "Où avez-vous eu mon adresse ?", "es": "¿De dónde sacaron mi correo?", "it": "Dove avete preso il mio indirizzo?",
    "nl": "Waar heeft u mijn e-mailadres vandaan?", "pl": "Skąd macie mój adres?", "pt": "Onde conseguiu meu email?",
    "sv": "Var fick ni min e-post?", "he": "מאיפה השגתם את המייל שלי?", "ar": "من أين حصلت على بريدي؟",
    "lv": "Kur jūs ieguvāt manu e-pastu?", "ru": "Откуда у вас мой адрес?", "zh": "你从哪里得到我的邮箱？",
    "ja": "どこで私のメールアドレスを知ったのですか？",
}


@pytest.mark.parametrize("lang", sorted(OPT_OUTS))
def test_opt_outs_in_fifteen_languages(lang):
    assert classify_text(OPT_OUTS[lang]).kind == "opt_out"


@pytest.mark.parametrize("lang", sorted(SOURCE_REQUESTS))
def test_source_requests_in_fifteen_languages(lang):
    r = classify_text(SOURCE_REQUESTS[lang])
    assert (r.kind, r.request) == ("data_request", "source")


@pytest.mark.parametrize(
    ("text", "kind", "req"),
    [
        ("No problem, let's talk on Tuesday.", "human", None),
        ("No worries, send the deck.", "human", None),
        ("Not interested right now, maybe next quarter.", "human", None),
        ("Don't stop, this is useful!", "human", None),
        ("Kein Problem, schicken Sie mir die Unterlagen.", "human", None),
        ("Pas de problème, envoyez-moi la présentation.", "human", None),
        ("stop", "opt_out", None),
        ("What data do you hold on me?", "data_request", "access"),
        ("Please delete my data.", "data_request", "erasure"),
        ("Bitte löschen Sie meine Daten.", "data_request", "erasure"),
    ],
)
def test_negations_polite_positives_and_requests(text, kind, req):
    r = classify_text(text)
    assert (r.kind, r.request) == (kind, req)


def test_company_wide_opt_out():
    r = classify_text("Please don't contact anyone at our company again.")
    assert r.kind == "opt_out" and r.company_wide


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I am out of the office until 2 December and back on 3 December.", date(2026, 12, 3)),
        ("Ich bin bis zum 04.12.2026 nicht im Büro.", date(2026, 12, 4)),
        ("Back on 2026-12-07.", date(2026, 12, 7)),
        ("I'm away with limited access to email.", None),
    ],
)
def test_return_dates(text, expected):
    assert return_date(text, date(2026, 11, 23)) == expected


# ---------------------------------------------------------------- end to end


def reply_to(original: EmailMessage, text: str, *, style: str = "gmail", sender: str | None = None,
             subject: str | None = None, headers: dict | None = None) -> bytes:
    """A reply as real clients write them: our original quoted below the new text."""
    quoted = original.get_body(("plain",)).get_content()
    if style == "gmail":
        body = f"{text}\n\nOn Mon, 23 Nov 2026 at 10:00, Sam Carter <sam@acme-tools.example> wrote:\n" + "".join(
            f"> {line}\n" for line in quoted.splitlines())
    elif style == "outlook":  # Outlook does not mark the quote at all
        body = (f"{text}\n\n________________________________\nFrom: Sam Carter <sam@acme-tools.example>\n"
                f"Sent: Monday, November 23, 2026 10:00 AM\nTo: {original['To']}\nSubject: {original['Subject']}\n\n{quoted}")
    else:  # no quote header at all, original pasted below
        body = f"{text}\n\n{quoted}"
    msg = EmailMessage()
    msg["From"] = sender or str(original["To"])
    msg["To"] = "sam@acme-tools.example"
    msg["Subject"] = subject or "Re: " + str(original["Subject"])
    msg["Message-ID"] = f"<reply-{abs(hash((text, style, sender, subject)))}@client.example>"
    msg["In-Reply-To"] = original["Message-ID"]
    msg["Date"] = "Mon, 23 Nov 2026 11:00:00 +0000"
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    return msg.as_bytes()


@pytest.fixture
def sent(ws, tmp_path, smtp_server_url):
    open_all_hours(ws)
    emails = seed(ws, tmp_path, 8)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch", follow_ups=["follow_up_1:3"])
    run(ws, name="c1", smtp_url=smtp_server_url, now=MONDAY_10)
    return emails


@pytest.fixture
def smtp_server_url():
    from conftest import free_port
    from smtp_server import SmtpServer

    with SmtpServer(free_port()) as server:
        yield server.url


def original_for(ws, email_addr):
    from sqlalchemy import select

    from coldmail.store.db import session_scope
    from coldmail.store.models import Message

    msg = render_for(ws, template="first_touch", email=email_addr)
    with session_scope(ws.engine, write=False) as s:
        mid = s.execute(select(Message.message_id).where(Message.to_email == email_addr)).scalar_one()
    del msg["Message-ID"]
    msg["Message-ID"] = mid
    return msg


@pytest.mark.parametrize("style", ["gmail", "outlook", "pasted"])
def test_quoted_footer_never_suppresses_a_person_who_replies(ws, tmp_path, sent, style):
    original = original_for(ws, sent[0])
    assert "no thanks" in original.get_body(("plain",)).get_content()
    path = tmp_path / "r.eml"
    path.write_bytes(reply_to(original, "Sounds interesting, can we talk on Tuesday?", style=style))
    [r] = import_paths(ws, [path])
    if style == "pasted":  # no quote header: the pasted original's words may be read as the reply's; a person looks
        assert r.email == sent[0] and (r.kind, r.status) in (("human", "applied"), (r.kind, "review"))
    else:
        assert (r.kind, r.email, r.status) == ("human", sent[0], "applied")
    assert suppression.check(ws, sent[0]) is None
    assert show_contact(ws, sent[0]).status == "replied"
    # ... and no follow-up goes to someone who replied.
    assert run(ws, name="c1", smtp_url="smtp://127.0.0.1:9", now=MONDAY_10.replace(day=27)).sent == 0


def test_a_reply_waiting_for_review_holds_the_follow_ups_and_garbage_stops_nothing(ws, tmp_path, sent):
    """Words the reader cannot place wait for a person, and meanwhile nobody writes to their author
    again; a message with no readable text is not a person's reply and changes nothing."""
    unsure, garbage = (original_for(ws, e) for e in sent[:2])
    (tmp_path / "unsure.eml").write_bytes(reply_to(unsure, "Regarding the thing from before."))
    (tmp_path / "garbage.eml").write_bytes(reply_to(garbage, "\x00\x01\x02 \ufffd\ufffd\ufffd 123"))
    r1, r2 = import_paths(ws, [tmp_path / "unsure.eml", tmp_path / "garbage.eml"])
    assert (r1.status, r2.status) == ("review", "review")
    assert r1.why.startswith("no intent found") and r2.why.startswith("unreadable")
    assert "follow-ups stopped" in r1.action and "follow-ups stopped" not in r2.action
    assert show_contact(ws, sent[0]).status == "replied"
    assert show_contact(ws, sent[1]).status != "replied"
    assert suppression.check(ws, sent[0]) is None and suppression.check(ws, sent[1]) is None
    [view] = [v for v in list_replies(ws) if v.email == sent[0]]
    assert view.why == r1.why and view.language == "en"


def test_cli_import_of_eml_dir_mbox_and_maildir(ws, tmp_path, sent, cli):
    originals = [original_for(ws, e) for e in sent[:6]]
    d = tmp_path / "in"
    d.mkdir()
    (d / "optout.eml").write_bytes(reply_to(originals[0], "לא תודה"))
    (d / "where.eml").write_bytes(reply_to(originals[1], "Where did you get my email?"))
    box = mailbox.mbox(tmp_path / "box.mbox")
    box.add(reply_to(originals[2], "I'm out of the office until 2026-12-07.", subject="Automatic reply: hello",
                     headers={"Auto-Submitted": "auto-replied"}))
    box.add(reply_to(originals[3], "Happy to talk, call me Thursday."))
    box.flush()
    md = mailbox.Maildir(tmp_path / "md")
    md.add(reply_to(originals[4], "Please delete my data."))
    md.add(reply_to(originals[5], "Not interested, and please don't contact anyone at our company."))
    bounce = EmailMessage()
    bounce["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example>"
    bounce["To"] = "sam@acme-tools.example"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = "<bounce-1@mx.example>"
    bounce.set_content(f"This is the mail system.\n\n<{sent[6]}>: host mx.example said: 550 5.1.1 User unknown\n")
    (d / "bounce.eml").write_bytes(bounce.as_bytes())
    (d / "empty.eml").write_bytes(b"")
    out = cli("replies", "import", str(d), str(tmp_path / "box.mbox"), str(tmp_path / "md"), "--json")
    assert out.returncode == 1, out.stderr  # the empty file is reported
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    by_email = {x["email"]: x for x in lines if x["email"]}
    assert {k for x in lines for k in x} >= {"path", "email", "kind", "request", "action"}
    assert by_email[sent[0]]["kind"] == "opt_out"
    assert (by_email[sent[1]]["kind"], by_email[sent[1]]["request"]) == ("data_request", "source")
    assert by_email[sent[2]]["kind"] == "auto_reply" and "2026-12-07" in by_email[sent[2]]["action"]
    assert by_email[sent[3]]["kind"] == "human"
    assert (by_email[sent[4]]["kind"], by_email[sent[4]]["request"]) == ("data_request", "erasure")
    assert by_email[sent[5]]["kind"] == "opt_out"
    assert by_email[sent[6]]["kind"] == "bounce_hard"
    assert any("empty" in x.get("error", "") for x in lines)
    # Effects.
    assert suppression.check(ws, sent[0]).reason == "opt-out"
    assert suppression.check(ws, sent[4]).reason == "erasure request"
    assert suppression.check(ws, "someone.else@" + sent[5].split("@")[1]) is not None  # whole company
    assert suppression.check(ws, sent[6]).reason == "bounce"
    assert suppression.check(ws, sent[2]) is None and suppression.check(ws, sent[3]) is None
    kinds = {(r["email"], r["kind"]) for r in list_requests(ws)}
    assert kinds == {(sent[1], "source"), (sent[4], "erasure")}
    # Importing the same messages again changes nothing.
    again = cli("replies", "import", str(d), str(tmp_path / "box.mbox"), str(tmp_path / "md"), "--json")
    assert all(json.loads(x)["action"] in ("already imported", "not read") for x in again.stdout.splitlines())
    assert len(list_requests(ws)) == 2


def test_malformed_mail_is_reported_per_file_and_never_raises(ws, tmp_path):
    d = tmp_path / "bad"
    d.mkdir()
    (d / "zero.eml").write_bytes(b"")
    (d / "garbage.eml").write_bytes(bytes(range(256)) * 40)
    (d / "noheaders.eml").write_bytes(b"just some text\nwith no headers at all\n")
    (d / "broken-mime.eml").write_bytes(
        b"From: a@b.example\nContent-Type: multipart/mixed; boundary=\"nope\"\n\n--other\nContent-Type: text/plain\n\nhi\n")
    (d / "charset.eml").write_bytes(
        b"From: a@b.example\nContent-Type: text/plain; charset=x-unknown-9\nSubject: =?x-bad?q?zz?=\n\n\xff\xfe no thanks\n")
    big = EmailMessage()
    big["From"] = "a@b.example"
    big["Subject"] = "big"
    big.set_content("See attached.")
    big.add_attachment(b"\0" * (50 * 1024 * 1024), maintype="application", subtype="octet-stream", filename="big.bin")
    (d / "big.eml").write_bytes(big.as_bytes())
    results = import_paths(ws, [d, tmp_path / "missing.eml"])
    assert len(results) == 7
    assert {r.path.rsplit("/", 1)[-1] for r in results if r.status == "error"} == {"zero.eml", "big.eml", "missing.eml"}
    charset = next(r for r in results if r.path.endswith("charset.eml"))
    assert charset.kind in ("opt_out", "human")  # read, whatever it says


def test_review_queue_and_undo(ws, tmp_path, sent):
    original = original_for(ws, sent[0])
    # an outright opt-out beside a deferral: neither wins, and a person looks
    unsure = "Not this year, maybe again in spring. Remove me from your list for now."
    path = tmp_path / "r.eml"
    path.write_bytes(reply_to(original, unsure))
    [r] = import_paths(ws, [path])
    assert r.status == "review" and suppression.check(ws, sent[0]) is None
    [item] = list_replies(ws, status="review")
    view = resolve(ws, item.id, as_kind="opt_out", note="read it: a clear no")
    assert view.status == "applied" and suppression.check(ws, sent[0]).reason == "opt-out"
    suppression.undo(ws, sent[0], reason="misread: they meant another product")
    assert suppression.check(ws, sent[0]) is None
    from coldmail import audit
    from coldmail.store.db import session_scope

    with session_scope(ws.engine, write=False) as s:
        assert audit.verify(s).ok
        actions = [e.action for e in audit.entries_for(s, subject=f"fp:{suppression.fingerprint(ws.fingerprint_key, sent[0])}")]
    assert "reply.review" in actions and "suppression.undo" in actions


def test_imap_reads_only_new_messages(ws, tmp_path, sent, monkeypatch):
    import os
    import shutil

    from conftest import free_port
    from imap_server import Dovecot

    if not shutil.which("dovecot"):
        if os.environ.get("CI"):
            pytest.fail("dovecot is not installed; .ci/run installs dovecot-imapd")
        pytest.skip("dovecot not installed: apt-get install dovecot-imapd")
    from coldmail.replies.imap import import_imap
    from coldmail.store.config import Imap, save_config

    with Dovecot(free_port()) as server:
        ws.config.imap["sales"] = Imap(host="127.0.0.1", port=server.port, security="none", user="sam",
                                       password_env="TEST_IMAP_PASSWORD")
        save_config(ws.home, ws.config)
        monkeypatch.setenv("TEST_IMAP_PASSWORD", "secret")
        server.append(reply_to(original_for(ws, sent[0]), "No thanks."))
        server.append(reply_to(original_for(ws, sent[1]), "Sounds good, call me."))
        first = import_imap(ws, "sales")
        assert [(r.email, r.kind) for r in first] == [(sent[0], "opt_out"), (sent[1], "human")]
        assert all("UID=" in r.path for r in first)
        assert import_imap(ws, "sales") == []  # nothing new
        server.append(reply_to(original_for(ws, sent[2]), "Where did you get my email?"))
        [third] = import_imap(ws, "sales")
        assert (third.email, third.kind, third.request) == (sent[2], "data_request", "source")
        assert suppression.check(ws, sent[0]).reason == "opt-out"
        server.append(reply_to(original_for(ws, sent[3]), "לא תודה"))
        import subprocess
        import sys

        out = subprocess.run([sys.executable, "-m", "coldmail", "replies", "import", "--imap", "sales", "--json"],
                             capture_output=True, text=True, timeout=120, env={**os.environ})
        assert out.returncode == 0, out.stderr
        [line] = [json.loads(x) for x in out.stdout.splitlines()]
        assert (line["email"], line["kind"]) == (sent[3], "opt_out") and "UID=" in line["path"]
        monkeypatch.setenv("TEST_IMAP_PASSWORD", "wrong")
        with pytest.raises(ValueError, match="IMAP"):
            import_imap(ws, "sales")


def test_a_raw_utf8_subject_is_read_as_utf8():
    # RFC 6532 allows UTF-8 in headers, and many clients send it unencoded: the Inbox shows "tournées",
    # not replacement marks; a stray Latin-1 byte becomes one replacement mark, not a crash.
    import email

    from coldmail.replies.classify.text import header

    msg = email.message_from_bytes("Subject: Re: Planification de tournées\n\nnon merci\n".encode())
    assert header(msg, "Subject") == "Re: Planification de tournées"
    assert header(email.message_from_bytes(b"Subject: caf\xe9\n\nx"), "Subject") == "caf\ufffd"


@pytest.mark.parametrize("subject, ours, written", [
    ("Re: not interested - please stop", None, ""),  # behind "Re:" and ours unknown: taken as ours
    ("Re: not interested - please stop", ["Route planning for Acme"], "not interested - please stop"),
    ("AW: Re: Route planning for Acme - KEIN INTERESSE", ["Route planning for Acme"], "KEIN INTERESSE"),
    ("Re: Route planning for Acme", ["route planning  for acme"], ""),
    ("Re: Not interested in lower fuel costs?", ["Not interested in lower fuel costs?"], ""),
    ("Unsubscribe", None, "Unsubscribe"),
])
def test_the_subject_the_person_wrote(subject, ours, written):
    from coldmail.replies.classify import written_subject

    assert written_subject(subject, ours) == written


def test_a_changed_subject_over_an_empty_reply_is_read_but_waits_while_ours_is_unknown():
    import email

    from coldmail.replies.classify import classify

    msg = email.message_from_string("Subject: Re: not interested - please stop\n\n\nSent from my iPhone\n")
    r = classify(msg)
    assert r.kind == "opt_out" and r.confidence < REVIEW_THRESHOLD and "subject" in r.why, r.why
    r = classify(msg, ours=["Route planning for Acme"])
    assert r.kind == "opt_out" and r.confidence >= REVIEW_THRESHOLD, r.why


def test_a_refusal_written_only_in_the_subject_is_honoured(ws, tmp_path, sent):
    """'Re: <our subject> - not interested, stop writing' with nothing typed in the body: the subject we
    sent is known, so what the person added to it is theirs and is read; our own subject, left as it
    was over an empty reply, changes nothing."""
    refused, empty = (original_for(ws, e) for e in sent[:2])
    (tmp_path / "refused.eml").write_bytes(
        reply_to(refused, "", subject=f"Re: {refused['Subject']} - not interested, stop writing"))
    (tmp_path / "empty.eml").write_bytes(reply_to(empty, ""))
    r1, r2 = import_paths(ws, [tmp_path / "refused.eml", tmp_path / "empty.eml"])
    assert (r1.kind, r1.status) == ("opt_out", "applied") and "subject" in r1.why, r1.why
    assert suppression.check(ws, sent[0]) is not None
    assert r2.status == "review" and suppression.check(ws, sent[1]) is None


def test_a_chinese_clients_attribution_line_is_no_part_of_the_reply():
    # session 27 (a helper, training zh-d16-013, zh-d18-016, zh-d18-024): "写道：" with a full-width colon, right
    # after the time, was kept as the reply's last line, and the whole-line refusal above it was lost
    from coldmail.replies.classify import new_text

    reply = "不用了，谢谢。\n\n王伟 <wang@kehu.example> 于2025年3月4日周二 09:12写道：\n> 您好，王先生\n> 回复“不用了”即可\n"
    assert new_text(reply) == "不用了，谢谢。"


@pytest.mark.parametrize("text", [
    # an Outlook header block with nothing above it: the unquoted original below is ours, not a reply
    "\nOd: Petra Nováková <petra@routewise.example>\nOdesláno: pondělí 3. listopadu 2026 10:02\n"
    "Komu: info@pekarstvi.example\nPředmět: Plánování tras\n\nDobrý den, máte zájem o demo?\n",
    # an HTML reply's attribution line whose blockquote was dropped
    "\nV pon., 3. nov. 2026 ob 10:02 je oseba Ana Kovač <ana.kovac@routewise.example> napisala:\n",
])
def test_a_reply_with_nothing_above_the_quote_has_no_new_text(text):
    from coldmail.replies.classify import new_text

    assert new_text(text) == ""
