"""What a benchmark writes into docs/results.md names the repository's folders relative to it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.helpers.data import REPO


def test_a_recorded_run_quotes_no_absolute_path_of_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    monkeypatch.setattr(sys, "argv", ["serving.py", "--results-doc", "docs/results.md"])
    from recorded import run_recorded

    doc = tmp_path / "results.md"
    run_recorded(lambda: print(f"== model: {REPO / 'models' / 'default'}"), doc, "s", "Serving")
    assert "== model: models/default\n" in doc.read_text()
    assert str(REPO) not in doc.read_text()


def test_the_results_doc_quotes_no_machines_folders() -> None:
    text = (REPO / "docs" / "results.md").read_text()
    assert str(REPO) not in text and "/work/" not in text and "/home/" not in text
