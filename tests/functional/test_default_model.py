"""The model kept in models/default: what `make run` and a fresh clone classify with."""

import json
from pathlib import Path

from click.testing import CliRunner

from genre_model import GenreClassifier, Manifest
from genre_model.locations import REPO_MODEL_DIR
from movie_classifier.main import main
from tests.conftest import REPO

OTHELLO_DESCRIPTION = (
    "The evil Iago pretends to be friend of Othello in order to manipulate him to serve his own "
    "end in the film version of this Shakespeare classic."
)


def test_the_default_model_is_complete_and_verified() -> None:
    assert REPO_MODEL_DIR == REPO / "models" / "default"
    manifest = Manifest.read(REPO_MODEL_DIR)
    manifest.verify_files(REPO_MODEL_DIR)
    assert manifest.labels == ["Action", "Comedy", "Drama", "Romance", "Thriller"]
    assert manifest.recipe == "offline"
    assert manifest.split_sizes == {"train": 22689, "dev": 2521, "test": 6303}


def test_the_cli_classifies_othello_as_drama_with_the_default_model() -> None:
    result = CliRunner().invoke(
        main, ["--title", "Othello", "--description", OTHELLO_DESCRIPTION, "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["genre"] == "Drama" == max(payload["scores"], key=payload["scores"].get)
    assert "Drama" in payload["genres"]
    assert payload["model_version"] == GenreClassifier.load(Path(REPO_MODEL_DIR)).version
