"""Reply intent (issue 17): the classifier over the evaluation corpus (evals/replies), train and
held-out splits reported separately, per language, plus the speed over the whole corpus.

    python benchmarks/bench_intent.py              # prints both splits, records the held-out table
    python benchmarks/bench_intent.py --baseline   # records into the baseline section instead

Only aggregate numbers are printed for the held-out split: never its replies or its failures (the
corpus README). `--failures` lists failing TRAIN replies, for tuning.

What is counted (a reply is *acted on* when its confidence reaches REVIEW_THRESHOLD):
- opt-out recall: opt_out and erasure replies acted on as suppressing (opt_out, or an erasure or
  other data request that also opts out); precision: of the replies acted on as suppressing, those
  that are opt_out or erasure.
- data-request recall: erasure, source and access replies acted on as a data request of the right
  kind; precision: of the replies acted on as data requests, those of the right kind.
- genuine suppressed: human replies acted on as suppressing (must be 0).
- misses: opt-out and data-request replies not acted on correctly, split into those that wait in
  review (confidence below the threshold) and those acted on as something else (mostly "human").
"""

from __future__ import annotations

import argparse
import email
import random
import sys
import time
from collections import defaultdict
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT / "evals" / "replies"))
import split  # noqa: E402
from _common import record  # noqa: E402

SUPPRESS = {"opt_out", "erasure"}
REQUESTS = {"erasure", "source", "access"}
SECTION = "Reply intent (issue 17)"


def as_message(item: dict) -> bytes:
    """The corpus reply as the bytes a client would send (HTML-only bodies as text/html)."""
    msg = EmailMessage()
    msg["From"] = "someone@example.com"
    msg["To"] = "sam@acme-tools.example"
    msg["Subject"] = item.get("subject") or "Re: hello"
    msg.set_content(item["text"], subtype="html" if item["format"] == "html" else "plain")
    return msg.as_bytes()


def suppresses(r) -> bool:
    if r.kind in ("opt_out", "complaint", "bounce_hard"):
        return True
    return r.kind == "data_request" and (r.request == "erasure" or r.also_opt_out)


class Tally:
    def __init__(self) -> None:
        self.n = 0
        self.opt_total = self.opt_hit = self.opt_acted = self.opt_acted_ok = 0
        self.req_total = self.req_hit = self.req_acted = self.req_acted_ok = 0
        self.human_total = self.human_suppressed = self.human_review = 0
        self.miss_review = self.miss_acted = 0

    def add(self, item: dict, r, threshold: float) -> bool:
        """Count one reply; True if it was handled correctly (acted on rightly, or a human not suppressed)."""
        self.n += 1
        truth = item["intent"]
        acted = r.confidence >= threshold
        supp = acted and suppresses(r)
        req = acted and r.kind == "data_request"
        ok = True
        if truth in SUPPRESS:
            self.opt_total += 1
            self.opt_hit += supp
            ok &= supp
        if supp:
            self.opt_acted += 1
            self.opt_acted_ok += truth in SUPPRESS
        if truth in REQUESTS:
            self.req_total += 1
            right = req and r.request == truth
            self.req_hit += right
            ok &= right
        if req:
            self.req_acted += 1
            self.req_acted_ok += r.request == truth
        if truth == "human":
            self.human_total += 1
            self.human_suppressed += supp
            self.human_review += not acted
            ok = not supp
        elif not ok:
            if acted:
                self.miss_acted += 1
            else:
                self.miss_review += 1
        return ok


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def table(tallies: dict[str, Tally]) -> list[str]:
    lines = [
        "| lang | replies | opt-out recall | opt-out precision | data-request recall | data-request precision "
        "| genuine suppressed | misses in review | misses acted on | genuine in review |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for lang, t in tallies.items():
        lines.append(
            f"| {lang} | {t.n} | {pct(t.opt_hit, t.opt_total)} ({t.opt_hit}/{t.opt_total}) "
            f"| {pct(t.opt_acted_ok, t.opt_acted)} | {pct(t.req_hit, t.req_total)} ({t.req_hit}/{t.req_total}) "
            f"| {pct(t.req_acted_ok, t.req_acted)} | {t.human_suppressed} of {t.human_total} "
            f"| {t.miss_review} | {t.miss_acted} | {t.human_review} of {t.human_total} |"
        )
    return lines


def evaluate(items: list[dict], results: list, threshold: float) -> tuple[dict[str, Tally], list]:
    by_lang: dict[str, Tally] = defaultdict(Tally)
    total = Tally()
    failures = []
    for item, r in zip(items, results, strict=True):
        by_lang[item["lang"]].add(item, r, threshold)
        if not total.add(item, r, threshold):
            failures.append((item, r))
    ordered = {"ALL": total, **dict(sorted(by_lang.items()))}
    return ordered, failures


def reliability(items: list[dict], results: list) -> list[str]:
    """How often each confidence the reader gives is right (acted-on levels) or what waits behind it
    (review levels): the calibration the review threshold rests on."""
    rows: dict[float, list[int]] = defaultdict(lambda: [0, 0])
    for item, r in zip(items, results, strict=True):
        truth = item["intent"]
        if r.kind == "data_request":
            said = r.request
        elif r.kind == "opt_out":
            said = "opt_out"
        else:
            said = "human"
        right = said == truth or (said == "erasure" and truth == "opt_out")
        rows[round(r.confidence, 2)][0] += 1
        rows[round(r.confidence, 2)][1] += right
    lines = ["| confidence | replies | reading right |", "|---|---|---|"]
    for conf in sorted(rows, reverse=True):
        n, ok = rows[conf]
        lines.append(f"| {conf:.2f} | {n} | {pct(ok, n)} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", action="store_true", help="record into the baseline section")
    ap.add_argument("--failures", action="store_true", help="print failing TRAIN replies (never held-out ones)")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()

    from coldmail.replies.classify import REVIEW_THRESHOLD, classify

    items = split.load() + split.load_dev()  # the later sets (split.LATER) are training data
    raws = [as_message(i) for i in items]
    # Parsed as `replies import` parses them (ingest.py: the classic policy, headers stay text).
    msgs = [email.message_from_bytes(raw) for raw in raws]
    # The first pass, as a mailbox arrives: languages mixed (a fixed shuffle), nothing loaded or cached
    # yet (the detector, lexicons, lemma maps and model load during it).
    order = list(range(len(msgs)))
    random.Random(17).shuffle(order)
    results: list = [None] * len(msgs)
    t = time.perf_counter()
    for k in order:
        results[k] = classify(msgs[k])
    first = len(msgs) / (time.perf_counter() - t)

    # Speed over the whole corpus, parse + classify as `replies import` reads them; best of three.
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for raw in raws:
            classify(email.message_from_bytes(raw))
        best = min(best, time.perf_counter() - t)
    speed = len(raws) / best

    report: dict[str, list[str]] = {}
    for name in ("train", "heldout"):
        idx = [k for k, i in enumerate(items) if i["split"] == name]
        tallies, failures = evaluate([items[k] for k in idx], [results[k] for k in idx], REVIEW_THRESHOLD)
        report[name] = table(tallies)
        report[name + "-calibration"] = reliability([items[k] for k in idx], [results[k] for k in idx])
        print(f"\n### {name} ({len(idx)} replies)\n")
        print("\n".join(report[name]))
        print("\n".join(["", *report[name + "-calibration"]]))
        if name == "train" and args.failures:
            for item, r in failures:
                print(f"\n--- {item['id']} {item['intent']} {item['family']} -> {r.kind}/{r.request} "
                      f"{r.confidence:.2f} [{r.why}]\n{item['text'][:400]}")
    print(f"\nspeed: {speed:,.0f} replies/s (parse + classify, {len(raws)} replies, best of 3); "
          f"first pass, mixed languages, nothing loaded: {first:,.0f} replies/s")
    if args.no_record:
        return
    lang_count = len({i["lang"] for i in items})
    held = sum(1 for i in items if i["split"] == "heldout")
    section = SECTION + (": baseline (phrase lists, before the rewrite)" if args.baseline else "")
    record(section, [
        "The compositional reader (replies/classify: lexicons per language, simplemma lemmas, lingua's "
        "language, a character n-gram model as a second opinion; see intent.py for how they combine). "
        "Only aggregate numbers of the held-out split are ever printed.",
        "",
        f"Held-out split of evals/replies: {held:,} replies in {lang_count} languages (families held out by "
        f"evals/replies/split.py). Review threshold {REVIEW_THRESHOLD}: a reply below it waits for a person.",
        "",
        *report["heldout"],
        "",
        "Calibration on the held-out split: how often the reading behind each confidence is right "
        "(at 0.95 and 0.90 it is acted on; below 0.80 a person reviews it).",
        "",
        *report["heldout-calibration"],
        "",
        f"Speed: {speed:,.0f} replies/s over all {len(raws):,} corpus replies (parse + classify, best of 3; "
        "floor 1,000/s). The first pass over them, languages mixed and nothing loaded yet (detector, "
        f"lexicons, lemma maps and model load during it): {first:,.0f} replies/s.",
    ])


if __name__ == "__main__":
    main()
