"""A catalogue job's merge (movie_classifier --collect): peak memory while it reads one large
ResultWriter file, against reading that file whole as the merge did before.

    .venv/bin/python bench/catalogue_merge.py [--megabytes 50] [--runs 3] [--results-doc FILE]

Writes a ResultWriter file of about --megabytes MB (SUCCEEDED records in AWS's format, 256
movies a batch: overviews of data/movies/ as the Map sends them, and the function's answers), and
a manifest, on local disk behind a stand-in S3 client that streams objects from disk (so the
file is never in memory unless the reader puts it there). Then, each run in a fresh process:

- merge: collect(), the CLI's merge, from the manifest to a .jsonl output;
- whole: json.loads of the file's bytes, as the merge read each file before, and no more.

Peak memory is tracemalloc's peak of Python allocations during the call (the interpreter and
its imports excluded); the figures are medians of --runs runs, with their ratio.
--results-doc writes what it printed into that document's `catalogue-merge` section.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

from recorded import run_recorded

REPO = Path(__file__).resolve().parents[1]
BATCH = 256
BUCKET, PREFIX, RUN = "bench", "results/job", "run-1"
SCORES = {"Action": 0.12, "Comedy": 0.45, "Drama": 0.71, "Romance": 0.2, "Thriller": 0.08}


class DiskS3:
    """get_object from files under a folder (bucket/key), as a stream, like boto3's."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # boto3's parameter names
        from botocore.response import StreamingBody

        path = self.root / Bucket / Key
        return {"Body": StreamingBody(path.open("rb"), path.stat().st_size)}


def overviews() -> list[tuple[str, str]]:
    import pandas as pd

    from genre_training.corpus import DEFAULT_DATA

    frame = pd.read_csv(DEFAULT_DATA, dtype=str, keep_default_na=False, nrows=5000)
    frame = frame[frame["overview"].str.strip() != ""]
    return list(zip(frame["title"], frame["overview"], strict=True))


def write_job(root: Path, megabytes: int) -> int:
    """The result file and its manifest under root; how many rows they hold."""
    movies = overviews()
    folder = root / BUCKET / PREFIX / RUN
    folder.mkdir(parents=True)
    result_file = folder / "SUCCEEDED_0.json"
    rows = 0
    with result_file.open("w", encoding="utf-8") as stream:
        stream.write("[")
        while stream.tell() < megabytes * 1_000_000:
            items = [
                {
                    "index": rows + i,
                    "movie": dict(
                        zip(("title", "overview"), movies[(rows + i) % len(movies)], strict=True)
                    ),
                }
                for i in range(BATCH)
            ]
            results = [
                {"index": item["index"], "genre": "Drama", "genres": ["Drama"], "scores": SCORES}
                for item in items
            ]
            record = {
                "ExecutionArn": f"arn:aws:states:us-east-1:123456789012:express:m/S:{RUN}:{rows}",
                "Input": json.dumps({"Items": items, "BatchInput": {"format": "csv"}}),
                "InputDetails": {"Included": True},
                "Output": json.dumps({"model_version": "bench", "results": results}),
                "OutputDetails": {"Included": True},
                "Status": "SUCCEEDED",
            }
            stream.write(("," if rows else "") + json.dumps(record))
            rows += BATCH
        stream.write("]")
    manifest = {
        "DestinationBucket": BUCKET,
        "ResultFiles": {"SUCCEEDED": [{"Key": f"{PREFIX}/{RUN}/SUCCEEDED_0.json"}]},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return rows


def measure(root: Path, rows: int, mode: str) -> tuple[float, int]:
    """In this process: (peak MB of Python allocations, file bytes) of one merge or whole read."""
    from movie_classifier.catalogue_job import Execution, ItemCounts, JobInput
    from movie_classifier.catalogue_results import collect
    from movie_classifier.s3_location import S3Location

    result_file = root / BUCKET / PREFIX / RUN / "SUCCEEDED_0.json"
    job = JobInput("csv", S3Location("in", "input/m.csv"), S3Location(BUCKET, PREFIX))
    details = {"Bucket": BUCKET, "Key": f"{PREFIX}/{RUN}/manifest.json"}
    execution = Execution(
        "arn", "SUCCEEDED", job, {"ResultWriterDetails": details}, items=ItemCounts(rows, rows)
    )
    with tempfile.TemporaryDirectory() as work:
        tracemalloc.start()
        if mode == "merge":
            summary = collect(DiskS3(root), execution, Path(work) / "out.jsonl", Path(work))
            assert summary.scored == rows, summary
        else:
            body = DiskS3(root).get_object(BUCKET, str(result_file.relative_to(root / BUCKET)))
            records = json.loads(body["Body"].read())
            assert len(records) * BATCH == rows
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak / 1e6, result_file.stat().st_size


def compare(megabytes: int, runs: int) -> None:
    """Write the job, measure both readings `runs` times, interleaved, and print the figures."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        rows = write_job(root, megabytes)
        peaks: dict[str, list[float]] = {"merge": [], "whole": []}
        size = 0
        for _ in range(runs):
            for mode in peaks:  # interleaved, each in a fresh process
                child = [sys.executable, __file__, "--child", str(root), str(rows), mode]
                answer = subprocess.run(child, capture_output=True, text=True, check=True, cwd=REPO)
                peak, size = json.loads(answer.stdout)
                peaks[mode].append(peak)
    merge, whole = (statistics.median(peaks[mode]) for mode in ("merge", "whole"))
    print(f"result file: {size / 1e6:.1f} MB, {rows} rows in {rows // BATCH} records")
    print(f"peak Python memory, median of {runs} runs (tracemalloc):")
    print(f"  merge (streamed, this CLI):   {merge:7.1f} MB  runs {peaks['merge']}")
    print(f"  json.loads of the whole file: {whole:7.1f} MB  runs {peaks['whole']}")
    print(f"  merge / whole: {merge / whole:.3f}; merge / file size: {merge / (size / 1e6):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--results-doc", type=Path, help="write its section (docs/results.md)")
    parser.add_argument(
        "--child", nargs=3, metavar=("ROOT", "ROWS", "MODE"), help=argparse.SUPPRESS
    )
    arguments = parser.parse_args()
    if arguments.child:
        root, rows, mode = arguments.child
        print(json.dumps(measure(Path(root), int(rows), mode)))
        return
    run_recorded(
        lambda: compare(arguments.megabytes, arguments.runs),
        arguments.results_doc,
        "catalogue-merge",
        "Catalogue merge memory, `movie_classifier --collect`",
    )


if __name__ == "__main__":
    main()
