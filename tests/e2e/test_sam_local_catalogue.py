"""The function image answers a catalogue job's batch (events/catalogue-batch.json, as the
Distributed Map sends it) under `sam local invoke`, as the model answers in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from genre_api.catalogue import answer_batch
from genre_api.settings import Settings
from genre_model import GenreClassifier
from tests.helpers.data import REPO
from tests.helpers.sam import build_runtime, docker_engine, sam_build, sam_local_invoke

pytestmark = pytest.mark.e2e

EVENT = REPO / "events" / "catalogue-batch.json"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The built template (the function's image) and where the container's output goes."""
    root = tmp_path_factory.mktemp("sam-catalogue")
    with docker_engine(root / "dockerd.log"):
        build_runtime("movie-genre/runtime:latest")
        yield sam_build(REPO / "template.yaml", root / "build"), root / "invoke.log"


def test_the_image_answers_the_sample_batch_with_one_result_per_item(
    built: tuple[Path, Path],
) -> None:
    template, log = built
    answer = sam_local_invoke(template, EVENT, log)
    # The model the image bundles (function/Dockerfile): a pulled one if present, else the default.
    pulled = REPO / "models" / "pulled"
    bundled = pulled if (pulled / "manifest.json").is_file() else REPO / "models" / "default"
    event = json.loads(EVENT.read_text())
    local = GenreClassifier.load(bundled)
    expected = answer_batch(event, local, Settings(model_dir=bundled))
    assert answer["model_version"] == local.version
    assert len(answer["results"]) == len(event["Items"])
    for got, want in zip(answer["results"], expected.body["results"], strict=True):
        assert got.keys() == want.keys()
        assert got["index"] == want["index"]
        if "error" in want:
            assert got["error"] == want["error"]  # the blank and the oversize rows
        else:
            assert got["genre"] == want["genre"] and got["genres"] == want["genres"]
            assert got["scores"] == pytest.approx(want["scores"], abs=1e-6)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    (request,) = [line for line in lines if line.get("message") == "request"]
    assert request["route"] == "catalogue" and request["refused"] == 2
    assert "Iago" not in log.read_text()  # no text in the container's output
