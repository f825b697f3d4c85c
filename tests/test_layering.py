"""Only coldmail.tui imports textual: the CLI and scripts stay light and UI-free."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import coldmail


def test_core_modules_do_not_import_textual():
    names = [
        m.name
        for m in pkgutil.walk_packages(coldmail.__path__, "coldmail.")
        if not m.name.startswith(("coldmail.tui", "coldmail.store.migrations", "coldmail.__main__"))
    ]
    assert "coldmail.cli.app" in names and "coldmail.prospects.importing" in names
    code = (
        "import importlib, sys\n"
        f"for n in {names!r}: importlib.import_module(n)\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
