"""How long a command takes as a user runs it: a new process each time, best of N runs (the
machine is shared, so the best run is the one least disturbed), beside `python -c pass`.

    .venv/bin/python benchmarks/bench_startup.py [--runs 7] [--home DIR]

Builds a demo workspace (`coldmail demo --no-tui`) unless --home names one, then times `--help`,
`suppression check`, `where` and `contacts show`. Issue 20 asks for at most 0.2 s each."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COLDMAIL = str(BIN / "coldmail")
WHO = "olivia.smith@gone-logistics.example"  # in the demo: sent to, then a hard bounce
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "coldmail --help": [COLDMAIL, "--help"],
    "coldmail suppression check": [COLDMAIL, "suppression", "check", WHO],
    "coldmail where": [COLDMAIL, "where", WHO],
    "coldmail contacts show": [COLDMAIL, "contacts", "show", WHO],
}
LIMIT = 0.2


def best_of(argv: list[str], runs: int, env: dict) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        took = time.perf_counter() - start
        if done.returncode:
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()}")
        best = min(best, took)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--home", type=Path)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="coldmail-bench-")) / "demo"
    env = {**os.environ, "COLDMAIL_HOME": str(home)}
    env.pop("COLDMAIL_DATABASE_URL", None)
    if not (home / "coldmail.db").exists():
        subprocess.run([COLDMAIL, "demo", "--no-tui", "--home", str(home)], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"best of {args.runs} runs, a new process each; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    for name, argv in COMMANDS.items():
        took = best_of(argv, args.runs, env)
        verdict = "" if name.startswith("python") else ("  ok" if took <= LIMIT else f"  over {LIMIT} s")
        print(f"{name:30} {took:6.3f} s{verdict}")


if __name__ == "__main__":
    main()
