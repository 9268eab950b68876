"""movie_classifier against the real API (uvicorn, as `make serve` runs it) and in-process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from genre_api.service import build_handler
from genre_api.settings import Settings
from genre_model.constants import MAX_TOP
from movie_classifier.catalogue import report
from movie_classifier.catalogue_job import Execution, ItemCounts, JobInput
from movie_classifier.catalogue_results import collect
from movie_classifier.errors import ClassifierError, RowsRefused
from tests.helpers.data import MAIN_DATA
from tests.helpers.distributed_map import run_map
from tests.helpers.refused_rows import catalogue_with_refused_rows
from tests.helpers.servers import served_api

MOTO_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

BIN = Path(sys.executable).parent
ROWS = 300


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with served_api() as url:
        yield url


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 real movies in the original movies_metadata.csv columns (title, overview)."""
    frame = pd.read_csv(MAIN_DATA, dtype=str, keep_default_na=False, nrows=ROWS)
    path = tmp_path_factory.mktemp("catalogue") / "movies.csv"
    frame[["id", "title", "overview"]].to_csv(path, index=False)
    return path


def classify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "movie_classifier"), *args], capture_output=True, text=True, timeout=300
    )


def test_http_and_embedded_agree_on_a_real_catalogue(
    server: str, catalogue: Path, tmp_path: Path
) -> None:
    over_http = classify(
        "--endpoint",
        server,
        "--file",
        str(catalogue),
        "--output",
        str(tmp_path / "http.jsonl"),
        "--batch-size",
        "32",
        "--concurrency",
        "4",
    )
    assert over_http.returncode in (0, RowsRefused.exit_code), over_http.stderr
    embedded = classify("--file", str(catalogue), "--output", str(tmp_path / "embedded.jsonl"))
    assert embedded.returncode in (0, RowsRefused.exit_code), embedded.stderr
    http_rows = [json.loads(line) for line in (tmp_path / "http.jsonl").read_text().splitlines()]
    local_rows = [
        json.loads(line) for line in (tmp_path / "embedded.jsonl").read_text().splitlines()
    ]
    assert len(http_rows) == len(local_rows) == ROWS
    empty = sum(1 for row in local_rows if "error" in row)
    # 0 only when every row was scored: the real catalogue's rows with no overview are refused.
    assert over_http.returncode == embedded.returncode == (RowsRefused.exit_code if empty else 0)
    assert f"{ROWS - empty} of {ROWS} rows classified" in over_http.stderr
    for remote, local in zip(http_rows, local_rows, strict=True):
        assert remote["row"] == local["row"] and remote.get("error") == local.get("error")
        if "error" not in local:
            assert remote["genre"] == local["genre"]
            assert remote["genres"] == local["genres"]
            assert remote["scores"] == pytest.approx(local["scores"], abs=1e-6)


def test_one_movie_over_http_prints_the_original_dict(server: str) -> None:
    result = classify(
        "--endpoint",
        server,
        "--title",
        "Othello",
        "--description",
        "The evil Iago pretends to be friend of Othello.",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("{'title': 'Othello',")
    assert "'genre': '" in result.stdout


def test_a_deployments_own_stricter_limit_lands_on_its_rows(tmp_path: Path) -> None:
    """A server whose limit the CLI does not know (titles of at most 20 characters here): one
    movie shows its 422; in a file, the refused chunks are sent again row by row, and only the
    long titles' rows get the server's words."""
    source = tmp_path / "movies.csv"
    pd.DataFrame(
        {
            "title": ["Heat", "A title of thirty characters!!", "Up", "Alien"],
            "description": ["A heist.", "A plot.", "A balloon.", "A ship."],
        }
    ).to_csv(source, index=False)
    with served_api(env={"MOVIE_GENRE_MAX_TITLE_CHARS": "20"}) as strict:
        one = classify("--endpoint", strict, "--title", "x" * 30, "--description", "y")
        file = classify(
            "--endpoint", strict, "--file", str(source), "--output", str(tmp_path / "out.jsonl")
        )
    assert one.returncode == 6
    assert "HTTP 422" in one.stderr and "title: String should have at most 20" in one.stderr
    assert "Traceback" not in one.stderr
    assert file.returncode == RowsRefused.exit_code, file.stderr
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert [row.get("genre") is not None for row in rows] == [True, False, True, True]
    assert rows[1]["error"].startswith("refused by the API: title: String should have at most 20")


@pytest.mark.parametrize("mode", ["embedded", "http"])
def test_one_movie_over_the_apis_limits_is_refused_in_every_mode(server: str, mode: str) -> None:
    where = ["--endpoint", server] if mode == "http" else []
    result = classify(*where, "--title", "x" * 400, "--description", "y")
    assert result.returncode == 6
    assert "Error: the API refuses this movie: title over 300 characters" in result.stderr


@pytest.mark.parametrize("mode", ["embedded", "http"])
def test_explain_gives_the_same_words_in_every_mode(server: str, mode: str) -> None:
    where = ["--endpoint", server] if mode == "http" else []
    movie = ["--title", "Othello", "--description", "The evil Iago pretends to be a friend."]
    as_json = classify(*where, *movie, "--explain", "3", "--json")
    assert as_json.returncode == 0, as_json.stderr
    answer = json.loads(as_json.stdout)
    assert set(answer["explanations"]) == set(answer["scores"])
    for words in answer["explanations"].values():
        assert 0 < len(words) <= 3
        assert all(
            word["word"] in "Othello The evil Iago pretends to be a friend" for word in words
        )
    human = classify(*where, *movie, "--explain")
    assert human.returncode == 0, human.stderr
    lines = human.stdout.splitlines()
    assert "Why (words that push each genre up +, or down -):" in lines
    top_genre = answer["genre"]
    (line,) = [line for line in lines if line.startswith(f"  {top_genre} (")]
    first_word = answer["explanations"][top_genre][0]
    assert f"{first_word['word']} {first_word['weight']:+.3f}" in line


def test_explain_is_for_one_movie(catalogue: Path, tmp_path: Path) -> None:
    result = classify("--file", str(catalogue), "--output", str(tmp_path / "o.jsonl"), "--explain")
    assert result.returncode == 2
    assert "--explain is for one movie" in result.stderr


def test_the_most_words_the_cli_asks_for_the_api_gives(server: str) -> None:
    """The CLI's --explain limits are the API's: its largest is accepted, one more is refused
    by the CLI itself (usage, before any request)."""
    movie = ["--title", "Othello", "--description", " ".join(f"word{i}" for i in range(40))]
    most = classify("--endpoint", server, *movie, "--explain", str(MAX_TOP), "--json")
    assert most.returncode == 0, most.stderr
    words = json.loads(most.stdout)["explanations"]
    assert max(len(listed) for listed in words.values()) == MAX_TOP
    too_many = classify("--endpoint", server, *movie, "--explain", str(MAX_TOP + 1))
    assert too_many.returncode == 2
    assert f"1<=x<={MAX_TOP}" in too_many.stderr


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def catalogue_job(source: Path, work: Path) -> tuple[list[dict[str, Any]], int]:
    """The same file as a catalogue job: the Distributed Map's stand-in hands its batches to the
    function's handler (as deployed: default settings and model), the CLI's merge writes what
    `--file s3://...` writes, and its report gives the exit code; the rows and that code."""
    bucket, key = "catalogue", "input/movies.csv"
    job = {
        "format": "csv",
        "input": {"bucket": bucket, "key": key},
        "results": {"bucket": bucket, "prefix": "results/job"},
    }
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1", **MOTO_KEYS)
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=source.read_bytes())
        run = run_map(s3, job, build_handler(Settings()), name="refused", max_items=16)
        execution = Execution(
            run.execution_arn,
            "SUCCEEDED",
            JobInput.from_json(json.dumps(job), run.execution_arn),
            run.output,
            map_run_arn=run.map_run_arn,
            items=ItemCounts(run.total, run.total),
        )
        output = work / "catalogue.jsonl"
        summary = collect(s3, execution, output, work)
    try:
        report(summary, str(output), execution)
    except ClassifierError as error:  # as the command's main turns it into its exit code
        return read_jsonl(output), error.exit_code
    return read_jsonl(output), 0


def test_every_mode_scores_the_good_rows_and_refuses_the_same_rows(
    server: str, tmp_path: Path
) -> None:
    """100 real movies, 3 of them over the API's limits: in-process, over HTTP (uvicorn, as
    `make serve` runs it) and as a catalogue job, the same 97 rows are scored alike and the same
    3 rows get the same error, under their CSV row numbers, and each mode exits 11 (RowsRefused)
    once its output is written."""
    source = tmp_path / "movies.csv"
    refused = catalogue_with_refused_rows(source)
    runs = {
        "in-process": classify("--file", str(source), "--output", str(tmp_path / "local.jsonl")),
        "http": classify(
            "--endpoint",
            server,
            "--file",
            str(source),
            "--output",
            str(tmp_path / "http.jsonl"),
            "--batch-size",
            "16",
        ),
    }
    for mode, run in runs.items():
        assert "97 of 100 rows classified" in run.stderr, (mode, run.stderr)
        for number, error in refused.items():
            assert f"row {number} skipped: {error}" in run.stderr
        assert "Error: 3 of 100 rows were refused" in run.stderr.splitlines()[-1], mode
    job_rows, job_exit_code = catalogue_job(source, tmp_path)
    exit_codes = {mode: run.returncode for mode, run in runs.items()} | {"catalogue": job_exit_code}
    assert exit_codes == {"in-process": 11, "http": 11, "catalogue": 11}
    written = {
        "in-process": read_jsonl(tmp_path / "local.jsonl"),
        "http": read_jsonl(tmp_path / "http.jsonl"),
        "catalogue": job_rows,
    }
    local = written["in-process"]
    assert [row["row"] for row in local] == list(range(1, 101))
    assert {row["row"]: row["error"] for row in local if "error" in row} == refused
    for mode, rows in written.items():
        assert [row["row"] for row in rows] == list(range(1, 101)), mode
        assert {row["row"]: row.get("error") for row in rows if "error" in row} == refused, mode
        for theirs, ours in zip(rows, local, strict=True):
            assert theirs.get("genre") == ours.get("genre"), (mode, ours["row"])
            assert theirs.get("genres") == ours.get("genres"), (mode, ours["row"])
            if "scores" in ours:
                assert theirs["scores"] == pytest.approx(ours["scores"], abs=1e-6), mode
