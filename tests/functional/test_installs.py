"""What a user gets from `pip install`: the built wheel, in fresh virtual environments, run from
a directory far from the repository.

- the plain install is the CLI's HTTP client (click, requests): no spaCy, pandas nor boto3;
- `[model]` adds spaCy, and the default model ships inside the package, so the embedded mode
  classifies with no further step.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.data import OTHELLO, REPO
from tests.helpers.fake_api import Answer, fake_api

MOVIE = ["--title", OTHELLO["title"], "--description", OTHELLO["description"]]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("movie_genre-*.whl"))


def venv_with(wheel: Path, root: Path, extra: str = "") -> Path:
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "install", "--quiet", f"{wheel}{extra}"],
        check=True,
        capture_output=True,
    )
    return venv


@pytest.fixture(scope="module")
def light_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return venv_with(wheel, tmp_path_factory.mktemp("light"))


@pytest.fixture(scope="module")
def model_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return venv_with(wheel, tmp_path_factory.mktemp("model"), "[model]")


def test_the_plain_install_has_no_spacy_pandas_or_boto3(light_venv: Path) -> None:
    for module in ("spacy", "pandas", "boto3"):
        probe = subprocess.run(
            [str(light_venv / "bin/python"), "-c", f"import {module}"], capture_output=True
        )
        assert probe.returncode != 0, f"{module} was installed"


def test_http_mode_works_and_embedded_mode_says_what_is_missing(
    light_venv: Path, tmp_path: Path
) -> None:
    cli = str(light_venv / "bin/movie_classifier")
    with fake_api([Answer()]) as (url, _):
        over_http = subprocess.run(
            [cli, "--endpoint", url, "--json", *MOVIE], capture_output=True, text=True, cwd=tmp_path
        )
    assert over_http.returncode == 0, over_http.stderr
    assert json.loads(over_http.stdout)["genre"] == "Drama"
    embedded = subprocess.run([cli, *MOVIE], capture_output=True, text=True, cwd=tmp_path)
    assert embedded.returncode == 3
    assert "needs spaCy: pip install 'movie-genre[model]'" in embedded.stderr


def test_the_model_extra_classifies_with_the_shipped_model_from_any_directory(
    model_venv: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [str(model_venv / "bin/movie_classifier"), "--json", *MOVIE],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["genre"] == "Drama"
    shipped = json.loads((REPO / "models/default/manifest.json").read_text())
    assert answer["model_version"] == shipped["version"]
    # The model came from the installed package, not from this checkout.
    located = subprocess.run(
        [
            str(model_venv / "bin/python"),
            "-c",
            "from genre_model.locations import default_model_dir; print(default_model_dir())",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stdout.strip()
    assert located.startswith(str(model_venv)), located
