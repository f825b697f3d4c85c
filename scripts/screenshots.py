"""Regenerate docs/screenshots/*.svg from the demo workspace (Textual's own SVG export).

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from coldmail.demo import build
from coldmail.tui.app import ColdmailApp

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


async def shoot(ws) -> None:
    app = ColdmailApp(ws)
    async with app.run_test(size=(100, 30)) as pilot:
        for key, name, extra in [("1", "dashboard", ""), ("2", "contacts", "down"), ("2", "where", "w"),
                                 ("4", "campaigns", ""), ("5", "inbox", ""), ("6", "suppression", ""),
                                 ("7", "requests", "")]:
            if name == "where":
                await pilot.press("w")
            else:
                await pilot.press("escape", key)
                if extra:
                    await pilot.press(extra)
            for _ in range(10):
                await pilot.pause(0.1)
            app.save_screenshot(f"{name}.svg", str(OUT))


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    workspace, _ = build(Path(tempfile.mkdtemp(prefix="coldmail-shots-")))
    asyncio.run(shoot(workspace))
    print("wrote", sorted(p.name for p in OUT.glob("*.svg")))
