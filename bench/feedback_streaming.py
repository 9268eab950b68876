"""Reading users' corrections back: objects, seconds and peak memory, at growing counts.

    nice .venv/bin/python bench/feedback_streaming.py [--objects 10000 100000] [--clients 10]
        [--s3-objects 2000 20000] [--results-doc docs/results.md]

For each count it writes that many corrections as files (the layout MOVIE_GENRE_FEEDBACK_DIR and
a folder synced from S3 have: date=YYYY-MM-DD/<id>.json), each a different movie with a
description of a typical overview's length, from --clients clients, a hundredth of them not
corrections at all; with --s3-objects, as objects of a bucket of moto_server (S3 over HTTP on
loopback, in a process of its own, so that its memory is not the reader's). Then, in a fresh
Python process, it reads them as `prepare --feedback` and
`feedback export` do (genre_training.feedback_sources.read_corrections, then
genre_training.feedback.select with the default per-client cap) and prints the objects read,
the seconds, the corrections taken, and the process's peak resident memory (VmHWM) beside its
peak once the modules were imported: the reading's own peak is the difference.

What a reading holds is each client's latest movies up to the cap, never the objects read: with
a fixed set of clients the peak stays flat however many objects there are. --results-doc writes
the figures into docs/results.md's `feedback-streaming` section.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from recorded import run_recorded

SERVED = "20261127-005734-402e991a"
BUCKET = "bench-feedback"
# Dummy credentials: botocore signs requests even to loopback.
MOTO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
# About the median overview's length in the repository's data (255 characters).
PLOT = (
    "A retired detective returns to the small coastal town where he grew up to investigate the "
    "disappearance of a fisherman, and finds that the people he once knew are hiding a secret "
    "that could tear the community apart. Number {i}."
)


def corrections(objects: int, clients: int) -> Iterator[tuple[str, bytes]]:
    """(key, body) of each object: corrections, and a hundredth that are not."""
    from genre_model.corrections import new_correction

    start = datetime(2026, 12, 1, tzinfo=UTC)
    for i in range(objects):
        if i % 100 == 99:
            yield f"date=2026-12-{1 + i % 28:02d}/junk-{i}.json", b"[" * 1000
            continue
        correction = new_correction(
            title=f"Movie {i}",
            description=PLOT.format(i=i),
            genres=["Drama", "Thriller"],
            served_by=SERVED,
            client=f"ip-hmac:{i % clients:032x}",
            now=start + timedelta(seconds=i),
        )
        yield correction.object_key(""), correction.encode()


def write_folder(folder: Path, objects: int, clients: int) -> str:
    for key, body in corrections(objects, clients):
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        (folder / key).write_bytes(body)
    return str(folder)


@contextmanager
def moto_bucket(objects: int, clients: int) -> Iterator[tuple[str, dict[str, str]]]:
    """A moto_server holding the objects under s3://BUCKET/feedback; yields the source and the
    environment that reaches it."""
    import boto3

    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {**os.environ, **MOTO_ENV, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    try:
        while not answers(port):
            time.sleep(0.1)
        s3 = boto3.client(
            "s3",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=MOTO_ENV["AWS_DEFAULT_REGION"],
            aws_access_key_id=MOTO_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=MOTO_ENV["AWS_SECRET_ACCESS_KEY"],
        )
        s3.create_bucket(Bucket=BUCKET)
        with ThreadPoolExecutor(16) as pool:
            for _ in pool.map(
                lambda item: s3.put_object(Bucket=BUCKET, Key=f"feedback/{item[0]}", Body=item[1]),
                corrections(objects, clients),
            ):
                pass
        yield f"s3://{BUCKET}/feedback", env
    finally:
        server.terminate()
        server.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def peak_memory_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: Linux keeps that across
    exec, so a child started by a large parent would begin at the parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (this benchmark measures on Linux)")


def read_back(source: str) -> dict[str, float]:
    """Run in the child process: the reading alone, and the memory it took."""
    import boto3  # noqa: F401  (imported before the baseline: S3's reading imports it)

    from genre_training.feedback import DEFAULT_MAX_PER_CLIENT, FeedbackReport, select
    from genre_training.feedback_sources import read_corrections

    before = peak_memory_mb()
    started = time.perf_counter()
    report = FeedbackReport(source, DEFAULT_MAX_PER_CLIENT)
    taken = select(read_corrections(source), report)
    seconds = time.perf_counter() - started
    return {
        "objects": report.read,
        "taken": len(taken),
        "ignored": sum(report.ignored.values()),
        "seconds": seconds,
        "rss_after_imports_mb": before,
        "peak_rss_mb": peak_memory_mb(),
    }


def measure(folder_counts: list[int], s3_counts: list[int], clients: int) -> None:
    print(f"corrections from {clients} clients, read as `prepare --feedback` reads them")
    print(
        "source  objects  taken  ignored  seconds  objects/s  memory after imports  peak  "
        "reading's own"
    )
    for objects in folder_counts:
        with tempfile.TemporaryDirectory() as folder:
            show("folder", read_in_child(write_folder(Path(folder), objects, clients), None))
    for objects in s3_counts:
        with moto_bucket(objects, clients) as (source, env):
            show("S3", read_in_child(source, env))


def read_in_child(source: str, env: dict[str, str] | None) -> dict[str, float]:
    child = subprocess.run(
        [sys.executable, __file__, "--read", source],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    figures: dict[str, float] = json.loads(child.stdout)
    return figures


def show(source: str, figures: dict[str, float]) -> None:
    own = figures["peak_rss_mb"] - figures["rss_after_imports_mb"]
    print(
        f"{source:<6}  {figures['objects']:>7.0f}  {figures['taken']:>5.0f}  "
        f"{figures['ignored']:>7.0f}  {figures['seconds']:>7.1f}  "
        f"{figures['objects'] / figures['seconds']:>9.0f}  "
        f"{figures['rss_after_imports_mb']:>17.1f} MB  {figures['peak_rss_mb']:.1f} MB  "
        f"{own:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--s3-objects", type=int, nargs="*", default=[])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--results-doc", type=Path, default=None)
    parser.add_argument("--read", help=argparse.SUPPRESS)  # the child process's own job
    options = parser.parse_args()
    if options.read:
        print(json.dumps(read_back(options.read)))
        return
    run_recorded(
        lambda: measure(options.objects, options.s3_objects, options.clients),
        options.results_doc,
        "feedback-streaming",
        "Reading users' corrections back, `bench/feedback_streaming.py`",
    )


if __name__ == "__main__":
    main()
