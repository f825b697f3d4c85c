"""Record the rules' readings of a reply set before the rules are tuned on it.

    python scripts/fresh_readings.py evals/replies-d14

Run it when a set becomes training data (`split.LATER`), before any lexicon or grammar change made on
its failures: it writes `fresh-readings.json` beside the set, mapping each reply the rules read as a
request or an opt-out to [intent, whether acting on it suppresses, an opt-out said two ways, every request
or opt-out found in it]. The
training script chooses the model's vetoes on these (scripts/train_intent_model.py, `fresh_readings`):
the rules' findings in replies they were not tuned on are the ones the veto guards against in use.
For sets recorded after the fact, run it from a checkout of the commit before the set was tuned on (the
set's README says which).
"""

from __future__ import annotations

import email
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_intent import as_message  # noqa: E402

from coldmail.replies.classify import classify  # noqa: E402
from coldmail.replies.classify.intent import read, suppresses  # noqa: E402


def main(folder: Path) -> None:
    out: dict[str, list] = {}
    paths = sorted(folder.glob("*.jsonl"))
    for n, path in enumerate(paths, 1):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            text = classify(email.message_from_bytes(as_message(item))).new_text or ""
            reading = read(text) if text.strip() else None
            if reading is None or reading.intent in (None, "human"):
                continue
            out[item["id"]] = [reading.intent, suppresses(reading), reading.intent == "opt_out" and reading.ways >= 2,
                               sorted(reading.found)]
        print(f"\r{n}/{len(paths)} files read", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    target = folder / "fresh-readings.json"
    lines = (f"{json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(out.items()))  # one reply a line
    target.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    print(f"wrote {target} ({len(out)} findings)")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        sys.exit("usage: python scripts/fresh_readings.py evals/replies-dN")
    main(Path(sys.argv[1]))
