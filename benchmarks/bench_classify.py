"""Reply classification throughput against a bare `email.message_from_bytes` loop over the same messages
(the shared corpora: real bounces and replies, plus replies quoting our own footer).

    python benchmarks/bench_classify.py [--messages 5000]
"""

from __future__ import annotations

import argparse
import sys
import time
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import record  # noqa: E402

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


def corpus() -> list[bytes]:
    raws = [p.read_bytes() for p in sorted((CORPORA / "bounces-flufl").glob("*.txt"))]
    raws += [p.read_bytes() for p in sorted((CORPORA / "replies-talon").glob("*.eml"))]
    for p in sorted((CORPORA / "replies-crisp").glob("*.txt")):
        msg = EmailMessage()
        msg["From"] = "someone@example.com"
        msg["Subject"] = "Re: hello"
        msg.set_content(p.read_text(encoding="utf-8", errors="replace"))
        raws.append(msg.as_bytes())
    return raws


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=5000)
    args = ap.parse_args()
    from coldmail.replies.classify import classify

    base = corpus()
    if not base:
        sys.exit(f"no corpora at {CORPORA}")
    raws = (base * (args.messages // len(base) + 1))[: args.messages]

    def bare_loop() -> None:
        for raw in raws:
            message_from_bytes(raw)

    def our_loop() -> None:
        for raw in raws:
            classify(message_from_bytes(raw))  # as `coldmail replies import` reads them

    # Each side's best of five alternating runs: one run of half a second swings by 30% on this machine.
    bare = ours = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        bare_loop()
        bare = min(bare, time.perf_counter() - t)
        t = time.perf_counter()
        our_loop()
        ours = min(ours, time.perf_counter() - t)
    n = len(raws)
    record("Reply classification (issue 4)", [
        f"{n:,} messages cycled from the shared corpora ({len(base)} distinct: bounces, talon and crisp replies).",
        "",
        "| run | time (best of 5) | messages/s |",
        "|---|---|---|",
        f"| bare email.message_from_bytes | {bare:.2f} s | {n / bare:,.0f} |",
        f"| parse + classify (quote stripping, phrases in 15 languages) | {ours:.2f} s | {n / ours:,.0f} "
        f"(goal >= 1,000/s) |",
        "",
        f"Ratio: {ours / bare:.1f}x the bare parse (goal <= 3x).",
    ])


if __name__ == "__main__":
    main()
