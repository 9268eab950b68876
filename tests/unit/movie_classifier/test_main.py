import json
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from genre_model.constants import DEFAULT_TOP, MAX_TOP
from movie_classifier.errors import ModelMissing, UsageProblem, exit_codes
from movie_classifier.main import main
from tests.helpers.data import REPO
from tests.helpers.fake_api import Answer, fake_api

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
    result = CliRunner().invoke(main, [*OTHELLO, "--model-dir", str(tmp_path)])
    assert result.exit_code == ModelMissing.exit_code
    assert "cannot load the model: no manifest.json" in result.output


def test_a_model_dir_that_does_not_exist_is_said_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = CliRunner().invoke(main, [*OTHELLO, "--model-dir", str(tmp_path / "none")])
    assert result.exit_code == ModelMissing.exit_code
    assert f"cannot load the model: --model-dir {tmp_path / 'none'} does not exist" in (
        result.output
    )
    monkeypatch.setenv("MOVIE_GENRE_MODEL_DIR", str(tmp_path / "gone"))
    result = CliRunner().invoke(main, OTHELLO)
    assert f"MOVIE_GENRE_MODEL_DIR {tmp_path / 'gone'} does not exist" in result.output


def help_text() -> str:
    result = CliRunner().invoke(main, ["--help"], terminal_width=100)
    assert result.exit_code == 0
    return " ".join(result.output.split())


def test_help_lists_every_exit_code_as_the_error_classes_define_it() -> None:
    text = help_text()
    for code, meaning in exit_codes():
        assert f"{code} {' '.join(meaning.split())}" in text


def test_help_starts_every_exit_codes_meaning_in_one_column() -> None:
    result = CliRunner().invoke(main, ["--help"], terminal_width=100)
    table = result.output.split("Exit codes")[1].split("\n\n")[1]
    starts = {
        re.match(r" *\d+  ", line).end() for line in table.splitlines() if line.strip()[0].isdigit()
    }  # type: ignore[union-attr]
    continued = {
        len(line) - len(line.lstrip())
        for line in table.splitlines()
        if not line.strip()[0].isdigit()
    }
    assert len(starts) == 1 and continued <= starts


def test_help_says_what_partial_failure_looks_like() -> None:
    assert "A request that fails whole (codes 4 to 8) stops the run" in help_text()


def test_help_examples_use_the_stacks_sam_deploys() -> None:
    config = tomllib.loads((REPO / "samconfig.toml").read_text())
    stacks = {
        env["global"]["parameters"]["stack_name"]
        for env in config.values()
        if isinstance(env, dict) and "stack_name" in env.get("global", {}).get("parameters", {})
    }
    examples = help_text().split("Examples:")[1]
    assert set(re.findall(r"--stack (\S+)", examples)) == {"movie-genre-dev", "movie-genre-prod"}
    assert {"movie-genre-dev", "movie-genre-prod"} <= stacks


def test_the_explanation_limits_are_the_apis() -> None:
    """The CLI reads them from genre_model without spaCy; the API reads the same objects."""
    from genre_model import explanations

    assert (explanations.DEFAULT_TOP, explanations.MAX_TOP) == (DEFAULT_TOP, MAX_TOP)
    text = help_text()
    assert f"(default {DEFAULT_TOP}, at most {MAX_TOP})" in text
    for top in (0, MAX_TOP + 1):
        result = CliRunner().invoke(main, [*OTHELLO, "--explain", str(top)])
        assert result.exit_code == 2
        assert f"'--explain': {top} is not in the range 1<=x<={MAX_TOP}" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--endpoint", "ftp://example.org"], "is not an http(s) URL nor 'embedded'"),
        (["--endpoint", "http://127.0.0.1:9", "--stack", "s"], "either --endpoint or --stack"),
        (["--iam"], "--iam signs requests to an API"),
        (["--iam-host", "api.example.com"], "--iam signs requests to an API"),
        (["--timeout", "0"], "'--timeout': 0.0 is not in the range x>=0.1"),
        (["--endpoint", "http://127.0.0.1:9/?x=1"], "has a query or fragment"),
    ],
)
def test_every_usage_error_exits_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, [*OTHELLO, *args])
    assert result.exit_code == UsageProblem.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_explanation_words_and_a_corrections_id_reach_the_terminal_escaped() -> None:
    escapes = "\x1b]0;PWNED\x07\x1b[2J"
    explained = {
        "scores": {"Drama": 0.7},
        "genre": "Drama",
        "genres": ["Drama"],
        "explanations": {"Drama": [{"word": escapes, "weight": 0.5}]},
        "model_version": "v1",
    }
    saved = {"id": escapes, "received_at": "", "model_version": "v1"}
    with fake_api([Answer(body=explained), Answer(body=explained), Answer(body=saved)]) as (
        url,
        _,
    ):
        runs = [
            CliRunner().invoke(main, ["--endpoint", url, *OTHELLO, "--explain"]),
            CliRunner().invoke(main, ["--endpoint", url, *OTHELLO, "--explain", "--json"]),
            CliRunner().invoke(main, ["--endpoint", url, *OTHELLO, "--genres", "Drama"]),
        ]
    for result in runs:
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b]0;PWNED\\x07" in runs[0].output
    assert json.loads(runs[1].output)["explanations"]["Drama"][0]["word"] == escapes
    assert "saved correction \\x1b]0;PWNED" in runs[2].output


def test_an_endpoint_from_the_environment_is_named_as_such(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MOVIE_CLASSIFIER_ENDPOINT", "http://127.0.0.1:9")
    result = CliRunner().invoke(main, [*OTHELLO, "--stack", "s"])
    assert result.exit_code == 2
    assert "give either --endpoint (here from MOVIE_CLASSIFIER_ENDPOINT) or --stack" in (
        result.output
    )
