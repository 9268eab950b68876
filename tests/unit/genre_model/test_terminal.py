import json

import pytest

from genre_model.terminal import printable, printable_json


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b]0;PWNED\x07\x1b[2J", "\\x1b]0;PWNED\\x07\\x1b[2J"),
        ("line\r\nforged", "line\\x0d\\x0aforged"),
        ("tab\there", "tab\\x09here"),
        ("\x7f\x9b31m", "\\x7f\\x9b31m"),
        ("abc\u202edef", "abc\\u202edef"),
    ],
)
def test_control_characters_are_shown_escaped(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_printable_text_is_kept_as_it_is() -> None:
    text = "Amélie — 千と千尋の神隠し s3://bucket/key \\x1b"
    assert printable(text) == text


def test_no_character_below_space_is_left() -> None:
    every = "".join(map(chr, range(0x110))) + "\u2066\u2069"
    assert not any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in printable(every))


def test_json_for_a_terminal_is_the_same_data_without_raw_controls() -> None:
    value = {"title": "\x1b[2J\x9b\u202eAmélie\x7f", "n": 1}
    line = printable_json(value)
    assert json.loads(line) == value
    assert "Amélie" in line
    assert printable(line) == line
