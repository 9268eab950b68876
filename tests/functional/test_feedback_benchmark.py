"""bench/feedback_streaming.py runs and prints its figures (a few objects: the real counts are
its own run's, in docs/results.md)."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers.data import REPO


def test_the_streaming_benchmark_prints_objects_seconds_and_memory() -> None:
    printed = subprocess.run(
        [sys.executable, str(REPO / "bench" / "feedback_streaming.py"), "--objects", "300"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout.splitlines()
    assert printed[0] == "corrections from 10 clients, read as `prepare --feedback` reads them"
    objects, taken, ignored, *_ = printed[2].split()
    assert (objects, taken, ignored) == ("300", "297", "3")  # one in a hundred is not one
    assert printed[2].endswith(" MB")
