"""The CLI package stays thin and light: `coldmail --help` loads no database, template or UI code,
and commands print only through the helpers that know a closed pipe from a bug."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import coldmail.cli

HEAVY = ("sqlmodel", "sqlalchemy", "alembic", "textual", "jinja2", "pydantic", "aiosmtplib", "dns", "email_validator")


def test_importing_the_cli_loads_no_service_or_heavy_module():
    code = (
        "import sys, coldmail.cli.root\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in " + repr(HEAVY) + "))\n"
        "print(sorted(m for m in sys.modules if m.startswith('coldmail.') and not m.startswith('coldmail.cli')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["[]", "['coldmail.errors']"]


def test_commands_print_through_the_helpers_that_know_a_closed_pipe():
    """Only `_common` writes to stdout (echo, write, out_json), so a broken pipe anywhere else, an
    SMTP socket's, is still reported as the bug it is."""
    folder = Path(coldmail.cli.__file__).parent
    for path in folder.glob("*.py"):
        if path.name in ("_common.py", "root.py"):  # root.py: typer's own --version
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"typer\.echo|sys\.stdout|(?<![.\w])print\(", text), path.name
