"""Reading users' corrections back: objects, seconds and peak memory, at growing counts.

    nice .venv/bin/python bench/feedback_streaming.py [--objects 10000 100000] [--clients 10]
        [--results-doc docs/results.md]

For each count it writes that many corrections as files (the layout MOVIE_GENRE_FEEDBACK_DIR and
a folder synced from S3 have: date=YYYY-MM-DD/<id>.json), each a different movie with a
description of a typical overview's length, from --clients clients, a hundredth of them not
corrections at all. Then, in a fresh Python process, it reads them as `prepare --feedback` and
`feedback export` do (genre_training.feedback_sources.read_corrections, then
genre_training.feedback.select with the default per-client cap) and prints the objects read,
the seconds, the corrections taken, and the process's peak resident memory (ru_maxrss) beside
its memory once the modules were imported: the reading's own peak is the difference.

What a reading holds is each client's latest movies up to the cap, never the objects read: with
a fixed set of clients the peak stays flat however many objects there are. --results-doc writes
the figures into docs/results.md's `feedback-streaming` section.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from recorded import run_recorded

SERVED = "20261127-005734-402e991a"
# About the median overview's length in the repository's data (255 characters).
PLOT = (
    "A retired detective returns to the small coastal town where he grew up to investigate the "
    "disappearance of a fisherman, and finds that the people he once knew are hiding a secret "
    "that could tear the community apart. Number {i}."
)


def write_corrections(folder: Path, objects: int, clients: int) -> None:
    from genre_model.corrections import new_correction

    start = datetime(2026, 12, 1, tzinfo=UTC)
    for i in range(objects):
        path = folder / f"date=2026-12-{1 + i % 28:02d}"
        if i % 100 == 99:  # a hundredth that are not corrections
            path.mkdir(parents=True, exist_ok=True)
            (path / f"junk-{i}.json").write_text("[" * 1000, encoding="utf-8")
            continue
        correction = new_correction(
            title=f"Movie {i}",
            description=PLOT.format(i=i),
            genres=["Drama", "Thriller"],
            served_by=SERVED,
            client=f"ip-hmac:{i % clients:032x}",
            now=start + timedelta(seconds=i),
        )
        target = folder / correction.object_key("")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(correction.encode())


def read_back(folder: str) -> dict[str, float]:
    """Run in the child process: the reading alone, and the memory it took."""
    from genre_training.feedback import DEFAULT_MAX_PER_CLIENT, FeedbackReport, select
    from genre_training.feedback_sources import read_corrections

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = FeedbackReport(folder, DEFAULT_MAX_PER_CLIENT)
    taken = select(read_corrections(folder), report)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "objects": report.read,
        "taken": len(taken),
        "ignored": sum(report.ignored.values()),
        "seconds": seconds,
        "rss_after_imports_mb": before / 1024,
        "peak_rss_mb": peak / 1024,
    }


def measure(objects_counts: list[int], clients: int) -> None:
    print(f"corrections from {clients} clients, read as `prepare --feedback` reads them")
    print("objects  taken  ignored  seconds  objects/s  memory after imports  peak  reading's own")
    for objects in objects_counts:
        with tempfile.TemporaryDirectory() as folder:
            write_corrections(Path(folder), objects, clients)
            child = subprocess.run(
                [sys.executable, __file__, "--read", folder],
                capture_output=True,
                text=True,
                check=True,
            )
        figures = json.loads(child.stdout)
        own = figures["peak_rss_mb"] - figures["rss_after_imports_mb"]
        print(
            f"{figures['objects']:>7.0f}  {figures['taken']:>5.0f}  {figures['ignored']:>7.0f}  "
            f"{figures['seconds']:>7.1f}  {figures['objects'] / figures['seconds']:>9.0f}  "
            f"{figures['rss_after_imports_mb']:>17.1f} MB  {figures['peak_rss_mb']:.1f} MB  "
            f"{own:.1f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--results-doc", type=Path, default=None)
    parser.add_argument("--read", help=argparse.SUPPRESS)  # the child process's own job
    options = parser.parse_args()
    if options.read:
        print(json.dumps(read_back(options.read)))
        return
    run_recorded(
        lambda: measure(options.objects, options.clients),
        options.results_doc,
        "feedback-streaming",
        "Reading users' corrections back, `bench/feedback_streaming.py`",
    )


if __name__ == "__main__":
    main()
