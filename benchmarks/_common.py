"""Helpers shared by the benchmarks: a throwaway workspace, data generation, result recording."""

from __future__ import annotations

import os
import random
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).parent / "RESULTS.md"

FIRST = ["Ana", "Jonas", "Claire", "Noa", "Wei", "Omar", "Jānis", "Lucía", "Hana", "Piotr", "Sven", "Aoife"]
LAST = ["Lopez", "Weber", "Martin", "Levi", "Zhang", "Haddad", "Bērziņš", "García", "Quartermain", "Nowak"]
COUNTRIES = ["GB", "DE", "FR", "IL", "CN", "AE", "LV", "ES", "IE", "PL", "SE", "US"]
ROLES = ["Head of Operations", "COO", "Logistics Manager", "VP Supply Chain", "Fleet Manager"]


def workspace(tmp: Path, database_url: str | None = None):
    from coldmail.privacy.controller import init_workspace
    from coldmail.store.workspace import open_workspace

    os.environ["COLDMAIL_USER"] = "bench"
    ws = open_workspace(tmp, database_url)
    init_workspace(ws, company="Acme Tools Ltd", sender_name="Sam Carter", sender_email="sam@acme-tools.example",
                   postal_address="1 Main St, Bristol, UK", privacy_url="https://acme-tools.example/privacy",
                   country="GB")
    return ws


def write_prospects(path: Path, rows: int, seed: int = 7, domains: int | None = None) -> Path:
    rnd = random.Random(seed)
    domains = domains or max(1, rows // 10)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("email,first_name,last_name,company,role,country,source,justification\n")
        for i in range(rows):
            d = i % domains
            fh.write(
                f"p{i}@company{d}.example,{rnd.choice(FIRST)},{rnd.choice(LAST)},Company {d},"
                f"{rnd.choice(ROLES)},{rnd.choice(COUNTRIES)},company website,"
                f"runs operations at a logistics firm of our target size\n"
            )
    return path


@contextmanager
def tempdir():
    with tempfile.TemporaryDirectory(prefix="coldmail-bench-") as d:
        yield Path(d)


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t, out


def record(section: str, lines: list[str]) -> None:
    """Replace the section `## {section}` in RESULTS.md with these lines."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    header = f"## {section}"
    body = "\n".join([header, "", *lines, "", ""])
    if header in text:
        start = text.index(header)
        nxt = text.find("\n## ", start + len(header))
        text = text[:start] + body + (text[nxt + 1:] if nxt != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + body
    RESULTS.write_text(text, encoding="utf-8")
    print("\n".join(lines))
