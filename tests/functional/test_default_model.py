"""The model kept in models/default: what `make run` and a fresh clone classify with."""

import json

from click.testing import CliRunner

from genre_model import GenreClassifier, Manifest
from genre_model.locations import default_model_dir
from movie_classifier.main import main
from tests.helpers.data import OTHELLO, REPO


def test_the_default_model_is_complete_and_verified() -> None:
    model_dir = default_model_dir()
    assert model_dir == REPO / "models" / "default"
    manifest = Manifest.read(model_dir)
    manifest.verify_files(model_dir)
    assert manifest.labels == ["Action", "Comedy", "Drama", "Romance", "Thriller"]
    assert manifest.recipe == "offline"
    assert manifest.split_sizes == {"train": 22689, "dev": 2521, "test": 6303}


def test_the_cli_classifies_othello_as_drama_with_the_default_model() -> None:
    result = CliRunner().invoke(
        main, ["--title", OTHELLO["title"], "--description", OTHELLO["description"], "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["genre"] == "Drama" == max(payload["scores"], key=payload["scores"].get)
    assert "Drama" in payload["genres"]
    assert payload["model_version"] == GenreClassifier.load(default_model_dir()).version


def test_the_default_model_scores_its_golden_set_and_carries_its_card() -> None:
    classifier = GenreClassifier.load(default_model_dir())
    assert classifier.check_golden() == 32
    card = (default_model_dir() / "MODEL_CARD.md").read_text()
    assert (
        f"| tuned on validation | {classifier.manifest.metrics['test_micro_f1_tuned']:.3f}" in card
    )
