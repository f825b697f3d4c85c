"""Campaign variables (`campaign create --var topic=…`): stored on the campaign, in every email it
sends (escaped in HTML, harmless in the subject), checked at create, listed by `templates check`."""

from __future__ import annotations

import asyncio
import email
from datetime import UTC, datetime
from email import policy

import pytest
import sqlalchemy as sa

from coldmail.errors import BadInput, TemplateProblem
from coldmail.mail import lint
from coldmail.mail.rendering import compose_for
from coldmail.outreach import campaigns, variables
from coldmail.outreach.sending import send_campaign
from coldmail.prospects.importing import import_csv
from coldmail.store import db
from coldmail.store.config import Sending, save_config
from conftest import write_csv

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
HANA = "hana@freightly.example"
NASTY = 'plan routes in <b>minutes</b> & "less"'


@pytest.fixture
def shop(ws, tmp_path):
    f = write_csv(tmp_path / "p.csv", "email,first_name,company,role,country\n"
                  f"{HANA},Hana,Freightly,Head of Operations,GB\n")
    import_csv(ws, path=f, list_name="ops", source="company website (team page)",
               justification="Leads operations at a firm that matches our customer profile")
    ws.config.sending = Sending.unpaced()
    save_config(ws.home, ws.config)
    return ws


def template(ws, name: str, text: str, html: str | None = None) -> None:
    folder = ws.home / "templates" / "email"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt.j2").write_text(text, encoding="utf-8")
    if html is not None:
        (folder / f"{name}.html.j2").write_text(html, encoding="utf-8")


PITCH = ("Subject: {{ topic | capitalize }} at {{ company | default('your team') }}\n"
         "Hi {{ first_name | default('there') }}, we help teams {{ value_proposition }}.\n"
         "{% if event is defined %}We met at {{ event }}.{% endif %}\n")


def parts(raw: bytes) -> tuple[email.message.EmailMessage, str, str]:
    msg = email.message_from_bytes(raw, policy=policy.default)
    return msg, msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


# ---------------------------------------------------------------- the vars reach the email


def test_a_campaigns_vars_reach_the_sent_email_text_and_escaped_html(shop, tmp_path):
    template(shop, "pitch", PITCH, "<p>We help teams {{ value_proposition }} ({{ topic }}, {{ campaign }}).</p>\n")
    view = campaigns.create(shop, name="q1", list_name="ops", template="pitch",
                            variables={"topic": "route planning", "value_proposition": NASTY, "event": "Logimat"})
    assert view.variables == {"event": "Logimat", "topic": "route planning", "value_proposition": NASTY}
    assert campaigns.get(shop, "q1").to_json()["vars"]["topic"] == "route planning"
    out = tmp_path / "dry"
    summary = asyncio.run(send_campaign(shop, name="q1", dry_run_dir=out, now=MONDAY_10))
    assert summary.sent == 1, summary.details()
    msg, text, html = parts(next(out.glob("*.eml")).read_bytes())
    assert msg["Subject"] == "Route planning at Freightly"
    assert f"we help teams {NASTY}." in text and "We met at Logimat." in text
    assert "plan routes in &lt;b&gt;minutes&lt;/b&gt; &amp; &#34;less&#34; (route planning, q1)" in html
    assert "<b>minutes</b>" not in html


def test_without_an_html_template_the_vars_are_escaped_in_the_html_made_from_the_text(shop, tmp_path):
    template(shop, "pitch", PITCH)
    campaigns.create(shop, name="q1", list_name="ops", template="pitch",
                     variables={"topic": "routes", "value_proposition": NASTY})
    _, text, html = parts(compose_for(shop, template="pitch", email=HANA,
                                      extra=campaigns.campaign_context(shop, "q1")).raw)
    assert NASTY in text
    assert "&lt;b&gt;minutes&lt;/b&gt; &amp;" in html and "<b>minutes" not in html


def test_a_var_in_the_subject_cannot_add_a_header(shop):
    # --var refuses line breaks; even a value that got past it (an old row, an API caller) stays one header.
    template(shop, "pitch", PITCH)
    composed = compose_for(shop, template="pitch", email=HANA,
                           extra={"topic": "routes\r\nBcc: victim@example.com", "value_proposition": "x"})
    msg, text, _ = parts(composed.raw)
    assert msg["Bcc"] is None and b"\nBcc:" not in composed.raw.split(b"\r\n\r\n", 1)[0]
    assert msg["Subject"] == "Routes bcc: victim@example.com at Freightly"  # one line, all of it the subject
    assert text.startswith("Hi Hana, we help teams x.")


def test_the_campaign_name_is_set_for_its_templates(shop, tmp_path):
    template(shop, "named", "Subject: Hello\nCampaign {{ campaign | default('none') }}.\n")
    campaigns.create(shop, name="spring", list_name="ops", template="named")
    summary = asyncio.run(send_campaign(shop, name="spring", dry_run_dir=tmp_path / "dry", now=MONDAY_10))
    assert summary.sent == 1
    assert "Campaign spring." in parts(next((tmp_path / "dry").glob("*.eml")).read_bytes())[1]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(("spec", "says"), [
    ("topic", "should be NAME=VALUE"),
    ("=x", "should be NAME=VALUE"),
    ("1topic=x", "'1topic' is not a variable name"),
    ("top-ic=x", "'top-ic' is not a variable name"),
    ("company=ACME", "'company' is a contact field"),
    ("email=a@b.example", "'email' is a contact field"),
    ("sender_name=Bob", "'sender_name' comes from `coldmail init`"),
    ("campaign=x", "'campaign' is reserved"),
    ("range=x", "'range' is reserved"),
    ("topic=", "the value is empty"),
    ("topic=a\nBcc: x@y.example", "no line breaks"),
])
def test_a_bad_var_is_refused_naming_it(spec, says):
    with pytest.raises(BadInput, match=says):
        variables.parse_var(spec)


def test_parse_vars_keeps_equals_signs_in_values_and_refuses_a_name_twice():
    assert variables.parse_vars(["formula=a=b", " topic = routes "]) == {"formula": "a=b", "topic": "routes"}
    with pytest.raises(BadInput, match="--var topic is given twice"):
        variables.parse_vars(["topic=a", "topic=b"])


def test_create_checks_variables_given_by_a_caller_too(shop):
    with pytest.raises(BadInput, match="'first_name' is a contact field"):
        campaigns.create(shop, name="q1", list_name="ops", template="first_touch", variables={"first_name": "x"})


@pytest.mark.parametrize(("args", "says"), [
    (["--var", "topic"], "--var 'topic' should be NAME=VALUE"),
    (["--var", "company=ACME"], "'company' is a contact field"),
    (["--var", "2x=1"], "'2x' is not a variable name"),
])
def test_the_cli_refuses_a_bad_var_with_exit_2(shop, cli, args, says):
    r = cli("campaign", "create", "q1", "--list", "ops", "--template", "first_touch", *args)
    assert r.returncode == 2, r.stderr
    assert says in r.stderr and "Traceback" not in r.stderr
    assert cli("campaign", "list", "--json").stdout.strip() == "[]"


# ---------------------------------------------------------------- campaign create refuses what would not render


def test_create_refuses_a_template_needing_a_var_that_is_not_given(shop):
    template(shop, "pitch", PITCH)
    with pytest.raises(TemplateProblem) as caught:
        campaigns.create(shop, name="q1", list_name="ops", template="pitch", variables={"topic": "routes"})
    assert "'value_proposition'" in str(caught.value) and "--var value_proposition=…" in str(caught.value)
    assert "'topic'" not in str(caught.value) and "event" not in str(caught.value)  # given; guarded


def test_create_refuses_even_for_an_empty_list_and_in_a_follow_up(shop, tmp_path):
    # The sample render needs a contact; the variables check does not.
    import_csv(shop, path=write_csv(tmp_path / "e.csv", "email\n"), list_name="empty", source="x", justification="y")
    template(shop, "later", "Subject: Re: hello\n{{ topic }} again.\n")
    with pytest.raises(TemplateProblem, match=r"template 'later' uses campaign variable 'topic' .*--var topic=…"):
        campaigns.create(shop, name="q1", list_name="empty", template="first_touch", follow_ups=["later:3"])
    campaigns.create(shop, name="q1", list_name="empty", template="first_touch", follow_ups=["later:3"],
                     variables={"topic": "routes"})


def test_a_language_version_that_needs_a_var_is_refused_too(shop):
    template(shop, "hello", "Subject: Hello\nHi {{ topic | default('there') }}.\n")
    template(shop, "hello.fr", "Subject: Bonjour\nLanguage: fr\n{{ sujet }}.\n")
    with pytest.raises(TemplateProblem, match="'sujet'"):
        campaigns.create(shop, name="q1", list_name="ops", template="hello")


def test_a_variable_only_the_html_part_uses_is_required_too(shop):
    template(shop, "rich", "Subject: Hello\nHi.\n", "<p>Hi. {{ offer }}</p>\n")
    with pytest.raises(TemplateProblem, match="'offer' with no default: add --var offer=…"):
        campaigns.create(shop, name="q1", list_name="ops", template="rich")


def test_a_guarded_variable_is_optional(shop):
    template(shop, "guarded", "Subject: Hello\n{% if topic is defined %}About {{ topic }}.{% endif %}\n"
             "{{ value_proposition | default('We help.') }}\n")
    campaigns.create(shop, name="q1", list_name="ops", template="guarded")
    assert lint.campaign_variables("guarded", shop.home / "templates") == {"topic": False, "value_proposition": False}


def test_the_cli_refusal_names_the_var_to_add_and_exits_2(shop, cli):
    template(shop, "pitch", PITCH)
    r = cli("campaign", "create", "q1", "--list", "ops", "--template", "pitch")
    assert r.returncode == 2
    assert ("template 'pitch' uses campaign variables 'topic', 'value_proposition' with no default: "
            "add --var topic=… --var value_proposition=…") in r.stderr
    r = cli("campaign", "create", "q1", "--list", "ops", "--template", "pitch", "--var", "topic=route planning",
            "--var", "value_proposition=save time", "--var", "evnt=Logimat", "--json")
    assert r.returncode == 0, r.stderr
    assert "warning: --var evnt: none of the campaign's templates uses 'evnt'" in r.stderr
    import json

    assert json.loads(r.stdout)["vars"] == {"evnt": "Logimat", "topic": "route planning",
                                            "value_proposition": "save time"}


# ---------------------------------------------------------------- render


def test_render_uses_the_campaigns_vars_and_var_overrides_them(shop, cli):
    template(shop, "pitch", PITCH)
    campaigns.create(shop, name="q1", list_name="ops", template="pitch",
                     variables={"topic": "route planning", "value_proposition": "save time"})
    r = cli("render", "pitch", "--to", HANA, "--campaign", "q1", "--text")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Subject: Route planning at Freightly\n") and "we help teams save time." in r.stdout
    r = cli("render", "pitch", "--to", HANA, "--campaign", "q1", "--var", "topic=fleet costs", "--text")
    assert r.stdout.startswith("Subject: Fleet costs at Freightly\n")
    r = cli("render", "pitch", "--to", HANA, "--var", "topic=x", "--text")
    assert r.returncode == 2
    assert "'value_proposition' with no default: give --campaign NAME or --var value_proposition=…" in r.stderr
    r = cli("render", "pitch", "--to", HANA, "--var", "email=x", "--text")
    assert r.returncode == 2 and "'email' is a contact field" in r.stderr


# ---------------------------------------------------------------- templates check


def test_templates_check_lists_the_campaign_variables_each_template_needs(shop, cli):
    template(shop, "pitch", PITCH)
    r = cli("templates", "check", "pitch", "first_touch")
    assert r.returncode == 0, r.stdout + r.stderr
    pitch, first = r.stdout.split("first_touch:")
    assert "  needs: contact: company, first_name; campaign: event, topic, value_proposition\n" in pitch
    assert "  campaign create must give: --var topic=… --var value_proposition=…\n" in pitch
    assert "  optional (the template has a default): --var event=…\n" in pitch
    assert "warning: campaign variable 'topic' has no default" in pitch
    assert "event" not in pitch.split("optional")[1].split("\n", 1)[1]  # guarded: no warning
    assert "  optional (the template has a default): --var topic=… --var value_proposition=…\n" in first
    assert "must give" not in first


def test_lint_knows_jinjas_globals_and_catches_a_misspelt_field():
    src = ("Subject: Hi\n{% for i in range(2) %}{{ loop.index }}{% endfor %}{{ cycler('a').next() }}\n"
           "{{ frist_name | default('x') }} {{ own_thing }}\n")
    issues = {i.message: i.severity for i in lint.check_source("x.txt.j2", src)}
    assert issues.pop("undefined variable 'frist_name': did you mean 'first_name'?") == "error"
    [(message, severity)] = issues.items()
    assert message.startswith("undefined variable 'own_thing'") and "--var own_thing=…" in message
    assert severity == "warning"


# ---------------------------------------------------------------- migration


def test_migration_0009_upgrades_from_0008_and_downgrades(tmp_path):
    from alembic import command

    engine = db.make_engine(db.sqlite_url(tmp_path / "m.db"))
    cfg = db.alembic_config(engine)
    command.upgrade(cfg, "0008")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO lists (name, purpose, geography, industry, company_size, roles, lia_purpose,"
                             " lia_necessity, lia_balancing, lia_recorded_by, created_by, created_at) VALUES"
                             " ('ops', '', '', '', '', '', '', '', '', '', 't', '2026-11-23 10:00:00')"))
        conn.execute(sa.text("INSERT INTO campaigns (name, list_id, sender_email, status, pause_reason, created_by,"
                             " created_at) VALUES ('old', 1, 'a@b.example', 'active', '', 't', '2026-11-23 10:00:00')"))
    assert "campaign_vars" not in sa.inspect(engine).get_table_names()
    command.upgrade(cfg, "0009")
    assert db.current_revision(engine) == "0009"
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO campaign_vars (campaign_id, name, value) VALUES (1, 'topic', 'routes')"))
        assert conn.execute(sa.text("SELECT name, value FROM campaign_vars")).all() == [("topic", "routes")]
        with pytest.raises(sa.exc.IntegrityError):  # one value per name
            with conn.begin_nested():
                conn.execute(sa.text("INSERT INTO campaign_vars (campaign_id, name, value) VALUES (1, 'topic', 'x')"))
    command.downgrade(cfg, "0008")
    assert "campaign_vars" not in sa.inspect(engine).get_table_names()
    assert db.current_revision(engine) == "0008"
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM campaigns")).scalars().all() == ["old"]
    engine.dispose()
