"""The function image under `sam local start-api`, over real HTTP.

Starts the Docker engine if none answers, builds the Lambda-compatible Debian base and the runtime
layer (layers/), runs `sam build` and `sam local start-api`, and cleans up what it started.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from genre_model import GenreClassifier
from tests.helpers.data import OTHELLO, REPO
from tests.helpers.servers import background_server, free_port, wait_until

pytestmark = pytest.mark.e2e

BASE_IMAGE = "movie-genre/debian-lambda-base:bookworm"
RUNTIME_IMAGE = "movie-genre/runtime:latest"
BIN = Path(sys.executable).parent


def docker_answers() -> bool:
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def docker_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    if docker_answers():
        yield
        return
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        pytest.fail("no Docker engine: apt-get install docker.io (see .ci/run)")
    log = (tmp_path_factory.mktemp("dockerd") / "dockerd.log").open("w")
    engine = subprocess.Popen([dockerd], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(docker_answers, 60, "dockerd")
        yield
    finally:
        engine.terminate()
        engine.wait(timeout=30)


@pytest.fixture(scope="module")
def runtime_image(docker_engine: None) -> str:
    subprocess.run([str(REPO / "layers/debian-base/build.sh"), BASE_IMAGE], check=True)
    subprocess.run(
        [
            "docker",
            "build",
            "-q",
            "-t",
            RUNTIME_IMAGE,
            "--build-arg",
            f"BASE_IMAGE={BASE_IMAGE}",
            str(REPO / "layers/runtime"),
        ],
        check=True,
        capture_output=True,
    )
    return RUNTIME_IMAGE


@pytest.fixture(scope="module")
def api(runtime_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    build_dir = tmp_path_factory.mktemp("sam-build")
    subprocess.run(
        [
            str(BIN / "sam"),
            "build",
            "--template-file",
            str(REPO / "template.yaml"),
            "--build-dir",
            str(build_dir),
            "--no-cached",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    port = free_port()
    command = [
        str(BIN / "sam"),
        "local",
        "start-api",
        "--template-file",
        str(build_dir / "template.yaml"),
        "--port",
        str(port),
        "--warm-containers",
        "EAGER",
    ]

    def healthy() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    try:
        with background_server(
            command, port, ready=healthy, seconds=180, log=build_dir / "sam-local.log"
        ) as url:
            yield url
    finally:
        # Warm containers that sam did not stop on its way out.
        leftovers = subprocess.run(
            ["docker", "ps", "-q", "--filter", "ancestor=genrefunction:latest"],
            capture_output=True,
            text=True,
        ).stdout.split()
        if leftovers:
            subprocess.run(["docker", "rm", "-f", *leftovers], capture_output=True)


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
    assert batch.returncode == 0, batch.stderr
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [row.get("error") for row in rows] == [None, "empty description", None]
