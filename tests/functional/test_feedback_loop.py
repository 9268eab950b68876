"""The corrections loop end to end, over real HTTP: corrections sent from the demo page, the CLI
and a plain POST land in S3 (moto_server), or in a folder under `make serve` with no AWS at all;
`prepare --feedback` applies them to train and holds out those of dev and test movies; a model
trained on the result is evaluated on the corrected movies beside the model that served them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from genre_model import Manifest
from genre_model.corrections import Correction
from genre_model.locations import default_model_dir
from genre_training.corpus import PREPARE_REPORT, read_jsonl
from tests.helpers.browser import browser_page, classify_in_page
from tests.helpers.data import (
    FIXTURE_MIN_GENRE_COUNT,
    FIXTURE_ROWS,
    OFFLINE_CONFIG,
    OTHELLO,
    REPO,
    train_tiny,
)
from tests.helpers.make import DEFAULTED, OUTER_MAKE, dry_run
from tests.helpers.servers import (
    MOTO_CREDENTIALS,
    background_server,
    free_port,
    moto_client,
    moto_s3,
    served_api,
)

BIN = Path(sys.executable).parent
OTHELLO_PLOT = OTHELLO["description"]
BUCKET = "loop-feedback"
PREFIX = "feedback"


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The API (the shipped model) storing corrections in a moto_server bucket, the environment
    the training steps reach that bucket with, and the fixture rows' splits before feedback."""
    from genre_training.prepare import prepare

    before = tmp_path_factory.mktemp("before")
    prepare(
        FIXTURE_ROWS,
        before,
        text_fields="title+description",
        description_column="overview",
        min_genre_count=FIXTURE_MIN_GENRE_COUNT,
    )
    with moto_s3() as s3:
        bucket = moto_client(s3)
        bucket.create_bucket(Bucket=BUCKET)
        env = {**os.environ, **MOTO_CREDENTIALS, "AWS_ENDPOINT_URL": s3}
        with served_api(env={**env, "MOVIE_GENRE_FEEDBACK_BUCKET": BUCKET}) as url:
            yield {
                "url": url,
                "bucket": bucket,
                "env": env,
                "splits": {
                    name: read_jsonl(before / f"{name}.jsonl") for name in ("train", "dev", "test")
                },
            }


def stored(bucket: Any) -> list[Correction]:
    listed = bucket.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/").get("Contents", [])
    return [
        Correction.decode(bucket.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read())
        for item in listed
    ]


def run(
    tool: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / tool), *args], capture_output=True, text=True, timeout=600, env=env
    )


def test_corrections_from_the_page_the_cli_and_http_train_the_next_model(
    loop: dict[str, Any], tmp_path: Path
) -> None:
    url, splits = loop["url"], loop["splits"]
    train, dev, test = splits["train"][0], splits["dev"][0], splits["test"][0]

    # 1. The demo page: the dev movie is "none of these".
    with browser_page() as (page, errors):
        classify_in_page(page, f"{url}/", dev["title"], dev["description"])
        page.wait_for_selector("#feedback:not([hidden])")
        for box in page.locator("#choices input[type=checkbox]").all():
            box.uncheck()
        page.get_by_role("button", name="Send").click()
        page.locator("#feedback-status").filter(has_text="Saved").wait_for()
        assert errors == []
    # 2. The CLI: the test movie, one at a time; the train movie and a new one from a CSV.
    one = run(
        "movie_classifier",
        "--endpoint", url,
        "--title", test["title"],
        "--description", test["description"],
        "--genres", "Comedy,Romance",
    )  # fmt: skip
    assert one.returncode == 0, one.stderr
    assert one.stdout.startswith("saved correction ")
    csv = tmp_path / "corrections.csv"
    csv.write_text(
        "title,description,genres\n"
        f'"{train["title"]}","{train["description"].replace(chr(34), chr(39))}",Thriller\n'
        '"A film nobody has seen","Two detectives hunt a killer in the rain.","Thriller;Drama"\n',
        encoding="utf-8",
    )
    many = run("movie_classifier", "--endpoint", url, "--corrections", str(csv))
    assert many.returncode == 0, many.stderr
    assert "2 of 2 corrections saved" in many.stderr
    # 3. Plain HTTP: the test movie again, later: this one wins.
    answer = requests.post(
        f"{url}/feedback",
        json={"title": test["title"], "description": test["description"], "genres": ["Drama"]},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    corrections = stored(loop["bucket"])
    assert len(corrections) == 5
    served = Manifest.read(default_model_dir()).version
    assert {c.served_by for c in corrections} == {served}

    # prepare --feedback reads them over HTTP from the bucket and applies them.
    corpus = tmp_path / "corpus"
    prepared = run(
        "movie-genre-train",
        "prepare",
        "--data", str(FIXTURE_ROWS),
        "--min-genre-count", str(FIXTURE_MIN_GENRE_COUNT),
        "--out", str(corpus),
        "--feedback", f"s3://{BUCKET}/{PREFIX}",
        env=loop["env"],
    )  # fmt: skip
    assert prepared.returncode == 0, prepared.stderr
    assert f"feedback from s3://{BUCKET}/{PREFIX}: read 5; applied 1" in prepared.stdout
    assert "added 1 (new movies, to train only); held out dev 1, test 1" in prepared.stdout
    assert "ignored 1 (1 superseded" in prepared.stdout
    # The measuring stick does not move: dev and test are as without feedback.
    after = {name: read_jsonl(corpus / f"{name}.jsonl") for name in ("train", "dev", "test")}
    assert after["dev"] == splits["dev"] and after["test"] == splits["test"]
    assert json.loads((corpus / PREPARE_REPORT).read_text())["feedback"]["learned_from"] == 2

    # The next model, and the evaluation of the corrected movies before and after.
    model = train_tiny(corpus, OFFLINE_CONFIG, tmp_path / "train")
    evaluated = run(
        "movie-genre-train",
        "evaluate",
        "--model", str(model),
        "--corpus", str(corpus),
        "--out", str(tmp_path / "eval"),
        "--served", str(default_model_dir()),
    )  # fmt: skip
    assert evaluated.returncode == 0, evaluated.stderr
    assert f"corrected movies, served model {served} -> this one: train 2" in evaluated.stdout
    assert "(2 of 2 corrections were made against the served model)" in evaluated.stdout
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    by_split = {s["split"]: s for s in metrics["corrected"]["by_split"]}
    assert {name: s["movies"] for name, s in by_split.items()} == {"train": 2}
    report = (tmp_path / "eval" / "report.md").read_text()
    assert "## The movies users corrected" in report
    assert "| A film nobody has seen | train | (new movie) | Drama, Thriller |" in report
    card = (tmp_path / "eval" / "MODEL_CARD.md").read_text()
    assert "Learned from 2 users' corrections" in card
    assert "(2 held out for review)" in card


def test_on_a_laptop_make_serve_keeps_corrections_in_a_folder_that_prepare_reads(
    tmp_path: Path,
) -> None:
    """No AWS: `make serve` stores what the demo page's Wrong? and movie_classifier --genres
    send as files under build/feedback, and `prepare --feedback` reads that folder back."""
    build, venv, port = tmp_path / "build", Path(sys.executable).parent.parent, free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in OUTER_MAKE and k not in DEFAULTED and not k.startswith("MOVIE_GENRE_FEEDBACK")
    }
    env.pop("AWS_ENDPOINT_URL", None)
    command = [
        "make", "--no-print-directory", "-C", str(REPO),
        "-o", f"{venv}/.installed-serve",  # installed already: no pip
        "serve", f"VENV={venv}", f"PORT={port}", f"BUILD={build}",
    ]  # fmt: skip
    with background_server(command, port, env=env) as url:
        with browser_page() as (page, errors):
            classify_in_page(page, f"{url}/", "Othello", OTHELLO_PLOT)
            page.wait_for_selector("#feedback:not([hidden])")
            page.get_by_role("button", name="Send").click()
            page.locator("#feedback-status").filter(has_text="Saved").wait_for()
            assert errors == []
        sent = run(
            "movie_classifier",
            "--endpoint", url,
            "--title", "A film nobody has seen",
            "--description", "Two detectives hunt a killer in the rain.",
            "--genres", "Thriller",
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        assert sent.stdout.startswith("saved correction ")
    folder = build / "feedback"
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    assert [path.parent.name[:5] for path in files] == ["date=", "date="]
    assert {Correction.decode(path.read_bytes()).title for path in files} == {
        "Othello",
        "A film nobody has seen",
    }
    prepared = run(
        "movie-genre-train",
        "prepare",
        "--data", str(FIXTURE_ROWS),
        "--min-genre-count", str(FIXTURE_MIN_GENRE_COUNT),
        "--out", str(tmp_path / "corpus"),
        "--feedback", str(folder),
    )  # fmt: skip
    assert prepared.returncode == 0, prepared.stderr
    assert f"feedback from {folder}: read 2;" in prepared.stdout
    # Othello is one of the fixture's movies: relabelled in train, or held out of dev or test.
    counts = json.loads((tmp_path / "corpus" / PREPARE_REPORT).read_text())["feedback"]
    assert (counts["read"], counts["added"], counts["ignored"]) == (2, 1, {})
    assert counts["applied"] + sum(counts["held_out"].values()) == 1
    train = read_jsonl(tmp_path / "corpus" / "train.jsonl")
    assert (train[-1]["title"], train[-1]["genres"]) == ("A film nobody has seen", ["Thriller"])


def test_make_train_passes_the_feedback_folder_and_the_review_to_prepare() -> None:
    planned = dry_run("train", "FEEDBACK=build/feedback", "FEEDBACK_REVIEWED=review.jsonl")
    assert '--feedback "$FEEDBACK" --feedback-reviewed "$FEEDBACK_REVIEWED"' in planned
