"""Which families of the reply-intent corpus are held out: per intent, every third family in the
order of a keyed hash of its name, so the split is fixed before any rule is written and the same
phrasing is held out in every language.

    python evals/replies/split.py        # prints the held-out families and the counts
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
SALT = b"coldmail-reply-intent-heldout-v1"


def _rank(family: str) -> bytes:
    return hashlib.sha256(SALT + family.encode("utf-8")).digest()


def heldout_families(items: list[dict]) -> set[str]:
    """Within each intent, the families in the order of their keyed hash, every third held out
    (the first, the fourth...): about a third of each intent's phrasings, whatever their number."""
    by_intent: dict[str, set[str]] = {}
    for item in items:
        by_intent.setdefault(item["intent"], set()).add(item["family"])
    held: set[str] = set()
    for families in by_intent.values():
        held.update(f for i, f in enumerate(sorted(families, key=_rank)) if i % 3 == 0)
    return held


def load(split: str | None = None) -> list[dict]:
    """Every reply of the corpus (or of one split), each with its 'split'."""
    items = []
    for path in sorted(HERE.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                items.append(json.loads(line))
    held = heldout_families(items)
    for item in items:
        item["split"] = "heldout" if item["family"] in held else "train"
    return [i for i in items if split is None or i["split"] == split]


DEV = HERE.parent / "replies-dev"
# The sets written after the rules, in the order they came.
LATER = (DEV, HERE.parent / "replies-d3", HERE.parent / "replies-d4", HERE.parent / "replies-d5", HERE.parent / "replies-d6",
         HERE.parent / "replies-d7", HERE.parent / "replies-d8", HERE.parent / "replies-d9", HERE.parent / "replies-d10",
         HERE.parent / "replies-d11", HERE.parent / "replies-d12", HERE.parent / "replies-d13", HERE.parent / "replies-d14",
         HERE.parent / "replies-d15", HERE.parent / "replies-d16",
         HERE.parent / "replies-d17", HERE.parent / "replies-d18", HERE.parent / "replies-d19")


def load_dev() -> list[dict]:
    """The sets written after the rules (evals/replies-dev, "d2-" families; evals/replies-d3, "d3-";
    evals/replies-d4, "d4-"; evals/replies-d5, "d5-"; evals/replies-d6, "d6-"; evals/replies-d7, "d7-";
    evals/replies-d8, "d8-"; evals/replies-d9, "d9-"; evals/replies-d10, "d10-"; evals/replies-d11, "d11-";
    evals/replies-d12, "d12-"; evals/replies-d13, "d13-"; evals/replies-d14, "d14-"; evals/replies-d15, "d15-";
    evals/replies-d16, "d16-"; evals/replies-d17, "d17-"; evals/replies-d18, "d18-"; evals/replies-d19, "d19-"; evals/replies-d20 is not among them
    yet):
    each by writers who had not read the rules, measured once as unseen data, then tuned on. Always
    training, never held out; kept out of `load` so that adding them did not move the held-out split."""
    items = []
    for path in sorted(p for folder in LATER for p in folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                item["split"] = "train"
                items.append(item)
    return items


def training() -> list[dict]:
    """Everything rules and weights may be tuned on: the training split and the later sets."""
    return load("train") + load_dev()


if __name__ == "__main__":
    items = load()
    by = Counter((i["split"], i["intent"]) for i in items)
    fams = sorted({(i["intent"], i["family"]) for i in items if i["split"] == "heldout"})
    print(f"{len(items)} replies in {len({i['lang'] for i in items})} languages")
    for intent in ("opt_out", "erasure", "source", "access", "human"):
        print(f"{intent:8} train {by['train', intent]:4}  heldout {by['heldout', intent]:4}")
    print("held-out families:", ", ".join(f for _, f in fams))
