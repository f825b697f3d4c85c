"""The second opinion: character n-grams (hashed, TF-IDF weighted) and a linear model, trained by
scripts/train_intent_model.py on the training split of evals/replies plus sentences composed from
the lexicons, and shipped as model/intent.npz (numpy arrays only: no pickle). Loaded lazily."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

MODEL_PATH = Path(__file__).parent / "model" / "intent.npz"
MODEL_CHARS = 1200  # the model reads the reply's first characters (a request sits near the top)
LABELS = ("opt_out", "erasure", "source", "access", "human")


@dataclass
class Model:
    vectorizer: object
    idf: object
    coef: object  # labels x features
    intercept: object
    labels: tuple[str, ...]
    cutoff: float  # the probability from which the model's opinion counts as sure (chosen on train)
    veto: float  # the "human" probability from which an opt-out or erasure the rules found waits for review
    differ: float = 1.01  # the probability of ANOTHER request or opt-out from which the rules' one waits for review
    agree: float = 0.5  # the "human" probability a rules' "human" reading needs to be acted on (chosen on train)
    veto_twice: float | None = None  # the veto of an opt-out said two ways ("no thanks, stop emailing me"); None: `veto`
    veto_request: float | None = None  # the veto of a source or access request that suppresses nothing; None: `veto`

    def veto_for(self, *, suppressing: bool, twice: bool) -> float:
        """The "human" probability from which the rules' finding waits for review: a suppression (for
        good) and a request a person answers are weighed apart, and an opt-out said two ways ("Not
        interested. Take me off your list.") is held back only by a surer model."""
        if not suppressing:
            return self.veto if self.veto_request is None else self.veto_request
        return self.veto_twice if twice and self.veto_twice else self.veto

    def __post_init__(self) -> None:
        self._analyze = self.vectorizer.build_analyzer()  # type: ignore[attr-defined]
        self._words: dict[str, tuple[int, ...]] = {}  # each word's n-grams' columns (`hashed`)

    def predict(self, text: str) -> tuple[str, float]:
        """The most likely intent and its probability."""
        probs = self.probabilities(text)
        best = int(probs.argmax())
        return self.labels[best], float(probs[best])

    def _column(self, gram: str) -> int:
        """The column FeatureHasher puts an n-gram in (its `_hashing_fast.transform`: the signed 32-bit
        murmurhash3 of the UTF-8 bytes, seed 0, its absolute value modulo the number of features)."""
        from sklearn.utils import murmurhash3_32

        n = self.vectorizer.n_features  # type: ignore[attr-defined]
        h = murmurhash3_32(gram, seed=0, positive=False)
        return (2147483647 - (n - 1)) % n if h == -2147483648 else abs(h) % n

    def hashed(self, text: str):
        """The column indices (ascending) and counts of `text`'s n-grams: what FeatureHasher gives as
        a CSR row (duplicates summed, indices sorted), without building a sparse matrix. The analyzer's
        n-grams ("char_wb") never cross a space: a text's are those of its lower-cased words, one after
        another, so each word's columns are worked out once per process (replies share most words)."""

        words = self._words
        try:
            found = [c for w in text.lower().split() for c in words[w]]
        except KeyError:
            if len(words) > 200_000:
                words.clear()
            for w in text.lower().split():
                if w not in words:
                    if w.lower() != w:  # the analyzer lower-cases again, and a few letters change twice
                        return self._unique([self._column(g) for g in self._analyze(text)])
                    words[w] = tuple(self._column(g) for g in self._analyze(w))
            found = [c for w in text.lower().split() for c in words[w]]
        return self._unique(found)

    @staticmethod
    def _unique(found: list[int]):
        import numpy as np

        cols, counts = np.unique(np.array(found, dtype=np.int32), return_counts=True)
        return cols, counts.astype(np.float64)

    def probabilities(self, text: str):
        """Each label's probability, in the order of `labels`."""
        import numpy as np

        cols, data = self.hashed(text[:MODEL_CHARS])
        values = data * self.idf[cols]  # TF-IDF of the n-grams present: a handful of columns, not 2^18
        norm = np.sqrt((values * values).sum())
        if norm:
            values = values / norm
        scores = self.coef[:, cols] @ values + self.intercept
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()


def vectorizer(config: dict):
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(analyzer=config["analyzer"], ngram_range=tuple(config["ngram_range"]),
                             n_features=config["n_features"], alternate_sign=False, norm=None, lowercase=True)


@functools.cache
def load(path: Path = MODEL_PATH) -> Model | None:
    """The shipped model, or None if it has not been built."""
    if not path.exists():
        return None
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        config = json.loads(str(data["config"]))
        return Model(vectorizer(config), data["idf"].astype("float64"), data["coef"].astype("float64"),
                     data["intercept"].astype("float64"), tuple(config["labels"]), float(config["cutoff"]),
                     float(config.get("veto", 1.01)), float(config.get("differ", 1.01)),
                     float(config.get("agree", 0.5)), config.get("veto_twice"), config.get("veto_request"))
