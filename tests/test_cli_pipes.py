"""`coldmail … | head`: a reader that closes stdout early ends the command quietly, not as a bug."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest


def run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess:
    """Run coldmail with a stdout whose reader has already gone, so its first write meets EPIPE."""
    proc = subprocess.Popen([sys.executable, "-m", "coldmail", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ))
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", stderr)


def test_help_into_a_closed_pipe_is_quiet(home):
    r = run_into_closed_pipe("--help")
    assert r.stderr == ""
    assert r.returncode in (0, 1)  # typer prints help itself and ends a broken pipe with 1; never 3


@pytest.mark.parametrize("args", [("suppression", "list"), ("suppression", "list", "--json"), ("templates", "list")])
def test_command_output_into_a_closed_pipe_is_quiet(cli, home, args):
    for i in range(3):
        assert cli("suppression", "add", f"person{i}@firm{i}.example", "--reason", "opt-out").returncode == 0
    r = run_into_closed_pipe(*args)
    assert r.stderr == "", r.stderr
    assert r.returncode == 0
    assert not (home / "coldmail.log").exists()


def test_head_reads_one_line(cli, home):
    for i in range(3):
        cli("suppression", "add", f"person{i}@firm{i}.example", "--reason", "opt-out")
    r = subprocess.run(f"{shlex.quote(sys.executable)} -m coldmail suppression list | head -1", shell=True,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.count("\n") == 1 and "opt-out" in r.stdout

