import subprocess

import pytest

from tests.helpers.data import REPO


@pytest.mark.parametrize("arguments", [[], ["dev", "prod"]])
def test_the_smoke_test_without_its_environment_says_its_usage(arguments: list[str]) -> None:
    result = subprocess.run(
        ["bash", str(REPO / "deploy" / "smoke-test.sh"), *arguments],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "usage: deploy/smoke-test.sh ENV   (an environment of samconfig.toml: dev or prod)\n"
    )
