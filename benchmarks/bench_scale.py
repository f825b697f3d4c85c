"""Lookups at 1,000 and at 1,000,000 contacts: contacts show, where, suppression check, requests list,
export, and the TUI's contacts screen (first page, and a search for one address).

    python benchmarks/bench_scale.py [--big 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import record, tempdir, workspace, write_prospects  # noqa: E402


def median_ms(fn, runs: int = 25) -> float:
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


async def tui_times(ws, probe: str) -> tuple[float, float]:
    from coldmail.tui.app import ColdmailApp

    app = ColdmailApp(ws, mode="contacts")
    t = time.perf_counter()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one("#contacts-table")
        while table.row_count == 0:
            await pilot.pause(0.01)
        first = time.perf_counter() - t
        await pilot.press("slash", *probe)
        t = time.perf_counter()
        await pilot.press("enter")
        while not (table.row_count >= 1 and str(table.get_row_at(0)[0]) == probe):
            await pilot.pause(0.01)
        search = time.perf_counter() - t
    return first * 1000, search * 1000


def measure(ws, n: int) -> dict[str, float]:
    from coldmail.contacts.views import show_contact
    from coldmail.privacy import export as dsr
    from coldmail.privacy import requests as privacy
    from coldmail.privacy.where import where
    from coldmail.suppression import register as suppression

    probe = f"p{n // 2}@company{(n // 2) % max(1, n // 10)}.example"
    privacy.open_request_cmd(ws, email=probe, kind="access")
    suppression.add(ws, target="@company7.example", reason="bench")
    out = {
        "contacts show": median_ms(lambda: show_contact(ws, probe)),
        "where": median_ms(lambda: where(ws, probe)),
        "suppression check": median_ms(lambda: suppression.check(ws, probe)),
        "requests list": median_ms(lambda: privacy.list_requests(ws)),
        "export": median_ms(lambda: dsr.export(ws, probe), runs=10),
    }
    first, search = asyncio.run(tui_times(ws, probe))
    out["TUI contacts: first page"] = first
    out["TUI contacts: search one address"] = search
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=1_000)
    ap.add_argument("--big", type=int, default=1_000_000)
    args = ap.parse_args()
    from coldmail.prospects.importing import import_csv

    results = {}
    with tempdir() as tmp:
        for n in (args.small, args.big):
            ws = workspace(tmp / f"ws{n}")
            import_csv(ws, path=write_prospects(tmp / f"p{n}.csv", n), list_name="scale")
            results[n] = measure(ws, n)
            ws.close()
    lines = [f"| operation | {args.small:,} contacts | {args.big:,} contacts |", "|---|---|---|"]
    for op in results[args.small]:
        lines.append(f"| {op} | {results[args.small][op]:.1f} ms | {results[args.big][op]:.1f} ms |")
    record("Scale: 1k vs 1M contacts (issues 2, 5, 8)", lines)


if __name__ == "__main__":
    main()
