"""The phrase files (`phrases/*.txt`, one per language): the subject prefixes of automatic replies
("Automatic reply:", "Abwesenheitsnotiz:", "自动回复:"...), read by autoreply.py. What a person's
reply asks for is read elsewhere, from the lexicons (lexicons/*.txt, grammar.py)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from coldmail.replies.classify.text import fold

PHRASES_DIR = Path(__file__).parent / "phrases"


@dataclass(frozen=True)
class PhraseSet:
    contains: dict[str, tuple[str, ...]]
    whole: dict[str, tuple[str, ...]]


@functools.cache
def phrases(directory: Path = PHRASES_DIR) -> PhraseSet:
    """All languages' phrases, by section. Each file is `[section]` headers and one phrase a line."""
    contains: dict[str, list[str]] = {}
    whole: dict[str, list[str]] = {}
    for path in sorted(directory.glob("*.txt")):
        section = None
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                continue
            if section is None:
                continue
            if line.startswith("="):
                whole.setdefault(section, []).append(fold(line[1:]))
            else:  # a phrase ending in ":" is a prefix, kept as written (folding drops the colon)
                contains.setdefault(section, []).append(line.lower() if line.endswith(":") else fold(line))
    return PhraseSet({k: tuple(v) for k, v in contains.items()}, {k: tuple(v) for k, v in whole.items()})
