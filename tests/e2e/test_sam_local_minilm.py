"""The accurate recipe under `sam local start-api`: a small minilm model trained here (on 160 real
movies), packaged, bundled into an image whose runtime layer carries onnxruntime and tokenizers
(requirements-onnx.lock), and called over real HTTP."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from genre_model import GenreClassifier
from tests.helpers.data import OTHELLO, REPO
from tests.helpers.sam import build_runtime, docker_engine, sam_local_api

pytestmark = pytest.mark.e2e
pytest.importorskip("torch", reason="the minilm recipe's training needs PyTorch (TRANSFORMER=1)")

MODEL = "e2e-minilm"  # a folder under models/ (gitignored), what function/Dockerfile's MODEL takes
RUNTIME = "movie-genre/runtime-onnx:latest"
IMAGE = "genrefunction:minilm"


@pytest.fixture(scope="module")
def artifact(trained: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from genre_training.evaluate import evaluate
    from genre_training.package import package
    from genre_training.transformer import fine_tune

    root = tmp_path_factory.mktemp("minilm")
    config = REPO / "training" / "configs" / "minilm.cfg"
    overrides = {"training.epochs": 1, "training.max_train": 160, "paths.bow_model": None}
    fine_tune(config, trained["corpus"], root / "train", overrides)
    evaluate(root / "train" / "model-best", trained["corpus"], root / "eval")
    package(root / "train" / "model-best", root / "eval", trained["corpus"], config, "minilm", root)
    bundled = REPO / "models" / MODEL
    shutil.rmtree(bundled, ignore_errors=True)
    shutil.copytree(root / "artifact", bundled)
    try:
        yield bundled
    finally:
        shutil.rmtree(bundled, ignore_errors=True)


def minilm_template(path: Path) -> Path:
    """template.yaml with the onnx runtime layer, the small model and its own image tag."""
    text = (REPO / "template.yaml").read_text()
    text = text.replace("DockerTag: latest", "DockerTag: minilm")
    text = text.replace("DockerContext: .", f"DockerContext: {REPO}")
    text = text.replace("CodeUri: function/pretraffic/", f"CodeUri: {REPO}/function/pretraffic/")
    text, replaced = re.subn(
        r"RUNTIME_IMAGE: movie-genre/runtime:latest",
        f"RUNTIME_IMAGE: {RUNTIME}\n        MODEL: {MODEL}",
        text,
    )
    assert replaced == 1
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def api(artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("sam-minilm")
    with docker_engine(root / "dockerd.log"):
        build_runtime(RUNTIME, "requirements-onnx.lock")
        template = minilm_template(root / "template.yaml")
        with sam_local_api(template, root / "build", root / "sam-local.log", IMAGE) as url:
            yield url


def test_the_accurate_model_answers_as_it_does_in_process(api: str, artifact: Path) -> None:
    local = GenreClassifier.load(artifact)
    response = requests.post(f"{api}/genre", json=OTHELLO, timeout=60)
    assert response.status_code == 200
    assert response.headers["X-Model-Version"] == local.version
    expected = local.predict([(OTHELLO["title"], OTHELLO["description"])])[0]
    assert response.json() == pytest.approx(expected.scores, abs=1e-5)
    assert requests.get(f"{api}/model", timeout=30).json()["recipe"] == "minilm"


def test_batches_and_explanations(api: str) -> None:
    movies = [OTHELLO, {"title": "Die Hard", "description": "A cop fights terrorists in a tower."}]
    batch = requests.post(f"{api}/genres", json={"movies": movies}, timeout=60).json()
    assert len(batch["results"]) == 2
    explained = requests.post(f"{api}/explain?top=3", json=OTHELLO, timeout=60).json()
    assert all(0 < len(words) <= 3 for words in explained["explanations"].values())
