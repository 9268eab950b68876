"""A reviewer's answers read back: the Prodigy JSONL that `prodigy db-out` writes of the tasks
`feedback export` (or prepare's evaluation_corrections.jsonl) gave the reviewer.

Each line is a choice task: `answer` is accept, reject or ignore, and `accept` the options the
reviewer left selected; `title`, `description` and `meta` are the ones the export wrote. A line
that is not such an answer is ignored with its reason, like any object that is not a correction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genre_model.corrections import MAX_RECORD_BYTES
from genre_training.feedback_sources import FeedbackError, Ignored

ANSWERS = ("accept", "reject", "ignore")


@dataclass(frozen=True)
class Review:
    title: str
    description: str
    answer: str  # one of ANSWERS
    accept: tuple[str, ...]  # the genres the reviewer selected
    meta: dict[str, Any]  # the exported correction's id, time and model


def read_reviewed(path: Path) -> Iterator[Review | Ignored]:
    """Every line of path, as a Review or Ignored; FeedbackError when it cannot be opened."""
    try:
        stream = path.open("rb")
    except OSError as error:
        raise FeedbackError(f"--feedback-reviewed {path}: {error.strerror}") from error
    with stream:
        for number, line in enumerate(_lines(stream), start=1):
            where = f"{path}:{number}"
            if line is None:
                yield Ignored(where, f"a line of more than {MAX_RECORD_BYTES} bytes")
            elif line.strip():
                yield _review(where, line)


def _lines(stream: Any) -> Iterator[bytes | None]:
    """The lines of stream, each read at most MAX_RECORD_BYTES at a time (None for a longer
    one, whose rest is skipped)."""
    while line := stream.readline(MAX_RECORD_BYTES + 1):
        if len(line) <= MAX_RECORD_BYTES or line.endswith(b"\n"):
            yield line
            continue
        while (rest := stream.readline(MAX_RECORD_BYTES)) and not rest.endswith(b"\n"):
            pass
        yield None


def _review(where: str, line: bytes) -> Review | Ignored:
    try:
        record = json.loads(line.decode("utf-8"))
        json.dumps(record, ensure_ascii=False).encode("utf-8")  # refuses lone surrogates
    except (UnicodeError, ValueError, RecursionError) as error:
        return Ignored(where, f"not a UTF-8 JSON line ({type(error).__name__})")
    if not isinstance(record, dict):
        return Ignored(where, f"not a JSON object but {type(record).__name__}")
    answer, accept, meta = record.get("answer"), record.get("accept", []), record.get("meta", {})
    title, description = record.get("title"), record.get("description")
    if answer not in ANSWERS:
        return Ignored(where, f"answer {answer!r:.60} is not one of {', '.join(ANSWERS)}")
    if not (isinstance(title, str) and title.strip()):
        return Ignored(where, "no title (a task that `feedback export` did not write)")
    if not (isinstance(description, str) and description.strip()):
        return Ignored(where, "no description (a task that `feedback export` did not write)")
    if not (isinstance(accept, list) and all(isinstance(g, str) for g in accept)):
        return Ignored(where, "accept is not a list of genre names")
    if not isinstance(meta, dict):
        return Ignored(where, "meta is not an object")
    return Review(title, description, answer, tuple(dict.fromkeys(accept)), meta)
