"""movie_classifier against the real API (uvicorn, as `make serve` runs it) and in-process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from genre_model.constants import MAX_TOP
from tests.helpers.data import MAIN_DATA
from tests.helpers.servers import served_api

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
    assert over_http.returncode == 0, over_http.stderr
    embedded = classify("--file", str(catalogue), "--output", str(tmp_path / "embedded.jsonl"))
    assert embedded.returncode == 0, embedded.stderr
    http_rows = [json.loads(line) for line in (tmp_path / "http.jsonl").read_text().splitlines()]
    local_rows = [
        json.loads(line) for line in (tmp_path / "embedded.jsonl").read_text().splitlines()
    ]
    assert len(http_rows) == len(local_rows) == ROWS
    empty = sum(1 for row in local_rows if "error" in row)
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


def test_a_refused_request_shows_the_servers_message(server: str) -> None:
    result = classify("--endpoint", server, "--title", "x" * 400, "--description", "y")
    assert result.returncode == 6
    assert "HTTP 422" in result.stderr and "title" in result.stderr
    assert "Traceback" not in result.stderr


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
