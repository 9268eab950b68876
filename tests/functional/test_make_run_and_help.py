"""make help's columns, and make run saying what it does, one line per step."""

from __future__ import annotations

import re

from tests.helpers.make import dry_run, make


def test_make_help_starts_every_description_in_one_column() -> None:
    lines = make("help").stdout.splitlines()
    columns = {re.match(r"  make \S+ +", line).end() for line in lines}  # type: ignore[union-attr]
    assert len(lines) > 20 and len(columns) == 1
    assert all(re.fullmatch(r"  make \S+ {2,}\S.*", line) for line in lines)


def test_make_run_says_each_step_before_it_runs() -> None:
    lines = dry_run("run").splitlines()
    steps = [
        ("creating the virtual environment", "-m venv"),
        ("installing the CLI with spaCy and boto3", "-e '.[model,aws]'"),
        ("classifying the Othello example", "movie_classifier --title"),
    ]
    for said, command in steps:
        announced = next(i for i, line in enumerate(lines) if said in line)
        ran = next(i for i, line in enumerate(lines) if command in line)
        assert lines[announced].startswith("echo ") and announced < ran, (said, lines)
