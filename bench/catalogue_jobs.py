"""Catalogue jobs: movies/s per batch invocation, measured, and what a job costs, estimated.

    .venv/bin/python bench/catalogue_jobs.py [--minilm DIR] [--runs 5] [--results-doc]

Measured here, through the Lambda handler (build_handler, logs and metrics on) with the batch
event the Distributed Map sends (statemachine/catalogue.asl.json: CSV rows of
data/movies/movies_reconstructed.csv.gz as {index, movie} items): the median time of one
invocation at 64, 256 and 512 movies, interleaved, on distinct rows, for the bag-of-words model
(models/default) and the minilm recipe (--minilm DIR, else a small model of the recipe trained
here on 160 rows: the same architecture, tokenizer and int8 export as the full model, hence the
same inference cost); and the handler's init (model load, sha256 check, golden set).

Estimated from those figures: wall time and cost of 1M and 10M movies at MaxConcurrency 100 and
1,000 with AWS's published prices (us-east-1; the PRICES table says where and when they were
read). What is assumed, not measured, is said beside each figure: above all that Lambda's 1024
MB (template.yaml) gets 1024/1769 of a vCPU (AWS: 1,769 MB has one), so that a single-threaded
batch runs 1769/1024 times longer there than on one core here; and a Lambda core as fast as one
of this machine's (they differ by up to 2x between sessions here).

--results-doc writes the figures into docs/results.md's `catalogue` section.

(Not bench/catalogue.py: a script's folder comes first on sys.path, and a catalogue.py there
would stand in for the `catalogue` package that spaCy's registries import.)
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from serving import CONTEXT_FIELDS, HANDLER_ON, REPO, output_discarded, run_fresh

BATCH_SIZES = (64, 256, 512)
COLD_RUNS = 3
MOVIES = (1_000_000, 10_000_000)
CONCURRENCY = (100, 1_000)
JOB_BATCH = 256  # MaxBatch's default (template.yaml): what the estimates use
# Issue 20's target, for the accurate (minilm) model: 1M movies in 5 minutes for $1.
TARGET_MOVIES, TARGET_SECONDS, TARGET_DOLLARS = 1_000_000, 300.0, 1.0
LAMBDA_MEMORY_MB = 1024  # template.yaml's GenreFunction MemorySize
VCPU_MB = 1769  # AWS: a function with 1,769 MB has the equivalent of one vCPU
# Assumed, not measured: what Step Functions adds to each child workflow around the invoke.
CHILD_OVERHEAD_S = 0.1
EXPRESS_MEMORY_GB = 64 / 1024  # a small child workflow bills in 64 MB chunks
# Assumed: the ItemReader reads and the ResultWriter writes in requests of at least 1 MiB.
S3_REQUEST_BYTES = 1024 * 1024
READ_AT = "2026-11-29"
PRICES = {  # us-east-1, as the pages listed them when read (READ_AT)
    "lambda_gb_s": (0.0000166667, "https://aws.amazon.com/lambda/pricing/ (x86, first 6B GB-s)"),
    "lambda_request": (0.20 / 1e6, "https://aws.amazon.com/lambda/pricing/"),
    "transition": (0.025 / 1000, "https://aws.amazon.com/step-functions/pricing/ (Standard)"),
    "express_request": (1.00 / 1e6, "https://aws.amazon.com/step-functions/pricing/ (Express)"),
    "express_gb_s": (
        0.00001667,
        "https://aws.amazon.com/step-functions/pricing/ (Express, first 1,000 GB-hours)",
    ),
    "s3_put": (0.005 / 1000, "https://aws.amazon.com/s3/pricing/ (Standard PUT, COPY, POST, LIST)"),
    "s3_get": (0.0004 / 1000, "https://aws.amazon.com/s3/pricing/ (Standard GET)"),
}


@dataclass(frozen=True)
class Measured:
    model: str
    what: str  # which model was measured
    cold_s: float  # a fresh process: imports, model load, sha256 and golden checks, an answer
    seconds: dict[int, float]  # median seconds per invocation, by batch size
    row_bytes: float  # a row's bytes in the catalogue (CSV), on average


def catalogue_rows(count: int) -> list[dict[str, str]]:
    """Rows of the repository's data file with a title and an overview, as the ItemReader reads
    a CSV: every column, every value text."""
    from genre_training.corpus import DEFAULT_DATA

    with gzip.open(DEFAULT_DATA, "rt", encoding="utf-8", newline="") as stream:
        rows = (r for r in csv.DictReader(stream) if r["title"].strip() and r["overview"].strip())
        return [row for _, row in zip(range(count), rows, strict=False)]


def batch_event(rows: list[dict[str, str]], first: int) -> dict[str, Any]:
    items = [{"index": first + i, "movie": row} for i, row in enumerate(rows)]
    return {"Items": items, "BatchInput": {"format": "csv"}}


def measure(model: str, what: str, model_dir: Path, runs: int) -> Measured:
    """The handler's init, then the median seconds of an invocation per batch size, each
    invocation on rows no other has seen."""
    from genre_api.service import build_handler
    from genre_api.settings import Settings

    needed = runs * sum(BATCH_SIZES) + max(BATCH_SIZES)
    rows = catalogue_rows(needed)
    if len(rows) < needed:
        raise SystemExit(f"the data file has {len(rows)} usable rows, {needed} needed")
    take = batches_of(rows)
    cold_s = statistics.median(run_fresh(HANDLER_ON, model_dir)[0] for _ in range(COLD_RUNS))
    settings = Settings(model_dir=model_dir, max_batch=max(BATCH_SIZES))
    times: dict[int, list[float]] = {size: [] for size in BATCH_SIZES}
    context = type("Context", (), CONTEXT_FIELDS)()
    with output_discarded():
        handler = build_handler(settings)
        handler(take(max(BATCH_SIZES)), context)  # warm
        for _ in range(runs):  # interleaved: the machine's drift spreads over every size
            for size in BATCH_SIZES:
                event = take(size)
                started = time.perf_counter()
                answer = handler(event, context)
                times[size].append(time.perf_counter() - started)
                if not all("genre" in result for result in answer["results"]):
                    raise SystemExit(f"{model}: a row was not scored: {answer}")
    row_bytes = statistics.mean(len(",".join(r.values()).encode()) + 1 for r in rows)
    medians = {size: statistics.median(found) for size, found in times.items()}
    return Measured(model, what, cold_s, medians, row_bytes)


def batches_of(rows: list[dict[str, str]]) -> Callable[[int], dict[str, Any]]:
    """take(size): the batch event of the next size rows."""
    first = 0

    def take(size: int) -> dict[str, Any]:
        nonlocal first
        event = batch_event(rows[first : first + size], first)
        first += size
        return event

    return take


def lambda_seconds(measured_s: float) -> float:
    """An invocation's duration in Lambda at LAMBDA_MEMORY_MB (assumed: CPU-bound, one
    thread, a Lambda vCPU as fast as a core here)."""
    return measured_s * VCPU_MB / LAMBDA_MEMORY_MB


@dataclass(frozen=True)
class Estimate:
    movies: int
    concurrency: int
    wall_s: float
    costs: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.costs.values())


def estimate(m: Measured, movies: int, concurrency: int, batch: int = JOB_BATCH) -> Estimate:
    price = {name: value for name, (value, _) in PRICES.items()}
    batches = math.ceil(movies / batch)
    invoke_s = lambda_seconds(m.seconds[batch])
    child_s = math.ceil((invoke_s + CHILD_OVERHEAD_S) * 10) / 10  # billed by 100 ms
    waves = math.ceil(batches / concurrency)
    wall_s = lambda_seconds(m.cold_s) + waves * (invoke_s + CHILD_OVERHEAD_S)
    catalogue_bytes = movies * m.row_bytes
    costs = {
        "lambda": batches
        * (invoke_s * LAMBDA_MEMORY_MB / 1024 * price["lambda_gb_s"] + price["lambda_request"]),
        # One transition per child workflow the Map starts, and the parent's own few.
        "transitions": (batches + 3) * price["transition"],
        "express": batches
        * (price["express_request"] + child_s * EXPRESS_MEMORY_GB * price["express_gb_s"]),
        # Read once; written about twice over (each batch's input beside its results).
        "s3": math.ceil(catalogue_bytes / S3_REQUEST_BYTES) * price["s3_get"]
        + math.ceil(2 * catalogue_bytes / S3_REQUEST_BYTES) * price["s3_put"],
    }
    return Estimate(movies, concurrency, wall_s, costs)


def duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def report(measured: list[Measured]) -> str:
    lines = [
        f"## Catalogue jobs ({date.today():%Y-%m-%d}, `bench/catalogue_jobs.py`)",
        "",
        "Measured here (one core, one thread, as in Lambda), through the Lambda handler with the "
        "Distributed Map's batch event; median of interleaved invocations on distinct rows:",
        "",
        "| model | measured | cold start (s) | batch | s per invocation | movies/s |",
        "|---|---|---|---|---|---|",
    ]
    for m in measured:
        for size in BATCH_SIZES:
            lines.append(
                f"| `{m.model}` | {m.what} | {m.cold_s:.2f} | {size} | {m.seconds[size]:.3f} "
                f"| {size / m.seconds[size]:.0f} |"
            )
    lines += [
        "",
        f"Estimated for a job (batches of {JOB_BATCH}, Lambda at {LAMBDA_MEMORY_MB} MB): the "
        f"measured seconds x {VCPU_MB}/{LAMBDA_MEMORY_MB} (AWS: {VCPU_MB} MB = one vCPU; a "
        f"Lambda vCPU assumed as fast as a core here), {CHILD_OVERHEAD_S} s per child workflow "
        "(assumed), a cold start once (measured: a fresh process, scaled alike); prices below. "
        "Wall time counts waves of MaxConcurrency batches: neither Lambda's scaling (1,000 "
        "instances per 10 s) nor the Map's ramp-up is in it.",
        "",
        "| model | movies | MaxConcurrency | wall time | Lambda | transitions | Express | S3 "
        "| total |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m in measured:
        for movies in MOVIES:
            for concurrency in CONCURRENCY:
                e = estimate(m, movies, concurrency)
                c = e.costs
                lines.append(
                    f"| `{m.model}` | {movies:,} | {concurrency:,} | {duration(e.wall_s)} "
                    f"| ${c['lambda']:.2f} | ${c['transitions']:.2f} | ${c['express']:.3f} "
                    f"| ${c['s3']:.3f} | ${e.total:.2f} |"
                )
    lines += ["", *target_lines(measured), "", "Prices (us-east-1, read " + READ_AT
              + "):", ""]  # fmt: skip
    lines += [f"- {name}: ${value:.10g} ({where})" for name, (value, where) in PRICES.items()]
    return "\n".join(lines) + "\n"


def target_lines(measured: list[Measured]) -> list[str]:
    """Whether the accurate model scores 1M movies within 5 minutes and $1, by batch size at the
    smallest concurrency of the table."""
    accurate = next((m for m in measured if m.model == "minilm"), None)
    if accurate is None:
        return []
    concurrency = min(CONCURRENCY)
    lines = [
        f"Target: {TARGET_MOVIES:,} movies with minilm in at most 5 min for at most $1, at "
        f"MaxConcurrency {concurrency}:",
        "",
    ]
    for batch in BATCH_SIZES:
        e = estimate(accurate, TARGET_MOVIES, concurrency, batch)
        met = e.wall_s <= TARGET_SECONDS and e.total <= TARGET_DOLLARS
        lines.append(
            f"- batches of {batch}: {duration(e.wall_s)}, ${e.total:.2f}: "
            f"{'met' if met else 'not met'} (on paper)"
        )
    return lines


def build_small_minilm(root: Path) -> Path:
    """Train a small model of the minilm recipe in a process of its own (it needs PyTorch, which
    this one keeps out, as the function image does); its artifact."""
    code = (
        "import json, sys; from pathlib import Path\n"
        "from tests.helpers.data import FIXTURE_ROWS, train_and_package\n"
        "from tests.helpers.minilm import train_small_minilm\n"
        "root = Path(sys.argv[1])\n"
        "trained = train_and_package(FIXTURE_ROWS, root / 'bow')\n"
        "print(train_small_minilm(trained, root / 'minilm')['artifact'])\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", code, str(root)],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(found.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=REPO / "models" / "default")
    parser.add_argument("--minilm", type=Path, help="a minilm artifact (else a small one is made)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--results-doc", action="store_true", help="write docs/results.md's section"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-catalogue-") as work:
        minilm, what = args.minilm, "the model given"
        if minilm is None:
            print("training a small model of the minilm recipe (about a minute)...", flush=True)
            minilm, what = build_small_minilm(Path(work)), "small model of the recipe"
        sys.modules["torch"] = None  # type: ignore[assignment]  # as serving.NO_TORCH says
        measured = [
            measure("bow", "models/default", args.model_dir, args.runs),
            measure("minilm", what, minilm, args.runs),
        ]
    text = report(measured)
    print(text)
    if args.results_doc:
        from genre_training.results_doc import RESULTS_DOC, write_section

        write_section(REPO / RESULTS_DOC, "catalogue", text)
        print(f"written to {RESULTS_DOC}'s catalogue section")
    print(json.dumps([m.__dict__ for m in measured], default=str))


if __name__ == "__main__":
    main()
