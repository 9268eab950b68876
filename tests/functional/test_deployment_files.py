"""template.yaml, samconfig.toml, and the image's lock of exactly the tested versions."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement

from tests.helpers.data import REPO

LOCK = REPO / "layers" / "runtime" / "requirements.lock"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>[^\s;\\]+)(?: ; (?P<marker>[^\\]+))?")


def lock_pins() -> dict[str, str]:
    """Lock entries that apply to this Python: normalized name -> version."""
    pins = {}
    lines = LOCK.read_text().splitlines()
    for number, line in enumerate(lines):
        match = PIN.match(line)
        if match is None:
            continue
        assert "--hash=sha256:" in lines[number + 1], f"{match['name']} has no hash in the lock"
        marker = match["marker"]
        if marker is None or Marker(marker.strip()).evaluate():
            pins[canonical(match["name"])] = match["version"]
    return pins


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_sam_validate_lint_passes() -> None:
    sam = Path(sys.executable).parent / "sam"
    result = subprocess.run(
        [str(sam), "validate", "--lint"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout


def test_the_lock_holds_the_function_extras_pins() -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    pins = lock_pins()
    for line in extras["function"] + extras["model"]:
        requirement = Requirement(line)
        if requirement.name == "movie-genre":
            continue
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{line}: the image's direct dependencies are pinned"
        assert pins[canonical(requirement.name)] == specifier.version, line


def test_the_tests_run_the_versions_the_image_installs() -> None:
    """Every locked package is installed here at the locked version: what is tested ships."""
    differ = {}
    for name, version in lock_pins().items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            differ[name] = (version, installed)
    assert not differ, f"lock vs installed: {differ} (make lock, or reinstall the venv)"


def test_the_runtime_layer_installs_the_lock_and_nothing_else() -> None:
    dockerfile = (REPO / "layers" / "runtime" / "Dockerfile").read_text()
    assert "--no-deps --require-hashes -r /tmp/requirements.lock" in dockerfile
    assert not (REPO / "layers" / "runtime" / "requirements.txt").exists()
