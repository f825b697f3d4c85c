"""Build the reply-intent model shipped in the package (src/coldmail/replies/classify/model/intent.npz).

    python scripts/train_intent_model.py

Trained on the TRAIN split of evals/replies only (never the held-out families), plus sentences
composed from the lexicons (lexicons/*.txt), reproducibly (fixed seed). The probability cut-off
from which the model counts as sure is chosen on out-of-fold predictions over the training split
(folds by family, so a phrasing is never judged by a model that saw it): the lowest cut-off at
which the model's answers reach PRECISION on those predictions.
"""

from __future__ import annotations

import email
import json
import random
import sys
from email import policy
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "evals" / "replies"))
sys.path.insert(0, str(ROOT / "benchmarks"))
import split  # noqa: E402
from bench_intent import as_message  # noqa: E402

from coldmail.replies.classify.lexicon import LEXICON_DIR  # noqa: E402
from coldmail.replies.classify.model import LABELS, MODEL_PATH, vectorizer  # noqa: E402
from coldmail.replies.classify.quotes import new_text  # noqa: E402
from coldmail.replies.classify.text import body_text  # noqa: E402

SEED = 17
PRECISION = 0.97
CONFIG = {"analyzer": "char_wb", "ngram_range": [2, 4], "n_features": 2**18, "labels": list(LABELS)}


def entries(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    section = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line[1:-1]
        elif section != "meta" and section:
            out.setdefault(section, []).append(line.lstrip("=").replace("*", "").replace(" ... ", " "))
    return out


def synthetic(rnd: random.Random, per: int = 12) -> list[tuple[str, str]]:
    """Short replies composed from each lexicon's parts: word salad, but the right words."""
    out = []
    for path in sorted(LEXICON_DIR.glob("*.txt")):
        e = entries(path)

        def pick(*parts: str) -> str:
            return " ".join(rnd.choice(e[p]) for p in parts if e.get(p))

        for _ in range(per):
            out.append((pick("action", "self", "channel"), "opt_out"))
            out.append((pick("stop", "contact", "self"), "opt_out"))
            out.append((pick("refusal"), "opt_out"))
            out.append((pick("erase", "self", "mydata"), "erasure"))
            out.append((pick("forgotten"), "erasure"))
            out.append((pick("where", "obtain", "self", "mydata") + "?", "source"))
            out.append((pick("what", "mydata", "hold", "self") + "?", "access"))
            out.append((pick("copy", "self", "mydata"), "access"))
            out.append((pick("human", "human"), "human"))
            out.append((pick("negated", "channel"), "human"))
            out.append((pick("deferral", "human"), "human"))
    return [(t, y) for t, y in out if t.strip()]


def reply_text(item: dict) -> str:
    return new_text(body_text(email.message_from_bytes(as_message(item), policy=policy.default)))


def fit(texts: list[str], labels: list[str]):
    vec = vectorizer(CONFIG)
    counts = vec.transform(texts)
    tfidf = TfidfTransformer()
    x = tfidf.fit_transform(counts)
    clf = LogisticRegression(C=20.0, max_iter=2000, random_state=SEED)
    clf.fit(x, labels)
    return vec, tfidf, clf


def predict(model, texts: list[str]) -> np.ndarray:
    vec, tfidf, clf = model
    return clf.predict_proba(tfidf.transform(vec.transform(texts)))


def choose_cutoff(texts, labels, top, best) -> float:
    """The model's cut-off, chosen on the training split with out-of-fold probabilities, as the
    classifier combines them (intent.py): the rules' answer is acted on when the model's top label
    agrees and reaches the cut-off. The lowest cut-off at which no genuine reply is suppressed and
    the acted-on answers reach PRECISION; then recall is as high as that allows."""
    from coldmail.replies.classify.intent import read

    rules = [read(t).intent for t in texts]
    suppress = {"opt_out", "erasure"}
    chosen = None
    for c in [x / 100 for x in range(30, 100, 2)]:
        acted = [(r, y) for r, y, t, p in zip(rules, labels, top, best, strict=True)
                 if r not in (None, "human") and p >= c and (t == r or (r == "opt_out" and t == "erasure"))]
        wrong_supp = sum(1 for r, y in acted if r in suppress and y == "human")
        ok = sum(1 for r, y in acted if r == y or (r in suppress and y in suppress))
        precision = ok / len(acted) if acted else 1.0
        recall = sum(1 for r, y in acted if r in suppress and y in suppress) / max(1, sum(y in suppress for y in labels))
        print(f"  cut-off {c:.2f}: acted {len(acted)}, precision {precision:.3f}, opt-out recall {recall:.3f}, "
              f"genuine suppressed {wrong_supp}")
        if chosen is None and wrong_supp == 0 and precision >= PRECISION:
            chosen = c
    return chosen if chosen is not None else 0.99


def main() -> None:
    rnd = random.Random(SEED)
    train = split.load("train")
    texts = [reply_text(i) for i in train]
    labels = [i["intent"] for i in train]
    groups = [i["family"] for i in train]
    extra = synthetic(rnd)

    # Out-of-fold probabilities on the training split, folds by family: the cut-off is chosen on these.
    oof = np.zeros((len(texts), len(LABELS)))
    for fit_idx, test_idx in GroupKFold(n_splits=5).split(texts, labels, groups):
        model = fit([texts[k] for k in fit_idx] + [t for t, _ in extra], [labels[k] for k in fit_idx] + [y for _, y in extra])
        order = [list(model[2].classes_).index(lbl) for lbl in LABELS]
        oof[test_idx] = predict(model, [texts[k] for k in test_idx])[:, order]
    best = oof.max(axis=1)
    top = [LABELS[k] for k in oof.argmax(axis=1)]
    right = np.array([t == y for t, y in zip(top, labels, strict=True)])
    print(f"out-of-fold accuracy of the model alone: {right.mean():.3f}")
    cutoff = choose_cutoff(texts, labels, top, best)

    vec, tfidf, clf = fit(texts + [t for t, _ in extra], labels + [y for _, y in extra])
    order = [list(clf.classes_).index(lbl) for lbl in LABELS]
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        MODEL_PATH,
        config=np.array(json.dumps({**CONFIG, "cutoff": cutoff, "seed": SEED})),
        idf=tfidf.idf_.astype(np.float32),
        coef=clf.coef_[order].astype(np.float32),
        intercept=clf.intercept_[order].astype(np.float32),
    )
    print(f"wrote {MODEL_PATH.relative_to(ROOT)} ({MODEL_PATH.stat().st_size / 1024:.0f} KiB) from "
          f"{len(texts)} training replies and {len(extra)} composed sentences")


if __name__ == "__main__":
    main()
