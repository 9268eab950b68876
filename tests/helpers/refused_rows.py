"""A catalogue of real movies in which a few rows break the API's limits: what every mode of
movie_classifier (in-process, over HTTP, a catalogue job) must answer row by row alike."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from genre_model.movie_fields import MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS, MAX_WORD_CHARS
from tests.helpers.data import MAIN_DATA

# CSV row number (1-based data row) -> what makes the API refuse it, and the error it gets.
REFUSED = {
    7: ("title", "T" * (MAX_TITLE_CHARS + 1), f"title over {MAX_TITLE_CHARS} characters"),
    42: (
        "overview",
        "plot " * (MAX_DESCRIPTION_CHARS // 5 + 1),
        f"description over {MAX_DESCRIPTION_CHARS} characters",
    ),
    70: (
        "overview",
        "a " + "w" * (MAX_WORD_CHARS + 1),
        f"description has a word over {MAX_WORD_CHARS} characters",
    ),
}


def catalogue_with_refused_rows(path: Path, rows: int = 100) -> dict[int, str]:
    """Write `rows` real movies (title, overview: movies_metadata.csv's columns) to path, the
    rows of REFUSED changed to break a limit; each refused row's number and its error."""
    frame = pd.read_csv(MAIN_DATA, dtype=str, keep_default_na=False, nrows=rows * 2)
    frame = frame[(frame["title"].str.strip() != "") & (frame["overview"].str.strip() != "")]
    frame = frame[["id", "title", "overview"]].head(rows).reset_index(drop=True)
    assert len(frame) == rows
    for number, (column, text, _) in REFUSED.items():
        frame.loc[number - 1, column] = text
    frame.to_csv(path, index=False)
    return {number: error for number, (_, _, error) in REFUSED.items()}
