"""User text placed inside markup, escaped for the parser that will read it.

Two parsers read markup in the TUI, and they escape differently:
- Textual's (Static, Label, notifications) joins a lone "[", as in "ops [EU", with the next tag and
  raises MarkupError, which `rich.markup.escape` leaves as it is; `escape_text` escapes every "[".
- Rich's (a DataTable's string cells) reads "\\[" after a backslash differently; `escape_cell` is
  `rich.markup.escape`, which is right for it.
"""

from __future__ import annotations

from rich.markup import escape as escape_cell

__all__ = ["escape_cell", "escape_text"]


def escape_text(text: str) -> str:
    """`text` shown as it is inside Textual markup (a Static's or a Label's content)."""
    return text.replace("[", "\\[")
