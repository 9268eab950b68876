"""Fixtures: an environment the developer's shell cannot leak into, the committed tiny model
(what unit tests load), and one small model trained on real rows (what the functional tests of
the training steps use). Everything comes from the repository: tests/fixtures/, data/movies/.
Helpers live in tests/helpers/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from genre_model import GenreClassifier
from tests.helpers.data import FIXTURE_MODEL, FIXTURE_ROWS, train_and_package

# Variables that would change what the code under test does: an exported endpoint would send
# unit tests over HTTP, a model directory or AWS profile would change what they load or call.
LEAKY_PREFIXES = ("MOVIE_CLASSIFIER_", "MOVIE_GENRE_", "AWS_", "POWERTOOLS_")


@pytest.fixture(scope="session", autouse=True)
def clean_environment() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(LEAKY_PREFIXES) or name in {"LOG_LEVEL", "_X_AMZN_TRACE_ID"}:
                patch.delenv(name)
        # Tracing needs the X-Ray daemon, which tests never have.
        patch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
        yield


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The committed tiny model (tests/fixtures/model) and its archive, packed once."""
    from genre_training.archive import write_archive

    archive = tmp_path_factory.mktemp("packaged") / "model.tar.gz"
    write_archive(FIXTURE_MODEL, archive)
    return {"artifact": FIXTURE_MODEL, "archive": archive}


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """prepare -> train (offline recipe, 150 steps) -> evaluate -> package, on the fixture rows."""
    return train_and_package(FIXTURE_ROWS, tmp_path_factory.mktemp("trained"))


@pytest.fixture(scope="session")
def classifier(packaged: dict[str, Path]) -> GenreClassifier:
    """The committed tiny model, loaded once for every test that only reads it."""
    return GenreClassifier.load(packaged["artifact"])


@pytest.fixture
def artifact_copy(packaged: dict[str, Path], tmp_path: Path) -> Path:
    """A copy of the packaged artifact that a test may damage."""
    return Path(shutil.copytree(packaged["artifact"], tmp_path / "artifact"))
