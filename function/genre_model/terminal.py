"""Text from outside (response bodies, headers, S3 keys, titles, model words) made safe to print
on a terminal (stdlib only): one function, so that every message escapes it the same way."""

from __future__ import annotations

import json
import unicodedata

# Format characters that reorder or hide what a terminal shows (Unicode's bidirectional
# overrides and isolates, as in "Trojan Source"), escaped with the control characters.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _is_control(char: str) -> bool:
    return char in _BIDI_CONTROLS or unicodedata.category(char) == "Cc"


def printable(text: str) -> str:
    """`text` with every control character (C0, DEL, C1: escape sequences, bells, carriage
    returns, newlines) and bidirectional control written as a visible escape (\\x1b, \\u202e),
    so that outside text can neither drive the terminal nor forge a line of output."""
    return "".join(
        (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
        if _is_control(char)
        else char
        for char in text
    )


def printable_json(value: object) -> str:
    """value as one line of JSON, non-ASCII text kept, and every control character that JSON
    leaves raw (DEL, C1, bidirectional controls) written as its \\u escape: the same data."""
    return "".join(
        f"\\u{ord(char):04x}" if _is_control(char) else char
        for char in json.dumps(value, ensure_ascii=False)
    )
