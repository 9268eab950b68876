"""import_spacy_without_cli: spaCy without its command line, in a fresh process each time (the
stand-in must be in place before spaCy is first imported)."""

from __future__ import annotations

import json
import subprocess
import sys

PREAMBLE = """
import json, sys
from genre_model.lean_spacy import import_spacy_without_cli
import_spacy_without_cli()
"""


def run(code: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PREAMBLE + code],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_spacy_imports_without_its_command_line() -> None:
    found = run(
        "import spacy\n"
        "print(json.dumps({'spacy': spacy.__name__,"
        " 'cli_file': getattr(sys.modules['spacy.cli'], '__file__', None),"
        " 'loaded': sorted(m for m in ('typer', 'weasel', 'spacy.cli.train') if m in sys.modules),"
        " 'blank': spacy.blank('en')('A test.').text}))"
    )
    assert found["spacy"] == "spacy"
    assert found["cli_file"] is None  # the stand-in, not spacy/cli/__init__.py
    assert found["loaded"] == []
    assert found["blank"] == "A test."


def test_spacy_info_still_works() -> None:
    found = run("import spacy\nprint(json.dumps(spacy.info()))")
    import spacy

    assert found["spacy_version"] == spacy.__version__


def test_a_command_of_spacy_still_imports_when_asked_for() -> None:
    found = run(
        "import spacy\n"
        "import spacy.cli.train\n"
        "from spacy.cli.train import train\n"
        "print(json.dumps({'train': callable(train), 'typer': 'typer' in sys.modules}))"
    )
    assert found == {"train": True, "typer": True}


def test_it_does_nothing_once_spacy_is_imported() -> None:
    found = run(
        "from genre_model.lean_spacy import import_spacy_without_cli as again\n"
        "import spacy\n"
        "stand_in = sys.modules['spacy.cli']\n"
        "again()\n"
        "print(json.dumps({'same': sys.modules['spacy.cli'] is stand_in}))"
    )
    assert found == {"same": True}
