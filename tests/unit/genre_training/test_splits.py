"""Reading a prepared corpus back as model inputs and truth matrices."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from genre_training.corpus import read_jsonl
from genre_training.errors import StepError
from genre_training.splits import read_split, read_splits


def test_every_split_is_read_as_the_model_reads_it(fixture_corpus: Path) -> None:
    prepared, splits = read_splits(fixture_corpus)
    assert {name: len(split.texts) for name, split in splits.items()} == prepared["split_sizes"]
    rows = read_jsonl(fixture_corpus / "test.jsonl")
    test = splits["test"]
    assert test.texts[0] == f"{rows[0]['title']}.\n{rows[0]['description']}"
    assert test.truth.shape == (len(rows), len(prepared["labels"]))
    for row, truth in zip(rows, test.truth, strict=True):
        assert [label for label, has in zip(prepared["labels"], truth, strict=True) if has] == row[
            "genres"
        ]
    assert test.years == [row["year"] for row in rows]


def test_a_description_only_corpus_gives_descriptions_only(
    fixture_corpus: Path, tmp_path: Path
) -> None:
    corpus = Path(shutil.copytree(fixture_corpus, tmp_path / "corpus"))
    prepared = json.loads((corpus / "prepare.json").read_text())
    (corpus / "prepare.json").write_text(json.dumps({**prepared, "text_fields": "description"}))
    rows = read_jsonl(corpus / "dev.jsonl")
    dev = read_split(corpus, "dev", {**prepared, "text_fields": "description"})
    assert dev.texts == [row["description"] for row in rows]


@pytest.mark.parametrize("missing", ["prepare.json", "dev.jsonl"])
def test_a_missing_file_names_the_step_that_writes_it(
    fixture_corpus: Path, tmp_path: Path, missing: str
) -> None:
    corpus = Path(shutil.copytree(fixture_corpus, tmp_path / "corpus"))
    (corpus / missing).unlink()
    with pytest.raises(StepError, match=f"{missing} is missing: .*`movie-genre-train prepare`"):
        read_splits(corpus)
