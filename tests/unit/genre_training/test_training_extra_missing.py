"""movie-genre-train where `make run` installed it without the [training] extra: one line."""

import sys

import pytest
from click.testing import CliRunner

from genre_training.cli import main


@pytest.mark.parametrize("package", ["pandas", "matplotlib"])
def test_a_step_without_the_training_packages_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, package: str
) -> None:
    for name in [name for name in sys.modules if name.startswith("genre_training.")]:
        if name != "genre_training.cli":
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, package, None)  # import fails: ModuleNotFoundError
    result = CliRunner().invoke(main, ["evaluate", "--help"])
    assert result.exit_code == 0  # help needs nothing
    result = CliRunner().invoke(main, ["prepare" if package == "pandas" else "evaluate"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: this step needs the training packages ({package} is missing): run `make train`, "
        "or pip install '.[training]'"
    ]
