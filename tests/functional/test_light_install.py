"""The CLI installs light: `pip install .` brings click and requests, not spaCy nor pandas."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.unit.movie_classifier.fake_api import Answer, fake_api


@pytest.fixture(scope="module")
def light_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("light") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(venv / "bin/python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    return venv


def test_no_spacy_or_pandas(light_venv: Path) -> None:
    for module in ("spacy", "pandas", "boto3"):
        probe = subprocess.run(
            [str(light_venv / "bin/python"), "-c", f"import {module}"], capture_output=True
        )
        assert probe.returncode != 0, f"{module} was installed"


def test_http_mode_works_and_embedded_mode_says_what_is_missing(light_venv: Path) -> None:
    cli = str(light_venv / "bin/movie_classifier")
    movie = ["--title", "Othello", "--description", "The evil Iago pretends."]
    with fake_api([Answer()]) as (url, _):
        over_http = subprocess.run(
            [cli, "--endpoint", url, "--json", *movie], capture_output=True, text=True
        )
    assert over_http.returncode == 0, over_http.stderr
    assert json.loads(over_http.stdout)["genre"] == "Drama"
    embedded = subprocess.run([cli, *movie], capture_output=True, text=True)
    assert embedded.returncode == 3
    assert "needs spaCy: pip install 'movie-genre[model]'" in embedded.stderr
