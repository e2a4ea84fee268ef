"""Text the service accepts: only strings PostgreSQL's text and jsonb columns can hold."""
from __future__ import annotations

import re

# Python decodes a JSON "\ud800" with no partner into a lone surrogate code point (a paired one
# becomes one character), so any code point left in this range cannot be encoded as UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why PostgreSQL could not store `value` (text refuses NUL, UTF-8 has no lone surrogates)."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "Text may not contain the NUL character (U+0000)."
    return "Text may not contain an unpaired UTF-16 surrogate."


def printable(value: str) -> str:
    """`value` with the characters an error message could not carry escaped (\\u0000, \\ud800)."""
    return _UNSTORABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", value)
