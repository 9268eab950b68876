"""Files written all or nothing: through a temporary file beside the target, renamed over it
only once everything was written. A failure (an exception, a full disk) leaves the target as it
was, never half-written or empty."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def atomic_text(path: Path) -> Iterator[IO[str]]:
    """A UTF-8 text stream whose content becomes path when the block ends without an error."""
    with _temporary(path) as temporary, temporary.open("w", encoding="utf-8") as stream:
        yield stream


def atomic_bytes(path: Path, data: bytes) -> None:
    with _temporary(path) as temporary:
        temporary.write_bytes(data)


@contextmanager
def _temporary(path: Path) -> Iterator[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
