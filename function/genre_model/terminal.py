"""Text from outside (response bodies, headers, S3 keys, titles, model words) made safe to print
on a terminal (stdlib only): one function, so that every message escapes it the same way."""

from __future__ import annotations

import unicodedata

# Format characters that reorder or hide what a terminal shows (Unicode's bidirectional
# overrides and isolates, as in "Trojan Source"), escaped with the control characters.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control character (C0, DEL, C1: escape sequences, bells, carriage
    returns, newlines) and bidirectional control written as a visible escape (\\x1b, \\u202e),
    so that outside text can neither drive the terminal nor forge a line of output."""
    return "".join(
        _escaped(char) if char in _BIDI_CONTROLS or unicodedata.category(char) == "Cc" else char
        for char in text
    )
