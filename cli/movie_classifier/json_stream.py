"""The elements of a JSON array, read from a stream of bytes one element at a time, in memory
bounded by the largest element (stdlib: json's own decoder on a sliding window).

A ResultWriter file is one JSON array of records of a few hundred KiB each; reading it whole
would hold the file, and its objects, at once.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Iterator
from typing import Any

WHITESPACE = " \t\n\r"  # JSON's own


class Malformed(ValueError):
    """The stream is not a JSON array of elements within the size and nesting limits."""


class _Window:
    """Text decoded from the chunks, from the first character not yet consumed."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.at = 0
        self.ended = False

    def more(self) -> bool:
        """Decode the next chunk onto the window (dropping what was consumed); False at the end."""
        if self.ended:
            return False
        self.text, self.at = self.text[self.at :], 0
        try:
            chunk = next(self._chunks, None)
            self.text += self._decoder.decode(chunk or b"", final=chunk is None)
        except UnicodeDecodeError as error:
            raise Malformed(f"not UTF-8 ({error.reason})") from error
        self.ended = chunk is None
        return True

    def next_char(self) -> str:
        """The next character that is not whitespace ("" at the end), not consumed."""
        while True:
            while self.at < len(self.text) and self.text[self.at] in WHITESPACE:
                self.at += 1
            if self.at < len(self.text) or not self.more():
                return self.text[self.at] if self.at < len(self.text) else ""


def array_items(chunks: Iterable[bytes], max_item_chars: int) -> Iterator[Any]:
    """Each element of the JSON array the chunks hold, in order; Malformed as soon as the text
    is not one (an element over max_item_chars characters, or nested too deep for json,
    included). The elements before the fault have been yielded by then."""
    window = _Window(chunks)
    decoder = json.JSONDecoder()
    if window.next_char() != "[":
        raise Malformed("not a JSON array")
    window.at += 1
    if window.next_char() == "]":
        window.at += 1
        _expect_end(window)
        return
    while True:
        window.next_char()
        yield _element(window, decoder, max_item_chars)
        separator = window.next_char()
        window.at += 1
        if separator == "]":
            _expect_end(window)
            return
        if not separator:
            raise Malformed("the array ends early")
        if separator != ",":
            raise Malformed(f"expected , or ] after an element, found {separator[:1]!r}")


def _element(window: _Window, decoder: json.JSONDecoder, max_item_chars: int) -> Any:
    """The element at the window's start, read on until it is whole or over the limit; each
    retry waits for the window to double, so an element is decoded a few times at most."""
    tried_at = 0
    while True:
        available = len(window.text) - window.at
        if available >= 2 * tried_at or window.ended:
            tried_at = max(available, 1)
            try:
                value, end = decoder.raw_decode(window.text, window.at)
            except RecursionError as error:
                raise Malformed("an element nested too deep") from error
            except json.JSONDecodeError as error:
                if window.ended:
                    raise Malformed(f"an element is not JSON ({error.msg})") from error
            else:
                # A number at the window's edge may go on in the next chunk.
                if end < len(window.text) or window.ended:
                    window.at = end
                    return value
        if available > max_item_chars:
            raise Malformed(f"an element over {max_item_chars} characters")
        window.more()


def _expect_end(window: _Window) -> None:
    if window.next_char():
        raise Malformed("text after the array's end")
