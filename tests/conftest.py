"""Fixtures: an environment the developer's shell cannot leak into, real data files from
../shared, and one small model trained on real rows. Helpers live in tests/helpers/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from genre_model import GenreClassifier
from tests.helpers.data import OFFLINE_CONFIG, ORIGINAL_SAMPLE, train_tiny, write_csv

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
def original_sample() -> Path:
    if not ORIGINAL_SAMPLE.is_file():
        pytest.fail(f"test data missing: {ORIGINAL_SAMPLE} (shared/ must sit beside the repo)")
    return ORIGINAL_SAMPLE


@pytest.fixture(scope="session")
def small_csv(original_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 600 rows of the original-format sample: fast to train on, still real."""
    frame = pd.read_csv(original_sample, dtype=str, keep_default_na=False).head(600)
    return write_csv(frame, tmp_path_factory.mktemp("data") / "small.csv.gz")


@pytest.fixture(scope="session")
def trained(small_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """prepare -> train (offline recipe, 150 steps) -> evaluate -> package, on real rows."""
    from genre_training.evaluate import evaluate
    from genre_training.package import package
    from genre_training.prepare import prepare

    root = tmp_path_factory.mktemp("trained")
    prepare(
        small_csv,
        root / "corpus",
        text_fields="title+description",
        description_column="overview",
        min_genre_count=60,
    )
    model = train_tiny(root / "corpus", OFFLINE_CONFIG, root / "train")
    evaluate(model, root / "corpus", root / "eval")
    package(model, root / "eval", root / "corpus", OFFLINE_CONFIG, "offline", root)
    return {
        "root": root,
        "corpus": root / "corpus",
        "model": model,
        "eval": root / "eval",
        "artifact": root / "artifact",
        "archive": root / "model.tar.gz",
    }


@pytest.fixture(scope="session")
def classifier(trained: dict[str, Path]) -> GenreClassifier:
    """The small trained model, loaded once for every test that only reads it."""
    return GenreClassifier.load(trained["artifact"])


@pytest.fixture
def artifact_copy(trained: dict[str, Path], tmp_path: Path) -> Path:
    """A copy of the packaged artifact that a test may damage."""
    return Path(shutil.copytree(trained["artifact"], tmp_path / "artifact"))
