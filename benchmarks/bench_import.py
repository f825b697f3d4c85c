"""CSV import against sqlite3's own `.import` of the same file, and peak memory at 1M rows.

    python benchmarks/bench_import.py [--rows 100000] [--memory-rows 1000000]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import record, tempdir, timed, workspace, write_prospects  # noqa: E402

CHILD = """
import sys, resource, time
sys.path.insert(0, {bench!r})
from _common import workspace
from coldmail.prospects.importing import import_csv
from pathlib import Path
ws = workspace(Path({home!r}))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
r = import_csv(ws, path=Path({csv!r}), list_name="bench")
assert r.imported == sum(1 for _ in open({csv!r})) - 1, (r.to_json() | {{"rejected": r.rejected[:5]}})
print(r.imported, time.perf_counter() - t, base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""

RUNS = 5


def sqlite_cli_import(csv: Path, db: Path) -> float:
    script = (
        "CREATE TABLE contacts(email TEXT UNIQUE, first_name TEXT, last_name TEXT, company TEXT, role TEXT,"
        " country TEXT, source TEXT, justification TEXT);\n"
        f".import --csv --skip 1 {csv} contacts\n"
    )
    t = time.perf_counter()
    subprocess.run(["sqlite3", str(db)], input=script, text=True, check=True)
    return time.perf_counter() - t


def seed_suppressions(ws, rows: int) -> int:
    """A workspace that has been in use: 1,000 suppressed addresses from the file (every 97th row),
    1,000 from elsewhere, and 5 suppressed domains (company3 to company7). Returns how many of
    the file's rows they block (write_prospects puts row i at company{i % (rows // 10)})."""
    from coldmail.store.db import session_scope
    from coldmail.suppression.register import suppress

    domains = max(1, rows // 10)
    targets = [f"p{i}@company{i % domains}.example" for i in range(0, 97 * 1000, 97)]
    targets += [f"gone{i}@elsewhere{i}.example" for i in range(1000)]
    targets += [f"@company{d}.example" for d in range(3, 8)]
    with session_scope(ws.engine) as session:
        for target in targets:
            suppress(session, key=ws.fingerprint_key, actor="bench", target=target, reason="opt-out")
    blocked = set(targets[:1000])
    return sum(1 for i in range(rows) if f"p{i}@company{i % domains}.example" in blocked or 3 <= i % domains < 8)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--memory-rows", type=int, default=1_000_000)
    args = ap.parse_args()
    from coldmail.prospects.importing import import_csv

    lines = [f"Machine: {platform.machine()}, Python {platform.python_version()}; {time.strftime('%Y-%m-%d')}", ""]
    with tempdir() as tmp:
        csv = write_prospects(tmp / "p.csv", args.rows)
        if not shutil.which("sqlite3"):
            sys.exit("sqlite3 CLI not found: apt-get install sqlite3")
        # Each side's best of RUNS alternating runs, each into a new database. One run swings by
        # 20-40% on this machine, and Python's speed and `.import`'s swing apart: with three runs a
        # side, a fast `.import` met only slow coldmail runs in 2 of 32 trials (5.05x, 5.24x).
        # Five, as the classification benchmark takes.
        ref = secs = float("inf")
        for run in range(RUNS):
            ref = min(ref, sqlite_cli_import(csv, tmp / f"ref{run}.db"))
            ws = workspace(tmp / f"ws{run}")
            suppressed = seed_suppressions(ws, args.rows)
            took, result = timed(import_csv, ws, path=csv, list_name="bench")
            assert (result.imported, result.suppressed) == (args.rows - suppressed, suppressed), result.to_json()
            secs = min(secs, took)
            ws.close()
            (tmp / f"ref{run}.db").unlink()
            shutil.rmtree(tmp / f"ws{run}")
        lines += [
            f"The workspace holds 2,005 suppressions, as one in use would; {suppressed:,} of the file's rows are blocked.",
            "",
            f"| rows | sqlite3 .import (best of {RUNS}) | coldmail import (best of {RUNS}) | ratio (goal <= 5x) |",
            "|---|---|---|---|",
            f"| {args.rows:,} | {ref:.2f} s | {secs:.2f} s ({args.rows / secs:,.0f} rows/s) | {secs / ref:.2f}x |",
            "",
        ]
        if args.memory_rows:
            big = write_prospects(tmp / "big.csv", args.memory_rows)
            out = subprocess.run(
                [sys.executable, "-c", CHILD.format(bench=str(Path(__file__).parent), home=str(tmp / "ws-big"), csv=str(big))],
                capture_output=True, text=True,
            )
            if out.returncode:
                sys.exit(f"the 1M-row import failed:\n{out.stderr}")
            out = out.stdout.split()
            imported, secs_big, base_kb, peak_kb, reader_kb = (int(out[0]), float(out[1]), int(out[2]),
                                                               int(out[3]), int(out[4]))
            lines += [
                f"Peak memory importing {imported:,} rows: {peak_kb / 1024:.0f} MB "
                f"(process before import: {base_kb / 1024:.0f} MB; goal < 300 MB), and "
                f"{reader_kb / 1024:.0f} MB in the reader process beside it; took {secs_big:.1f} s.",
            ]
    record("Import (issue 2)", lines)


if __name__ == "__main__":
    main()
