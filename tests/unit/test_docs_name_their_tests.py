"""Where a document says a test checks a claim, it names the test: every `test_...` name in the
docs is a test function of the repository's tests (renamed or removed, the doc is stale)."""

from __future__ import annotations

import re

from tests.helpers.data import REPO

NAMED = re.compile(r"`(test_[a-z0-9_]+)`")
UNNAMED = re.compile(r"\ba\s+test\s+(?:checks|compares|recomputes|holds|proves)\b", re.IGNORECASE)
DEFINED = re.compile(r"^\s*(?:async )?def (test_[a-z0-9_]+)\(", re.MULTILINE)


def test_every_test_a_document_names_exists() -> None:
    defined = {
        name
        for path in (REPO / "tests").rglob("test_*.py")
        for name in DEFINED.findall(path.read_text(encoding="utf-8"))
    }
    documents = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    named = {
        (path.name, name)
        for path in documents
        for name in NAMED.findall(path.read_text(encoding="utf-8"))
    }
    assert len(named) >= 8
    assert not [(doc, name) for doc, name in named if name not in defined]
    unnamed = [
        (path.name, found.group(0))
        for path in documents
        for found in UNNAMED.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not unnamed, "name the test that checks the claim"
