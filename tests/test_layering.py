"""The layering rules, checked twice: at run time (a subprocess imports every non-TUI module and
textual must not be loaded) and statically (import-linter's contracts in pyproject.toml). Plus the
size rule: no module over 400 lines, so each file keeps to one question."""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import coldmail

SRC = Path(coldmail.__file__).parent
MAX_LINES = 400


def test_core_modules_do_not_import_textual():
    names = [
        m.name
        for m in pkgutil.walk_packages(coldmail.__path__, "coldmail.")
        if not m.name.startswith(("coldmail.tui", "coldmail.store.migrations", "coldmail.__main__"))
    ]
    assert "coldmail.cli" in names and "coldmail.prospects.importing" in names
    code = (
        "import importlib, sys\n"
        f"for n in {names!r}: importlib.import_module(n)\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_import_linter_contracts_hold():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.fail("import-linter is not installed: pip install -e '.[test]'")
    root = SRC.parents[1]
    out = subprocess.run([lint], cwd=root, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "broken" in out.stdout and " 0 broken" in out.stdout


def test_no_module_is_over_400_lines():
    too_long = {
        str(p.relative_to(SRC)): n
        for p in SRC.rglob("*.py")
        if "migrations" not in p.parts and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, f"split these modules (one question each): {too_long}"


def test_every_package_says_what_lives_there():
    missing = [str(p.relative_to(SRC)) for p in SRC.rglob("__init__.py")
               if "migrations" not in p.parts and not p.read_text(encoding="utf-8").lstrip().startswith('"""')]
    assert not missing, missing
