"""Files written all or nothing: through a new temporary file beside the target, renamed over it
only once everything was written. A failure (an exception, a full disk) leaves the target as it
was, never half-written or empty, and nothing beside it. Standard library only: training and the
CLI's light install both write through it.

A new file gets the mode any new file gets (0666 less the umask); a file replaced keeps its
mode, as a shell's `>` would.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO


@contextmanager
def atomic_text(path: Path, newline: str | None = None) -> Iterator[IO[str]]:
    """A UTF-8 text stream whose content becomes path when the block ends without an error.
    newline as open() takes it ("" for the csv module's writer)."""
    with (
        _replacing(path) as temporary,
        temporary.open("x", encoding="utf-8", newline=newline) as stream,
    ):
        yield stream


def atomic_bytes(path: Path, data: bytes) -> None:
    with _replacing(path) as temporary, temporary.open("xb") as stream:
        stream.write(data)


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A name for a new file beside path (its folders made), renamed over path when the block
    ends without an error, removed whatever happens."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        yield temporary
        with suppress(FileNotFoundError):  # a new file keeps the mode it was made with
            os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
