"""`coldmail verify` names the addresses behind its flags (issue 20). The DNS answers come from the
tests' own server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json

from coldmail.deliverability.checks import verify
from coldmail.prospects.importing import import_csv
from conftest import write_csv
from test_deliverability import dns  # noqa: F401 - the fixture

ADDRESSES = ["info@good.example", "ana@good.example", "sales@aonly.example", "bob@gmail.com", "e@nullmx.example"]


def _import(ws, tmp_path):
    f = write_csv(tmp_path / "v.csv", "email\n" + "".join(a + "\n" for a in ADDRESSES))
    import_csv(ws, path=f, list_name="v", source="company website", justification="ops lead")


def test_the_result_holds_the_flagged_addresses(ws, tmp_path, dns):  # noqa: F811
    _import(ws, tmp_path)
    result = asyncio.run(verify(ws))
    assert dict(result.flagged) == {"role": 2, "free-mail": 1}
    assert result.flagged_addresses == {"role": ["info@good.example", "sales@aonly.example"],
                                        "free-mail": ["bob@gmail.com"]}


def test_the_cli_names_each_flagged_address_and_keeps_its_json_keys(ws, cli, tmp_path, dns):  # noqa: F811
    _import(ws, tmp_path)
    done = cli("verify")
    assert done.returncode == 0, done.stderr
    lines = set(done.stdout.splitlines())
    assert {"role\tinfo@good.example", "role\tsales@aonly.example", "free-mail\tbob@gmail.com",
            "undeliverable\te@nullmx.example"} <= lines
    assert "ana@good.example" not in done.stdout
    assert "Flags: free-mail 1, role 2" in done.stderr
    data = json.loads(cli("verify", "--json").stdout)
    assert {"contacts", "domains", "looked_up", "by_status", "flags", "undeliverable"} <= set(data)
    assert data["flags"] == {"role": 2, "free-mail": 1}
    assert data["flagged"] == {"free-mail": ["bob@gmail.com"], "role": ["info@good.example", "sales@aonly.example"]}


def test_verify_audits_no_address(ws, tmp_path, dns):  # noqa: F811
    from sqlalchemy import select

    from coldmail.store.db import session_scope
    from coldmail.store.models import AuditEntry

    _import(ws, tmp_path)
    asyncio.run(verify(ws))
    with session_scope(ws.engine, write=False) as s:
        entries = [repr(e.model_dump()) for e in s.execute(select(AuditEntry)).scalars()]
    assert entries and not any(a in e for e in entries for a in ADDRESSES)

