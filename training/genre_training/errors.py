"""The failures a training step reports as one line and a non-zero exit."""

from __future__ import annotations

from pathlib import Path


class StepError(Exception):
    """A step cannot run or cannot finish: its message says what to do about it."""


def require_file(path: Path, made_by: str) -> Path:
    """path, or a StepError that names the step that makes it."""
    if not path.is_file():
        raise StepError(f"{path} is missing: it is written by `{made_by}`; run that first")
    return path
