"""Serving benchmarks: cold start, warm latency, batch throughput, observability cost, memory,
image size.

    .venv/bin/python bench/serving.py [--model-dir DIR] [--runs 9] [--requests 2000]

Every figure is a median, and variants are measured interleaved in the same run, because these
machines are shared and noisy; ratios are given beside absolute times. Requests go through the
Lambda handler (build_handler: Mangum + FastAPI) with an HTTP API v2 event, in-process: the path
a warm Lambda takes, without the network.

- cold start: a fresh process that imports genre_api.handler (the function's CMD) and answers
  one /genre event, over a fresh process that only runs `import spacy` (target: 1.3x at most);
  the same with observability off (target: at most 10% more with it on); and the stages of the
  init timed apart (imports, sha256 check, model load, golden check, app, first answer).
- warm: /genre through the handler (Mangum + FastAPI, observability off) over the model's own
  predict for the same movie (target: 2.5x at most), and what observability adds to it (target:
  at most 1.1x the model's predict), measured interleaved.
- /explain: p50 for real overviews (target: 20 ms), and for a description at the maximum length.
- --compare DIR, repeatable (other models, e.g. the static recipe's build/artifact and a minilm
  artifact): the same figures for each, measured in the same run (cold starts interleaved across
  all the models), their ratios to the first model, and all of them side by side in one table.
  A model trained on a cap of rows (its config's training.max_train) is labelled as such: its
  figures are its architecture's cost, not the recipe's accuracy.
- size: each model's artifact (the files its manifest lists), and the packages its recipe's
  image lock adds to the base lock's, as installed here (the image's growth, short of building
  it: the image sizes come from Docker when the images are there).
- --results-doc docs/results.md (what `make bench` passes): what it printed becomes that
  document's `serving` section, the one place the docs quote serving figures from.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from recorded import run_recorded

from genre_model.locations import MODEL_DIR_ENV, default_model_dir
from genre_training.corpus import DEFAULT_DATA

# As in the function image, which has no PyTorch: thinc imports it whenever it is installed (the
# dev venv has it for the minilm recipe's training), which would add time and memory the
# function never pays. Each fresh process starts with this, and main() does the same before
# anything imports spaCy.
NO_TORCH = "import sys; sys.modules['torch'] = None\n"

REPO = Path(__file__).resolve().parents[1]
EVENT = REPO / "events" / "http_api_genre.json"
# What Lambda passes as context, as far as Powertools reads it; the fresh processes build it too.
CONTEXT_FIELDS = {
    "aws_request_id": "bench",
    "function_name": "bench",
    "memory_limit_in_mb": 1024,
    "invoked_function_arn": "arn:aws:lambda:::function:bench",
    "function_version": "$LATEST",
}
CONTEXT = f"type('Context', (), {CONTEXT_FIELDS!r})()"

# Each runs in a fresh interpreter and prints one JSON line; wall time is measured outside too.
BARE_SPACY = "import spacy"
HANDLER_ON = f"""
import json, sys, time
started = time.perf_counter()
from genre_api.handler import handler
loaded = time.perf_counter()
response = handler(json.loads(sys.argv[1]), {CONTEXT})
assert response["statusCode"] == 200, response
print(json.dumps({{"init_s": loaded - started, "first_answer_s": time.perf_counter() - loaded}}),
      file=sys.stderr)
"""
HANDLER_OFF = f"""
import json, sys, time
from genre_model.lean_spacy import import_spacy_without_cli
import_spacy_without_cli()
from genre_api.service import build_handler
from genre_api.settings import Settings
handler = build_handler(Settings.from_env(), observe=False)
response = handler(json.loads(sys.argv[1]), {CONTEXT})
assert response["statusCode"] == 200, response
"""
STAGES = f"""
import json, resource, sys, time
from pathlib import Path
marks = [time.perf_counter()]
from genre_model.lean_spacy import import_spacy_without_cli
import_spacy_without_cli()
from genre_api.service import build_handler
from genre_api.settings import Settings
from genre_model import GenreClassifier, Manifest
marks.append(time.perf_counter())
settings = Settings.from_env()
Manifest.read(settings.model_dir).verify_files(settings.model_dir)
marks.append(time.perf_counter())
classifier = GenreClassifier.load(settings.model_dir, verify=False)
marks.append(time.perf_counter())
golden = classifier.check_golden()
marks.append(time.perf_counter())
handler = build_handler(settings, classifier)
marks.append(time.perf_counter())
response = handler(json.loads(sys.argv[1]), {CONTEXT})
marks.append(time.perf_counter())
names = ["imports_s", "sha256_s", "load_s", "golden_s", "app_s", "first_answer_s"]
figures = {{name: b - a for name, a, b in zip(names, marks, marks[1:])}}
figures["golden_movies"] = golden or 0
figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(figures), file=sys.stderr)
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_fresh(code: str, model_dir: Path) -> tuple[float, dict[str, float]]:
    """Wall time of a fresh interpreter running code, and the JSON it printed on stderr."""
    env = {MODEL_DIR_ENV: str(model_dir), "PATH": "/usr/bin:/bin", "POWERTOOLS_TRACE_DISABLED": "1"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", NO_TORCH + code, EVENT.read_text()],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    lines = [line for line in done.stderr.splitlines() if line.startswith("{")]
    return wall, (json.loads(lines[-1]) if lines else {})


def cold_starts(model_dirs: list[Path], runs: int) -> list[dict[str, float]]:
    """Each model's cold-start figures (medians of runs)."""
    samples: list[dict[str, list[float]]] = [{} for _ in model_dirs]

    # Interleaved, variants and models alike: each sees the same machine load.
    for _ in range(runs):
        for noted, model_dir in zip(samples, model_dirs, strict=True):

            def note(name: str, value: float, noted: dict[str, list[float]] = noted) -> None:
                noted.setdefault(name, []).append(value)

            note("bare_spacy_s", run_fresh(BARE_SPACY, model_dir)[0])
            wall, inside = run_fresh(HANDLER_ON, model_dir)
            note("handler_s", wall)
            for key, value in inside.items():
                note(key, value)
            note("handler_off_s", run_fresh(HANDLER_OFF, model_dir)[0])
            for key, value in run_fresh(STAGES, model_dir)[1].items():
                note(key, value)
    measured = []
    for noted in samples:
        figures = {name: statistics.median(values) for name, values in noted.items()}
        figures["cold_over_spacy"] = figures["handler_s"] / figures["bare_spacy_s"]
        figures["observability_cold_share"] = figures["handler_s"] / figures["handler_off_s"] - 1
        measured.append(figures)
    return measured


def real_movies(count: int) -> list[dict[str, str]]:
    import pandas as pd

    frame = pd.read_csv(DEFAULT_DATA, dtype=str, keep_default_na=False, nrows=count * 2)
    frame = frame[frame["overview"].str.strip() != ""].head(count)
    return [
        {"title": t, "description": d}
        for t, d in zip(frame["title"], frame["overview"], strict=True)
    ]


@contextlib.contextmanager
def output_discarded() -> Iterator[None]:
    """Logs and metrics are written (their cost counts) to /dev/null, not to the console."""
    from aws_lambda_powertools import Logger

    from genre_model.constants import DEFAULT_SERVICE

    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        handler = Logger(service=DEFAULT_SERVICE).registered_handler
        previous = handler.setStream(null)  # type: ignore[attr-defined]
        try:
            yield
        finally:
            handler.setStream(previous)  # type: ignore[attr-defined]


def median_ms(calls: dict[str, Callable[[], Any]], repeats: int) -> dict[str, list[float]]:
    """Time each call repeats times, interleaved; per-call times in ms."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - started) * 1000)
    return times


def warm(model_dir: Path, requests: int, batch: int, rounds: int) -> dict[str, float]:
    from genre_api.service import build_handler
    from genre_api.settings import Settings
    from genre_model import GenreClassifier

    os.environ["POWERTOOLS_TRACE_DISABLED"] = "1"
    classifier = GenreClassifier.load(model_dir)
    settings = Settings(model_dir=model_dir)
    observed = build_handler(settings, classifier)
    bare = build_handler(settings, classifier, observe=False)
    context = type("Context", (), CONTEXT_FIELDS)()
    event = json.loads(EVENT.read_text())
    movie = json.loads(base64.b64decode(event["body"]))
    pair = [(movie["title"], movie["description"])]

    movies = real_movies(batch)
    batch_event = copy.deepcopy(event)  # its own requestContext: the paths differ
    batch_event |= {"body": json.dumps({"movies": movies}), "isBase64Encoded": False}
    batch_event["rawPath"] = batch_event["requestContext"]["http"]["path"] = "/genres"
    batch_pairs = [(m["title"], m["description"]) for m in movies]
    with output_discarded():
        # Timings of refused requests would measure nothing: every variant must answer 200.
        for handler, measured in ((observed, event), (bare, event), (observed, batch_event)):
            assert handler(measured, context)["statusCode"] == 200
        for _ in range(50):
            observed(event, context)
            bare(event, context)
        single = median_ms(
            {
                "genre_on": lambda: observed(event, context),
                "genre_off": lambda: bare(event, context),
                "model": lambda: classifier.predict(pair),
            },
            requests,
        )
        batches = median_ms(
            {
                "genres": lambda: observed(batch_event, context),
                "predict": lambda: classifier.predict(batch_pairs, batch_size=batch),
            },
            rounds,
        )
    p50 = {name: statistics.median(values) for name, values in single.items()}
    return {
        "genre_p50_ms": p50["genre_on"],
        "genre_p99_ms": percentile(single["genre_on"], 0.99),
        "genre_off_p50_ms": p50["genre_off"],
        "model_p50_ms": p50["model"],
        "web_over_model": p50["genre_off"] / p50["model"],
        "observed_over_model": p50["genre_on"] / p50["model"],
        "observability_warm_ms": p50["genre_on"] - p50["genre_off"],
        "genres_movies_per_s": batch / statistics.median(batches["genres"]) * 1000,
        "predict_movies_per_s": batch / statistics.median(batches["predict"]) * 1000,
    }


def explain_latency(model_dir: Path, movies: int, repeats: int) -> dict[str, float]:
    from genre_model import GenreClassifier
    from genre_model.explanations import explain

    classifier = GenreClassifier.load(model_dir)
    sample = real_movies(movies)
    typical = []
    for _ in range(repeats):
        for movie in sample:
            started = time.perf_counter()
            explain(classifier, movie["title"], movie["description"])
            typical.append((time.perf_counter() - started) * 1000)
    # Different real descriptions joined up to the API's 5,000 characters: the most distinct
    # words an /explain meets (a transformer reads only its first max_tokens of them).
    maximum = " ".join(m["description"] for m in sample)[:5000].rsplit(" ", 1)[0]
    long_ms = []
    for _ in range(max(3, repeats)):
        started = time.perf_counter()
        explain(classifier, "A title", maximum)
        long_ms.append((time.perf_counter() - started) * 1000)
    chars = statistics.median(len(m["description"]) for m in sample)
    return {
        "explain_p50_ms": statistics.median(typical),
        "typical_chars": chars,
        "explain_max_ms": statistics.median(long_ms),
        "max_chars": len(maximum),
    }


# The image's lock for a recipe's models (the Makefile's IMAGE_LOCK); others use the base one.
LOCKS = REPO / "layers" / "runtime"
BASE_LOCK = LOCKS / "requirements.lock"
RECIPE_LOCKS = {
    "minilm": LOCKS / "requirements-onnx.lock",
    "static": LOCKS / "requirements-static.lock",
}


def locked_names(lock: Path) -> set[str]:
    return {
        line.split("==")[0].lower()
        for line in lock.read_text().splitlines()
        if line[:1].isalnum() and "==" in line
    }


def installed_mb(name: str) -> float | None:
    """What an installed distribution's files take on disk here (MB); None if not installed."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        files = distribution(name).files or []
    except PackageNotFoundError:
        return None
    located = [Path(path.locate()) for path in files]
    return sum(path.stat().st_size for path in located if path.is_file()) / 1e6


def size_report(model_dir: Path) -> dict[str, float]:
    """The artifact's size, and the packages its recipe's image lock adds to the base lock's, as
    installed here (MB): the image's growth, short of building it."""
    from genre_model import Manifest

    manifest = Manifest.read(model_dir)
    lock = RECIPE_LOCKS.get(manifest.recipe, BASE_LOCK)
    added = {
        name: installed_mb(name) for name in sorted(locked_names(lock) - locked_names(BASE_LOCK))
    }
    measured = sum(size for size in added.values() if size is not None)
    missing = [name for name, size in added.items() if size is None]
    artifact = sum(manifest.sizes.values()) / 1e6
    print(
        f"size: artifact ({manifest.recipe}) {artifact:.1f} MB; packages {lock.name} adds to the "
        f"image's: {', '.join(added) or 'none'} = {measured:.1f} MB installed here"
        + (f" (not installed here, not counted: {', '.join(missing)})" if missing else "")
    )
    return {"artifact_mb": artifact, "added_mb": measured}


def image_size_mb(image: str) -> float | None:
    try:
        output = subprocess.run(
            ["docker", "image", "inspect", image, "--format", "{{.Size}}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return int(output) / 1e6


def model_label(model_dir: Path) -> tuple[str, str]:
    """The model's recipe (a column heading, and a line with its folder), and, when its config
    capped the training rows (training.max_train) below the corpus's, that its figures are its
    architecture's cost only."""
    from confection import Config

    from genre_model import Manifest

    manifest = Manifest.read(model_dir)
    training = Config().from_str(manifest.config, interpolate=False).get("training", {})
    cap, rows = training.get("max_train"), manifest.split_sizes.get("train", 0)
    if cap is None or cap >= rows:
        return manifest.recipe, f"{manifest.recipe} ({model_dir})"
    capped = f"{manifest.recipe} recipe's architecture, trained on {cap} rows"
    return (
        f"{manifest.recipe}, {cap} rows: cost only",
        f"{capped} ({training.get('epochs', '?')} epoch): cost only ({model_dir})",
    )


def report(
    name: str, model_dir: Path, cold: dict[str, float], args: argparse.Namespace
) -> dict[str, float]:
    print(f"== {name}: {model_label(model_dir)[1]}")
    print(
        f"cold start (median of {args.runs} fresh processes each): `import spacy` "
        f"{cold['bare_spacy_s']:.3f} s; import genre_api.handler + first /genre "
        f"{cold['handler_s']:.3f} s = {cold['cold_over_spacy']:.2f}x `import spacy` "
        f"(target 1.3x); observability off {cold['handler_off_s']:.3f} s, so on costs "
        f"{cold['observability_cold_share']:+.1%} (target +10%)"
    )
    print(
        f"  stages: imports {cold['imports_s']:.3f} s, sha256 check {cold['sha256_s']:.3f} s, "
        f"model load {cold['load_s']:.3f} s, golden check of {cold['golden_movies']:.0f} movies "
        f"{cold['golden_s'] * 1000:.1f} ms, app {cold['app_s']:.3f} s, first answer "
        f"{cold['first_answer_s'] * 1000:.1f} ms; peak RSS {cold['peak_rss_mb']:.0f} MB"
    )
    figures = warm(model_dir, args.requests, args.batch, args.rounds)
    print(
        f"warm /genre through Mangum+FastAPI ({args.requests} requests), observability off: "
        f"p50 {figures['genre_off_p50_ms']:.3f} ms; the model's predict alone "
        f"{figures['model_p50_ms']:.3f} ms: {figures['web_over_model']:.2f}x (target 2.5x)"
    )
    print(
        f"  observability on (as deployed): p50 {figures['genre_p50_ms']:.3f} ms, p99 "
        f"{figures['genre_p99_ms']:.3f} ms: {figures['observed_over_model']:.2f}x the model; "
        f"on costs {figures['observability_warm_ms']:+.3f} ms = "
        f"{figures['observability_warm_ms'] / figures['model_p50_ms']:.2f}x the model's predict "
        "(target 1.1x)"
    )
    print(
        f"/genres batch {args.batch} (median of {args.rounds}): "
        f"{figures['genres_movies_per_s']:.0f} movies/s vs predict alone "
        f"{figures['predict_movies_per_s']:.0f} movies/s "
        f"= {figures['genres_movies_per_s'] / figures['predict_movies_per_s']:.0%}"
    )
    explained = explain_latency(model_dir, args.explain_movies, args.explain_repeats)
    print(
        f"/explain (in-process): p50 {explained['explain_p50_ms']:.1f} ms for real overviews "
        f"(median {explained['typical_chars']:.0f} characters; target 20 ms); "
        f"{explained['explain_max_ms']:.1f} ms for a {explained['max_chars']}-character "
        "description"
    )
    return {**cold, **figures, **explained, **size_report(model_dir)}


def main() -> None:
    sys.modules["torch"] = None  # type: ignore[assignment]  # see NO_TORCH
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=default_model_dir())
    parser.add_argument(
        "--compare",
        type=Path,
        action="append",
        default=[],
        help="another model artifact, measured in the same run (repeatable)",
    )
    parser.add_argument("--runs", type=int, default=9, help="fresh processes per variant")
    parser.add_argument("--requests", type=int, default=2000, help="warm /genre requests")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=15, help="batches timed")
    parser.add_argument("--explain-movies", type=int, default=100)
    parser.add_argument("--explain-repeats", type=int, default=3)
    parser.add_argument(
        "--results-doc", type=Path, default=None, help="write what is printed into its section"
    )
    args = parser.parse_args()
    run_recorded(lambda: measure(args), args.results_doc, "serving", "Serving cost, `make bench`")


# The side-by-side table: (row, figure's key, how a value is shown).
SIDE_BY_SIDE: list[tuple[str, str, str]] = [
    ("warm /genre p50, observability on", "genre_p50_ms", "{:.3f} ms"),
    ("/genres throughput", "genres_movies_per_s", "{:,.0f} movies/s"),
    ("cold start: import + first /genre", "handler_s", "{:.3f} s"),
    ("cold start over `import spacy`", "cold_over_spacy", "{:.2f}x"),
    ("/explain p50, real overviews", "explain_p50_ms", "{:.1f} ms"),
    ("/explain, the longest description", "explain_max_ms", "{:.1f} ms"),
    ("peak RSS at start", "peak_rss_mb", "{:.0f} MB"),
    ("artifact (files of the manifest)", "artifact_mb", "{:.1f} MB"),
    ("packages its lock adds to the image", "added_mb", "{:+.1f} MB installed"),
]


def side_by_side(headings: list[str], measured: list[dict[str, float]]) -> None:
    """Every model's figures in one table, each beside its ratio to the first model's."""
    first = measured[0]
    rows = [["", *headings]]
    for row, key, shown in SIDE_BY_SIDE:
        cells = [row, shown.format(first[key])]
        for figures in measured[1:]:
            ratio = figures[key] / first[key] if first[key] else None
            cells.append(
                shown.format(figures[key]) + (f" ({ratio:.2f}x)" if ratio is not None else "")
            )
        rows.append(cells)
    widths = [max(len(cells[i]) for cells in rows) for i in range(len(rows[0]))]
    print(f"== side by side, same run (ratio to {headings[0]}):")
    for cells in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        )


def measure(args: argparse.Namespace) -> None:
    model_dirs = [args.model_dir, *args.compare]
    names = ["model", *(f"compared {i}" for i in range(1, len(args.compare) + 1))]
    if len(args.compare) == 1:
        names[1] = "compared"
    colds = cold_starts(model_dirs, args.runs)
    measured = [
        report(name, model_dir, cold, args)
        for name, model_dir, cold in zip(names, model_dirs, colds, strict=True)
    ]
    first = measured[0]
    for name, other in zip(names[1:], measured[1:], strict=True):
        print(
            f"== {name} / model, same run: warm /genre p50 "
            f"{other['genre_p50_ms'] / first['genre_p50_ms']:.1f}x (target 25x at most); "
            "/genres throughput "
            f"{other['genres_movies_per_s'] / first['genres_movies_per_s']:.2f}x; "
            f"cold start {other['handler_s'] / first['handler_s']:.2f}x; peak RSS "
            f"{other['peak_rss_mb'] / first['peak_rss_mb']:.1f}x; /explain p50 "
            f"{other['explain_p50_ms'] / first['explain_p50_ms']:.1f}x, longest "
            f"{other['explain_max_ms'] / first['explain_max_ms']:.1f}x; artifact "
            f"{other['artifact_mb'] - first['artifact_mb']:+.1f} MB; image packages "
            f"{other['added_mb'] - first['added_mb']:+.1f} MB"
        )
    if args.compare:
        side_by_side([model_label(model_dir)[0] for model_dir in model_dirs], measured)
    for image in ("genrefunction:latest", "genrefunction:minilm"):
        size = image_size_mb(image)
        print(
            f"function image {image}: "
            + (f"{size:.0f} MB" if size else "not built here (make layers-offline build, make e2e)")
        )


if __name__ == "__main__":
    main()
