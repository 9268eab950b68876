"""What can go wrong, each with the exit code that tells it apart; the --help text and
docs/cli.md's table are made from these classes, so the codes are written down once."""

from __future__ import annotations

from typing import ClassVar

import click


class ClassifierError(Exception):
    """A failure the user can act on: one line, and its exit code."""

    exit_code = 1
    meaning: ClassVar[str]  # for the exit-code table: what a user reads next to the code

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FileProblem(ClassifierError):
    exit_code = 1
    meaning = (
        "--file unreadable, empty or without its columns; --output not writable; "
        "or any unexpected error"
    )


class UsageProblem(ClassifierError):
    """Raised where click cannot see it (an unsafe --iam URL, an --output suffix); main turns it
    into click's own usage error, so that every usage error looks and exits alike."""

    exit_code = click.UsageError.exit_code
    meaning = (
        "usage: a missing, conflicting or invalid option; an --endpoint that is not a plain "
        "http(s) URL, or that --iam must not sign for"
    )


class ModelMissing(ClassifierError):
    exit_code = 3
    meaning = "in-process mode: no model, or spaCy not installed"


class Unreachable(ClassifierError):
    exit_code = 4
    meaning = "the endpoint cannot be reached"


class TimedOut(ClassifierError):
    exit_code = 5
    meaning = "no answer within --timeout"


class Refused(ClassifierError):
    """The server said the request was wrong (4xx)."""

    exit_code = 6
    meaning = "the API refused the request (4xx, a 403 for IAM included)"


class RefusedInput(Refused):
    """The API refused what was sent (400, 413, 422): with a file, that row alone fails, with
    reason (the server's own words) as its error."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class ServerFailed(ClassifierError):
    exit_code = 7
    meaning = (
        "the API failed (5xx), redirected (3xx: never followed), or answered something "
        "that is not its JSON"
    )


class Throttled(ClassifierError):
    exit_code = 8
    meaning = "throttled (429/503) past --retries"


class AwsProblem(ClassifierError):
    """--stack or --iam cannot work: no boto3, no credentials, no region, no such stack."""

    exit_code = 9
    meaning = (
        "--stack/--iam cannot work: no boto3, AWS credentials or region; no such stack, "
        "or no GenreApiUrl output"
    )


class JobFailed(ClassifierError):
    """A catalogue job ran, but rows went unscored for a reason of the job's, not the row's."""

    exit_code = 10
    meaning = (
        "a catalogue job (--file s3://...) failed, timed out or was stopped, or some of its "
        "batches failed: the rows it did not score are listed, and marked in --output"
    )


class RowsRefused(ClassifierError):
    """With --file, the run went through but some rows were refused, each for its own problem
    (empty, over the API's limits, refused by the server): raised once --output is written, and
    only when nothing worse happened, so that a script sees the same code in every mode."""

    exit_code = 11
    meaning = (
        "with --file: some rows were refused (empty, or over the API's limits); the others are "
        "scored, the refused rows are listed and carry their 'error' in --output"
    )

    def __init__(self, refused: int, total: int, where: str) -> None:
        super().__init__(
            f"{refused} of {total} rows were refused, each with its 'error' in {where}; "
            f"the other {total - refused} are scored"
        )


ERRORS: tuple[type[ClassifierError], ...] = (
    FileProblem,
    UsageProblem,
    ModelMissing,
    Unreachable,
    TimedOut,
    Refused,
    ServerFailed,
    Throttled,
    AwsProblem,
    JobFailed,
    RowsRefused,
)


def exit_codes() -> list[tuple[int, str]]:
    """Every exit code and what it means, in order: 0, then one per error class."""
    return [(0, "ok"), *sorted((error.exit_code, error.meaning) for error in ERRORS)]
