"""The function image (the model it bundles: pulled, else the default) under
`sam local start-api`, over real HTTP (see tests/helpers/sam.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from genre_model import GenreClassifier
from tests.helpers.browser import browser_page, classify_in_page
from tests.helpers.data import OTHELLO, REPO
from tests.helpers.fuzz import schemathesis_run
from tests.helpers.sam import build_runtime, docker_engine, sam_local_api
from tests.helpers.servers import wait_until

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def sam_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What sam local start-api and the function's container print."""
    return tmp_path_factory.mktemp("sam-log") / "sam-local.log"


@pytest.fixture(scope="module")
def api(sam_log: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("sam")
    with docker_engine(root / "dockerd.log"):
        build_runtime("movie-genre/runtime:latest")
        with sam_local_api(
            REPO / "template.yaml", root / "build", sam_log, "genrefunction:latest"
        ) as url:
            yield url


def test_genre_answers_the_original_shape_as_the_model_does_in_process(api: str) -> None:
    response = requests.post(f"{api}/genre", json=OTHELLO, timeout=30)
    assert response.status_code == 200
    scores = response.json()
    # The model the image bundles (function/Dockerfile): a pulled one if present, else the default.
    pulled = REPO / "models" / "pulled"
    bundled = pulled if (pulled / "manifest.json").is_file() else REPO / "models" / "default"
    local = GenreClassifier.load(bundled)
    assert list(scores) == local.labels
    expected = local.predict([(OTHELLO["title"], OTHELLO["description"])])[0]
    assert scores == pytest.approx(expected.scores, abs=1e-6)
    if bundled.name == "default":  # the acceptance check, for the shipped model
        assert max(scores, key=scores.get) == "Drama"
    assert response.headers["X-Model-Version"] == local.version


def test_batch_route(api: str) -> None:
    movies = [OTHELLO, {"title": "Die Hard", "description": "A cop fights terrorists in a tower."}]
    response = requests.post(f"{api}/genres", json={"movies": movies}, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 2
    for result in body["results"]:
        assert result["genre"] == max(result["scores"], key=result["scores"].get)


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/genre", {"title": "Othello"}, 422),
        ("/genre", {"title": " ", "description": "x"}, 422),
        ("/genre", {"title": 1, "description": "x"}, 422),
        ("/genre", {"title": "x" * 301, "description": "x"}, 422),
        ("/genre", "{not json", 422),
        ("/genres", {"movies": []}, 422),
        ("/genres", {"movies": [OTHELLO] * 257}, 422),
    ],
)
def test_bad_input_gets_a_4xx_with_a_message(
    api: str, path: str, body: object, status: int
) -> None:
    data = body if isinstance(body, str) else json.dumps(body)
    response = requests.post(
        f"{api}{path}", data=data, timeout=30, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    assert response.json()["detail"]


def test_health_and_docs(api: str) -> None:
    health = requests.get(f"{api}/health", timeout=30).json()
    assert health["status"] == "ok" and health["labels"]
    docs = requests.get(f"{api}/docs", timeout=30)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "/genres" in requests.get(f"{api}/openapi.json", timeout=30).json()["paths"]


def test_the_cli_against_sam_local(api: str, tmp_path: Path) -> None:
    cli = str(BIN / "movie_classifier")
    one = subprocess.run(
        [
            cli,
            "--endpoint",
            api,
            "--title",
            OTHELLO["title"],
            "--description",
            OTHELLO["description"],
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert one.returncode == 0, one.stderr
    answer = json.loads(one.stdout)
    assert answer["genre"] == max(answer["scores"], key=answer["scores"].get)
    catalogue = tmp_path / "movies.csv"
    catalogue.write_text(
        'title,overview\nOthello,"The evil Iago pretends."\nEmpty,\n'
        'Die Hard,"A cop fights terrorists in a tower."\n'
    )
    batch = subprocess.run(
        [cli, "--endpoint", api, "--file", str(catalogue), "--output", str(tmp_path / "out.jsonl")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert batch.returncode == 11, batch.stderr  # RowsRefused: its empty row
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [row.get("error") for row in rows] == [None, "empty description", None]


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "\\ud800", "description": "x"}',  # a lone surrogate, escaped in JSON
        b'{"title": "x", "description": "\\udcff\\udcfe", "year": 1}',
    ],
)
def test_a_lone_surrogate_is_a_422_not_a_5xx(api: str, body: bytes) -> None:
    """Bytes that are not UTF-8 never reach the function under sam local 1.170: its emulator
    answers 502 itself ("UnicodeDecodeError while processing HTTP request"). API Gateway hands
    them on base64-encoded, and the function answers 400 (tests/unit/genre_api/test_handler.py)."""
    response = requests.post(f"{api}/genre", data=body, timeout=30)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"


def test_each_request_writes_one_json_log_line_without_the_text(api: str, sam_log: Path) -> None:
    movie = {"title": "Log Line Probe", "description": "A probe walks into the log. " * 3}
    response = requests.post(f"{api}/genre", json=movie, timeout=30)
    assert response.status_code == 200

    def logged() -> list[dict]:
        lines = []
        for text in sam_log.read_text(errors="replace").splitlines():
            start = text.find('{"level"')
            if start >= 0 and '"message":"request"' in text:
                lines.append(json.loads(text[start:]))
        return [
            line for line in lines if line.get("description_chars") == len(movie["description"])
        ]

    wait_until(lambda: bool(logged()), 30, "the request's log line")
    (line,) = logged()
    assert (line["route"], line["status"], line["movies"]) == ("/genre", 200, 1)
    assert line["model_version"] == response.headers["X-Model-Version"]
    assert line["function_request_id"] and "correlation_id" in line
    assert "Log Line Probe" not in sam_log.read_text(errors="replace")


def test_schemathesis_finds_no_failure_under_sam_local(api: str) -> None:
    """The fuzz test of tests/functional, through API Gateway's local emulation and Mangum.

    Two kinds of request never reach the function under sam local, so they are left out: bodies
    that are not UTF-8 (the emulator answers 502 itself, see above; schemathesis's negative
    generation sends some, so only schema-valid requests are generated here, every other check
    on) and methods the API lacks (the emulator answers 403; API Gateway answers 404). POST
    /feedback has no bucket here: it answers its documented 503 (checked below), and
    tests/functional/test_fuzz.py fuzzes it with one. That test runs every phase and mode against
    the app itself."""
    result = schemathesis_run(
        api,
        60,
        20261127,
        "--mode",
        "positive",
        "--exclude-checks",
        "unsupported_method",
        "--exclude-path",
        "/feedback",
    )
    assert result.returncode == 0, result.stdout[-4000:]
    counted = re.search(r"Operations:\s+(\d+) selected / (\d+) total", result.stdout)
    assert counted and int(counted[1]) == int(counted[2]) - 1  # every operation but /feedback


def test_feedback_without_a_bucket_is_the_documented_503(api: str) -> None:
    movie = {**OTHELLO, "genres": ["Drama"]}
    answer = requests.post(f"{api}/feedback", json=movie, timeout=60)
    assert answer.status_code == 503
    assert answer.json() == {"detail": "feedback is not configured"}


def test_explain_and_the_model_card(api: str) -> None:
    explained = requests.post(f"{api}/explain?top=4", json=OTHELLO, timeout=30)
    assert explained.status_code == 200
    body = explained.json()
    assert body["genre"] == max(body["scores"], key=body["scores"].get)
    assert all(0 < len(words) <= 4 for words in body["explanations"].values())
    card = requests.get(f"{api}/model", timeout=30).json()
    assert card["version"] == body["model_version"] == explained.headers["X-Model-Version"]
    assert 0 < card["test_metrics"]["tuned"]["micro_f1"] < 1


def test_the_demo_page_classifies_in_a_real_browser(api: str) -> None:
    with browser_page() as (page, errors):
        classify_in_page(page, f"{api}/", OTHELLO["title"], OTHELLO["description"])
        page.wait_for_selector("#result:not([hidden])", timeout=60_000)
        assert page.locator("#bars li").count() == len(
            requests.get(f"{api}/model").json()["labels"]
        )
        assert page.locator("#highlighted mark").count() >= 1
        assert errors == []
