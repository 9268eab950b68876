"""template.yaml, samconfig.toml and the runtime layer's pins."""

import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import REPO


def test_sam_validate_lint_passes() -> None:
    sam = Path(sys.executable).parent / "sam"
    result = subprocess.run(
        [str(sam), "validate", "--lint"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout


def test_runtime_layer_pins_match_the_function_extra() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = {pin for pin in extras["function"] + extras["model"] if "==" in pin}
    lines = (REPO / "layers/runtime/requirements.txt").read_text().splitlines()
    pins = {line for line in lines if line and not line.startswith("#")}
    assert wanted <= pins
    assert {pin.split("==")[0] for pin in pins - wanted} == {"awslambdaric"}
