"""Serving benchmarks: cold start, warm latency, batch throughput, memory, image size.

    .venv/bin/python bench/serving.py [--model-dir models/default] [--runs 7]

The figures are medians over repeated runs, with all the variants measured in the same run,
because these machines are shared and noisy. Requests go through the Lambda handler (Mangum +
FastAPI) with an HTTP API v2 event, in-process: the path a warm Lambda takes, without the network.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from genre_model.locations import MODEL_DIR_ENV, REPO_MODEL_DIR

REPO = Path(__file__).resolve().parents[1]
EVENT = REPO / "events" / "http_api_genre.json"
DATA = REPO.parent / "shared" / "data" / "movies" / "movies_reconstructed.csv.gz"

# Runs in a fresh interpreter: what a Lambda cold start does, timed in stages.
COLD_START = r"""
import json, resource, sys, time
started = time.perf_counter()
import mangum, fastapi, spacy  # noqa: F401  the heavy imports
from genre_api.app import create_app
from genre_api.settings import Settings
from genre_api.stage import StagePrefix
from genre_model import GenreClassifier
imported = time.perf_counter()
settings = Settings.from_env()
classifier = GenreClassifier.load(settings.model_dir)
loaded = time.perf_counter()
handler = mangum.Mangum(StagePrefix(create_app(classifier, settings)), lifespan="off")
event = json.loads(sys.argv[1])
response = handler(event, type("Context", (), {"aws_request_id": "bench"})())
answered = time.perf_counter()
assert response["statusCode"] == 200, response
print(json.dumps({"import_s": imported - started, "load_s": loaded - imported,
                  "first_answer_s": answered - loaded, "total_s": answered - started,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def cold_starts(model_dir: Path, runs: int) -> dict[str, float]:
    event = json.loads(EVENT.read_text())
    env = {MODEL_DIR_ENV: str(model_dir), "PATH": "/usr/bin:/bin"}
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        output = subprocess.run(
            [sys.executable, "-c", COLD_START, json.dumps(event)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        sample = json.loads(output)
        sample["process_wall_s"] = time.perf_counter() - started
        samples.append(sample)
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def real_movies(count: int) -> list[dict[str, str]]:
    import pandas as pd

    with gzip.open(DATA, "rt", encoding="utf-8") as stream:
        frame = pd.read_csv(stream, dtype=str, keep_default_na=False, nrows=count * 2)
    frame = frame[frame["overview"].str.strip() != ""].head(count)
    return [
        {"title": t, "description": d}
        for t, d in zip(frame["title"], frame["overview"], strict=True)
    ]


def warm(model_dir: Path, requests: int, batch: int, rounds: int) -> dict[str, float]:
    import os

    os.environ[MODEL_DIR_ENV] = str(model_dir)
    from genre_api.handler import classifier, handler
    from genre_model import compose_text

    context = type("Context", (), {"aws_request_id": "bench"})()
    event = json.loads(EVENT.read_text())
    movie = json.loads(base64.b64decode(event["body"]))
    text = compose_text(movie["title"], movie["description"], classifier.manifest.text_fields)
    nlp = classifier._nlp
    for _ in range(50):
        handler(event, context)
    api_ms, model_ms = [], []
    for _ in range(requests):  # interleaved, so both see the same machine load
        started = time.perf_counter()
        handler(event, context)
        api_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        nlp(text).cats  # noqa: B018
        model_ms.append((time.perf_counter() - started) * 1000)

    movies = real_movies(batch)
    texts = [
        compose_text(m["title"], m["description"], classifier.manifest.text_fields) for m in movies
    ]
    batch_event = dict(event, body=json.dumps({"movies": movies}), isBase64Encoded=False)
    batch_event["rawPath"] = batch_event["requestContext"]["http"]["path"] = "/genres"
    assert handler(batch_event, context)["statusCode"] == 200
    api_rate, pipe_rate = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        handler(batch_event, context)
        api_rate.append(batch / (time.perf_counter() - started))
        started = time.perf_counter()
        list(nlp.pipe(texts, batch_size=batch))
        pipe_rate.append(batch / (time.perf_counter() - started))
    p50_api, p50_model = statistics.median(api_ms), statistics.median(model_ms)
    return {
        "genre_p50_ms": p50_api,
        "genre_p99_ms": percentile(api_ms, 0.99),
        "model_p50_ms": p50_model,
        "web_overhead_ratio": p50_api / p50_model,
        "genres_movies_per_s": statistics.median(api_rate),
        "nlp_pipe_movies_per_s": statistics.median(pipe_rate),
        "genres_share_of_pipe": statistics.median(api_rate) / statistics.median(pipe_rate),
    }


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=REPO_MODEL_DIR)
    parser.add_argument("--runs", type=int, default=7, help="cold starts")
    parser.add_argument("--requests", type=int, default=2000, help="warm /genre requests")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=15, help="batches timed")
    args = parser.parse_args()

    cold = cold_starts(args.model_dir, args.runs)
    print(
        f"cold start (median of {args.runs} fresh processes): "
        f"imports {cold['import_s']:.3f} s, model load {cold['load_s']:.3f} s, "
        f"first answer {cold['first_answer_s']:.3f} s, import-to-answer {cold['total_s']:.3f} s, "
        f"whole process {cold['process_wall_s']:.3f} s; peak RSS {cold['peak_rss_mb']:.0f} MB"
    )
    figures = warm(args.model_dir, args.requests, args.batch, args.rounds)
    print(
        f"warm /genre through Mangum+FastAPI ({args.requests} requests): "
        f"p50 {figures['genre_p50_ms']:.3f} ms, p99 {figures['genre_p99_ms']:.3f} ms; "
        f"model alone p50 {figures['model_p50_ms']:.3f} ms; "
        f"ratio {figures['web_overhead_ratio']:.1f}x"
    )
    print(
        f"/genres batch {args.batch} (median of {args.rounds}): "
        f"{figures['genres_movies_per_s']:.0f} movies/s vs raw nlp.pipe "
        f"{figures['nlp_pipe_movies_per_s']:.0f} movies/s "
        f"= {figures['genres_share_of_pipe']:.0%}"
    )
    size = image_size_mb("genrefunction:latest")
    print(
        "function image genrefunction:latest: "
        + (f"{size:.0f} MB" if size else "not built here (make layers-offline build)")
    )


if __name__ == "__main__":
    main()
