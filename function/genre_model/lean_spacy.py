"""Import spaCy without its command line, for a faster cold start.

spaCy's `__init__` imports its whole command line (typer, weasel, httpx, requests: a large part
of `import spacy`) for one re-export, `spacy.info`; nothing else in spaCy's runtime touches
`spacy.cli`. The function never runs a spaCy command, so before spaCy is first imported it puts
a stand-in for `spacy.cli` in sys.modules. The stand-in keeps the real package's path, so a
submodule such as `spacy.cli.train` still imports on demand, and `spacy.info` still works: it
drops the stand-in and calls the real one.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

CLI = "spacy.cli"
CLI_INFO = "spacy.cli.info"


def _real_info(*args: Any, **kwargs: Any) -> Any:
    for name in (CLI_INFO, CLI):
        sys.modules.pop(name, None)
    return importlib.import_module(CLI_INFO).info(*args, **kwargs)


def import_spacy_without_cli() -> None:
    """Import spaCy with a stand-in for spacy.cli; no-op when spaCy is already imported."""
    if "spacy" in sys.modules:
        return
    # The top-level spec: finding "spacy.cli" itself would import spacy first.
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        return  # spaCy is not installed: its import fails where it is needed
    cli = types.ModuleType(CLI, "spacy's command line, not imported (see genre_model.lean_spacy)")
    cli.__path__ = [str(Path(location) / "cli") for location in spec.submodule_search_locations]
    info = types.ModuleType(CLI_INFO)
    info.info = _real_info  # type: ignore[attr-defined]
    cli.info = info  # type: ignore[attr-defined]
    sys.modules[CLI], sys.modules[CLI_INFO] = cli, info
    importlib.import_module("spacy")
