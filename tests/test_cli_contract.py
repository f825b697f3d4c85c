"""The commands and JSON that scripts rely on (../shared/cli-contract.md), run as a real process."""

from __future__ import annotations

import json

from conftest import write_csv

INIT = ["init", "--company", "Acme Tools Ltd", "--sender-name", "Sam", "--sender-email",
        "sam@acme-tools.example", "--postal-address", "1 Main St, Bristol, UK"]


def test_import_contract(cli, tmp_path):
    assert cli(*INIT).returncode == 0
    f = write_csv(tmp_path / "p.csv",
                  "email,first_name,company,phone\nana@acme.example,Ana,Acme,+1 555 0100\nnot-an-address,Bob,Bobco,\n")
    r = cli("import", str(f), "--list", "demo", "--source", "company website",
            "--justification", "head of operations at a logistics firm", "--json")
    assert r.returncode == 1, r.stderr  # one row rejected
    data = json.loads(r.stdout)
    assert data == {
        "imported": 1, "updated": 0, "duplicates": 0, "suppressed": 0,
        "rejected": [{"row": 3, "reason": data["rejected"][0]["reason"]}], "dropped_columns": ["phone"],
    }
    assert "@-sign" in data["rejected"][0]["reason"]
    r = cli("import", str(f), "--list", "demo", "--source", "s", "--justification", "j", "--json")
    assert json.loads(r.stdout)["updated"] == 1

    show = cli("contacts", "show", "ANA@acme.example", "--json")
    assert show.returncode == 0
    contact = json.loads(show.stdout)
    for key in ("email", "first_name", "last_name", "company", "role", "country", "list", "source",
                "source_url", "justification", "collected_at", "collected_by", "suppressed",
                "messages", "requests"):
        assert key in contact, key
    assert contact["suppressed"] is False and contact["list"] == "demo"
    assert "+00:00" in contact["collected_at"]
    missing = cli("contacts", "show", "nobody@acme.example", "--json")
    assert missing.returncode == 2 and "nobody@acme.example" in missing.stderr


def test_unusable_input_exits_2_without_traceback(cli, tmp_path):
    cli(*INIT)
    for args in (
        ["import", str(tmp_path / "missing.csv"), "--list", "l", "--source", "s", "--justification", "j"],
        ["import", str(write_csv(tmp_path / "e.csv", "")), "--list", "l"],
        ["import", str(write_csv(tmp_path / "n.csv", "name\nAna\n")), "--list", "l"],
        ["suppression", "add", "not-an-email", "--reason", "x"],
        ["suppression", "check", "nope"],
        ["where", "a@@b"],
        ["requests", "open", "a@b.example", "--kind", "gossip"],
        ["init", "--sender-email", "broken"],
    ):
        r = cli(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and r.stderr.startswith("coldmail: "), (args, r.stderr)


def test_suppression_where_erase_requests_contract(cli, tmp_path):
    cli(*INIT)
    f = write_csv(tmp_path / "p.csv", "email,first_name\nana@acme.example,Ana\n")
    cli("import", str(f), "--list", "demo", "--source", "conference", "--justification", "speaker")
    r = cli("suppression", "add", "@spam.example", "--reason", "complaint")
    assert r.returncode == 0
    chk = json.loads(cli("suppression", "check", "x@sub.spam.example", "--json").stdout)
    assert chk["suppressed"] is True and chk["reason"] == "complaint" and "+00:00" in chk["since"]
    clean = cli("suppression", "check", "x@fine.example", "--json")
    assert clean.returncode == 0 and json.loads(clean.stdout) == {"suppressed": False, "reason": None, "since": None}

    w = json.loads(cli("where", "ana@acme.example", "--json").stdout)
    assert w["source"] == "conference" and w["justification"] == "speaker" and "text" in w
    text = cli("where", "ana@acme.example").stdout
    assert "conference" in text and "supervisory authority" in text

    er = cli("erase", "ana@acme.example", "--json")
    assert er.returncode == 0 and json.loads(er.stdout)["erased"] is True
    listed = json.loads(cli("suppression", "list", "--json").stdout)
    assert {tuple(sorted(e)) for e in listed} == {("domain", "email", "fingerprint", "reason", "since")}
    erased = [e for e in listed if e["reason"] == "erasure"]
    assert erased and erased[0]["email"] is None and len(erased[0]["fingerprint"]) == 64
    w2 = json.loads(cli("where", "ana@acme.example", "--json").stdout)
    assert w2["held"] is False and w2["only_fingerprint"] is True

    cli("requests", "open", "b@acme.example", "--kind", "access", "--received", "2026-01-31")
    reqs = json.loads(cli("requests", "list", "--json").stdout)
    assert reqs == [{"id": 1, "email": "b@acme.example", "kind": "access", "status": "open",
                     "received_at": "2026-01-31T00:00:00+00:00", "due_at": "2026-02-28T00:00:00+00:00"}]
    assert json.loads(cli("requests", "list", "--open", "--json").stdout) == reqs

    audit = cli("audit", "verify", "--json")
    assert audit.returncode == 0 and json.loads(audit.stdout)["ok"] is True


def test_init_reruns_update_the_identity(cli, home):
    assert cli(*INIT).returncode == 0
    r = cli("init", "--privacy-url", "https://acme-tools.example/privacy", "--country", "United Kingdom")
    assert r.returncode == 0
    import tomllib

    cfg = tomllib.loads((home / "coldmail.toml").read_text())["controller"]
    assert cfg["company"] == "Acme Tools Ltd" and cfg["privacy_url"].endswith("/privacy") and cfg["country"] == "GB"
    first = cli("init", "--company", "X")
    assert first.returncode == 0


def test_campaign_create_and_send_contract(cli, tmp_path):
    """`campaign create` warns while the list's legitimate-interests assessment is incomplete (the
    contract's import cannot record one, so it warns rather than refuses); `send --dry-run --json`
    prints exactly the contract's keys and writes one .eml per message."""
    cli(*INIT)
    f = write_csv(tmp_path / "p.csv", "email,first_name,company,country\n"
                                      "ana@acme.example,Ana,Acme,GB\nbo@bobco.example,Bo,Bobco,GB\n")
    assert cli("import", str(f), "--list", "fair", "--source", "event attendee list",
               "--justification", "runs logistics at a firm we serve").returncode == 0
    r = cli("campaign", "create", "spring", "--list", "fair", "--template", "first_touch",
            "--follow-up", "follow_up_1:4")
    assert r.returncode == 0, r.stderr
    assert ("warning: list 'fair' has no complete legitimate-interests assessment "
            "(missing: interest, necessity, balancing)") in r.stderr
    assert "coldmail lists lia fair" in r.stderr

    assert cli("lists", "lia", "fair", "--purpose", "selling route planning to logistics firms").returncode == 1
    r = cli("campaign", "create", "summer", "--list", "fair", "--template", "first_touch")
    assert "(missing: necessity, balancing)" in r.stderr
    assert cli("lists", "lia", "fair", "--necessity", "email is how these buyers are reached",
               "--balancing", "work addresses, role-relevant, one-word opt-out").returncode == 0

    out = tmp_path / "out"
    r = cli("send", "spring", "--dry-run", str(out), "--now", "2026-11-24T10:00:00+00:00", "--json")
    assert r.returncode == 0, r.stderr
    assert "legitimate-interests" not in r.stderr
    data = json.loads(r.stdout)
    contract = {k: data[k] for k in ("sent", "skipped_suppressed", "deferred", "failed")}
    # The second message waits for the spacing between messages from one mailbox.
    assert contract == {"sent": 1, "skipped_suppressed": 0, "deferred": 1, "failed": 0}, data
    assert len(list(out.glob("*.eml"))) == 1
