"""bench/feedback_streaming.py runs and prints its figures (a few objects: the real counts are
its own run's, in docs/results.md)."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers.data import REPO


def test_the_streaming_benchmark_prints_objects_seconds_and_memory() -> None:
    printed = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "feedback_streaming.py"),
            *("--objects", "300", "--s3-objects", "300"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout.splitlines()
    assert printed[0] == "corrections from 10 clients, read as `prepare --feedback` reads them"
    for line, source in zip(printed[2:], ("folder", "S3"), strict=True):
        where, objects, taken, ignored, *_ = line.split()
        assert (where, objects, taken, ignored) == (source, "300", "297", "3")  # 1% not ones
        assert line.endswith(" MB")
