"""Memory soak: requests of never-seen words through the Lambda handler, and what stays in memory.

    nice .venv/bin/python bench/soak.py [--requests 100000] [--every 10000] [--model-dir DIR]
    make soak   # the same, written into docs/results.md
    nice .venv/bin/python bench/soak.py --requests 20000 --without-zones   # as before zones

Each request carries words no request had (random letters, 40 per description, 3 per title):
the worst case for a vocabulary that keeps every word it meets. The handler is the deployed one
(build_handler: Mangum, FastAPI, logs and metrics written to /dev/null), called in-process with
an HTTP API event, as bench/serving.py does. Of every 10 requests, 8 are POST /genre, one a
POST /genres of 4 movies and one a POST /explain. Every --every requests it prints the process's
resident memory (RSS), the vocabulary's lexemes and strings, and the time; at the end, the growth
over the run (target: within 50 MB of the start after 100,000 requests).

--without-zones scores outside spaCy's memory zones, as the function did before them: the
growth it prints is what the zones and genre_model.memory remove.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gc
import json
import random
import string
import sys
import time
from pathlib import Path
from typing import Any

# As in the function image, which has no PyTorch (thinc would import it, and its memory would
# be counted as the function's).
sys.modules["torch"] = None  # type: ignore[assignment]

from recorded import run_recorded  # noqa: E402
from serving import CONTEXT_FIELDS, EVENT, output_discarded  # noqa: E402

from genre_model.lean_spacy import import_spacy_without_cli  # noqa: E402
from genre_model.locations import default_model_dir  # noqa: E402

WORDS_PER_DESCRIPTION = 40
WORDS_PER_TITLE = 3
BATCH_MOVIES = 4
TARGET_MB = 50


def rss_mb() -> float:
    """The process's resident memory now (Linux)."""
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * 4096 / 2**20


class NewWords:
    """Words of 9 random letters: never the same twice in a run, in practice (26^9 of them)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def text(self, count: int) -> str:
        words = ("".join(self.rng.choices(string.ascii_lowercase, k=9)) for _ in range(count))
        return " ".join(words).capitalize() + "."

    def movie(self) -> dict[str, str]:
        return {
            "title": self.text(WORDS_PER_TITLE),
            "description": self.text(WORDS_PER_DESCRIPTION),
        }


def event_for(template: dict[str, Any], path: str, body: object) -> dict[str, Any]:
    event = copy.deepcopy(template)
    event |= {"body": json.dumps(body), "isBase64Encoded": False}
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    return event


def request_of(index: int, words: NewWords, template: dict[str, Any]) -> dict[str, Any]:
    """The index-th request: 8 in 10 /genre, one /genres, one /explain."""
    if index % 10 == 8:
        return event_for(template, "/genres", {"movies": [words.movie() for _ in range(4)]})
    if index % 10 == 9:
        return event_for(template, "/explain", words.movie())
    return event_for(template, "/genre", words.movie())


def soak(model_dir: Path, requests: int, every: int, zones: bool) -> None:
    import_spacy_without_cli()
    from genre_api.service import build_handler
    from genre_api.settings import Settings
    from genre_model import GenreClassifier

    if not zones:
        GenreClassifier.memory_zone = lambda self: contextlib.nullcontext()  # type: ignore[method-assign,assignment,return-value]
    handler = build_handler(Settings(model_dir=model_dir))
    vocab = handler.classifier.tokenize("").vocab
    context = type("Context", (), CONTEXT_FIELDS)()
    template = json.loads(EVENT.read_text())
    words = NewWords(seed=20261129)
    with output_discarded():
        assert handler(request_of(0, words, template), context)["statusCode"] == 200
        gc.collect()
        start, started = rss_mb(), time.perf_counter()
        print(
            f"start: RSS {start:.1f} MB; zones {'on' if zones else 'off'}; {model_dir}",
            file=sys.stderr,
        )
        for index in range(1, requests + 1):
            response = handler(request_of(index, words, template), context)
            if response["statusCode"] != 200:
                raise SystemExit(f"request {index} answered {response['statusCode']}")
            if index % every == 0:
                gc.collect()
                print(
                    f"{index:>7} requests: RSS {rss_mb():7.1f} MB ({rss_mb() - start:+6.1f}); "
                    f"lexeme index {len(vocab):>6}, strings {len(vocab.strings):>6}; "
                    f"{time.perf_counter() - started:6.0f} s",
                    file=sys.stderr,
                )
    growth = rss_mb() - start
    verdict = "within" if growth <= TARGET_MB else "over"
    print(
        f"growth over {requests} requests of new words: {growth:+.1f} MB "
        f"({verdict} the {TARGET_MB} MB target); "
        f"{(time.perf_counter() - started) / requests * 1000:.2f} ms per request",
        file=sys.stderr,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=default_model_dir())
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=10_000, help="requests between readings")
    parser.add_argument("--without-zones", action="store_true", help="score as before memory zones")
    parser.add_argument(
        "--results-doc", type=Path, default=None, help="write what is printed into its section"
    )
    args = parser.parse_args()
    run_recorded(
        lambda: soak(args.model_dir, args.requests, args.every, zones=not args.without_zones),
        args.results_doc,
        "memory" if not args.without_zones else "memory-without-zones",
        "Memory under new words, `make soak`",
    )


if __name__ == "__main__":
    main()
