import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from movie_classifier.client import ModelMissing
from movie_classifier.main import main

OTHELLO = [
    "--title",
    "Othello",
    "--description",
    "The evil Iago pretends to be friend of Othello in order to manipulate him.",
]


def test_prints_the_original_dict(artifact_copy: Path) -> None:
    result = CliRunner().invoke(main, [*OTHELLO, "--model-dir", str(artifact_copy)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("{'title': 'Othello',\n 'description': 'The evil Iago")
    assert "'genre': '" in result.output


def test_json_output_has_scores_genres_and_version(artifact_copy: Path) -> None:
    result = CliRunner().invoke(main, [*OTHELLO, "--json", "--model-dir", str(artifact_copy)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["genre"] == max(payload["scores"], key=payload["scores"].get)
    assert set(payload["genres"]) <= set(payload["scores"])
    assert payload["model_version"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--description", "x"], "Missing option '--title'"),
        (["--title", "x"], "Missing option '--description'"),
        (["--title", "  ", "--description", "x"], "Invalid value for '--title': must not be empty"),
        (["--title", "x", "--description", ""], "Invalid value for '--description'"),
    ],
)
def test_missing_or_empty_fields_are_usage_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_missing_model_is_reported(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [*OTHELLO, "--model-dir", str(tmp_path / "none")])
    assert result.exit_code == ModelMissing.exit_code
    assert "cannot load the model: no manifest.json" in result.output
