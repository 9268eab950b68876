"""What a benchmark prints, also written into its section of docs/results.md (--results-doc), so
that the docs quote each figure from one place: the run that measured it."""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from genre_training.results_doc import write_section

REPO = Path(__file__).resolve().parents[1]


def repository_relative(text: str) -> str:
    """text with the repository's paths (models/default, build/...) relative to it: the docs
    quote no machine's own folders."""
    return text.replace(f"{REPO}/", "").replace(str(REPO), ".")


class Tee(io.TextIOBase):
    """A text stream that writes to several."""

    def __init__(self, *streams: TextIO) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)


def run_recorded(measure: Callable[[], None], doc: Path | None, section: str, title: str) -> None:
    """Run measure, printing as usual; then, with doc, put what it printed (on stdout and stderr)
    in doc's section."""
    printed = io.StringIO()
    with (
        contextlib.redirect_stdout(Tee(sys.stdout, printed)),
        contextlib.redirect_stderr(Tee(sys.stderr, printed)),
    ):
        measure()
    if doc is None:
        return
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
    shown = repository_relative(printed.getvalue()).rstrip()
    write_section(
        doc,
        section,
        f"## {title} ({datetime.now(UTC):%Y-%m-%d})\n\n"
        f"`bench/{command}` printed:\n\n```\n{shown}\n```",
    )
    print(f"written to {doc}, section {section}")
