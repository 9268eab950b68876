"""The fields a file of movies names its text by: a title, and a description or, as in The Movies
Dataset's movies_metadata.csv, an overview. The CLI's --file and the function's catalogue batches
read the same fields, and refuse a movie's text by the same limits. Standard library only: the CLI
imports it without spaCy."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

TITLE_FIELD = "title"
DESCRIPTION_FIELDS = ("description", "overview")  # ours first, then movies_metadata.csv's
# A CSV written with a byte-order mark may name its first column "\ufefftitle".
BOM = "\ufeff"


def description_field(names: Collection[str]) -> str | None:
    """The field that holds the description among names: 'description', else 'overview'."""
    return next((name for name in DESCRIPTION_FIELDS if name in names), None)


def named_fields(row: Mapping[object, object]) -> dict[str, object]:
    """A row's fields by name, a leading byte-order mark dropped from each name."""
    return {str(name).lstrip(BOM): value for name, value in row.items()}


# The API's limits on a movie's text, one definition for every way a movie is scored: the API's
# settings take their defaults from here (MOVIE_GENRE_MAX_*), its catalogue batches and the CLI's
# --file (in-process and over HTTP) refuse a row by the same rules, in the same words.
MAX_TITLE_CHARS = 300
MAX_DESCRIPTION_CHARS = 5000
MAX_BATCH = 256
# The longest word a text may have: a run of characters without whitespace. spaCy's tokenizer
# peels a word's prefixes and suffixes one character at a time, in a time that grows with the
# square of its length, so a batch of long runs of "(" would outlast the function's timeout.
# The words of the training data's titles and overviews are far shorter than this limit.
MAX_WORD_CHARS = 100
# The API's JSON schema is ECMA-262's dialect: its \s is this set, which differs from Python's
# str.isspace (for example "\x1d"). Every check of blank text and of words uses the same set.
ECMA_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_LONG_WORD = re.compile(f"[^{re.escape(ECMA_WHITESPACE)}]{{{MAX_WORD_CHARS + 1}}}")


@dataclass(frozen=True)
class TextLimits:
    """The most characters a title and a description may have (a deployment's settings)."""

    title_chars: int = MAX_TITLE_CHARS
    description_chars: int = MAX_DESCRIPTION_CHARS


def has_long_word(value: str) -> bool:
    """Whether value has a word over MAX_WORD_CHARS characters."""
    return _LONG_WORD.search(value) is not None


def is_blank(value: str) -> bool:
    return not value.strip(ECMA_WHITESPACE)


def text_problem(text: str, what: str, max_chars: int) -> str | None:
    """Why the API refuses a field's text (as sent: stripped), in the words every mode writes
    in a row's `error`; None when it takes it."""
    if is_blank(text):
        return f"empty {what}"
    if len(text) > max_chars:
        return f"{what} over {max_chars} characters"
    if has_long_word(text):
        return f"{what} has a word over {MAX_WORD_CHARS} characters"
    return None


def movie_problem(title: str, description: str, limits: TextLimits = TextLimits()) -> str | None:
    """Why the API refuses a movie (its texts as sent), or None."""
    problems = [
        text_problem(title, "title", limits.title_chars),
        text_problem(description, "description", limits.description_chars),
    ]
    if problems == ["empty title", "empty description"]:
        return "empty title and description"
    return "; ".join(problem for problem in problems if problem) or None
