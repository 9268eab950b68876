"""The deployment environments of samconfig.toml (dev, prod), for `make deploy` and rollback.

    python deploy/environments.py stack ENV                 the environment's stack name
    python deploy/environments.py overrides ENV MODEL_DIR   its parameter overrides, with
                                                            ModelVersion=<the model's version>

`sam deploy --parameter-overrides` replaces samconfig.toml's overrides rather than adding to
them, so `make deploy` passes the environment's own together with the model version.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

SAMCONFIG = Path(__file__).resolve().parents[1] / "samconfig.toml"


def environment(name: str) -> dict[str, Any]:
    config = tomllib.loads(SAMCONFIG.read_text())
    if name not in config or name == "version":
        known = [key for key in config if key not in {"version", "default"}]
        raise SystemExit(f"no environment {name!r} in samconfig.toml; known: {known}")
    section: dict[str, Any] = config[name]
    return section


def stack_name(name: str) -> str:
    return str(environment(name)["global"]["parameters"]["stack_name"])


def parameter_overrides(name: str, model_dir: Path) -> str:
    overrides = environment(name)["deploy"]["parameters"].get("parameter_overrides", "")
    version = json.loads((model_dir / "manifest.json").read_text())["version"]
    return f"{overrides} ModelVersion={version}".strip()


def main() -> None:
    match sys.argv[1:]:
        case ["stack", name]:
            print(stack_name(name))
        case ["overrides", name, model_dir]:
            print(parameter_overrides(name, Path(model_dir)))
        case _:
            raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
