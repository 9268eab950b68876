"""All-or-nothing writes (genre_model.atomic_files), as training and the CLI use them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from genre_model.atomic_files import atomic_bytes, atomic_text


def test_a_write_that_fails_leaves_the_file_as_it_was_and_nothing_beside(tmp_path: Path) -> None:
    target = tmp_path / "corrections.jsonl"
    target.write_text("the earlier run's\n", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError), atomic_text(target) as stream:
        stream.write("a first line\n")
        stream.write("\ud800")  # what a lone surrogate did to the old corrections.jsonl
    assert target.read_text(encoding="utf-8") == "the earlier run's\n"
    assert list(tmp_path.iterdir()) == [target]
    with atomic_text(tmp_path / "new.jsonl") as stream:
        stream.write("whole\n")
    assert (tmp_path / "new.jsonl").read_text(encoding="utf-8") == "whole\n"


def test_bytes_are_written_whole_into_folders_made_for_them(tmp_path: Path) -> None:
    target = tmp_path / "corpus" / "train.spacy"
    atomic_bytes(target, b"\x00\x01 docs")
    assert target.read_bytes() == b"\x00\x01 docs"
    assert list(target.parent.iterdir()) == [target]


def test_newline_is_passed_as_open_takes_it(tmp_path: Path) -> None:
    """The csv module ends its rows with \\r\\n itself: "" keeps them as written."""
    target = tmp_path / "out.csv"
    with atomic_text(target, newline="") as stream:
        stream.write("a,b\r\n")
    assert target.read_bytes() == b"a,b\r\n"


def test_a_new_file_gets_the_umasks_mode_and_a_replaced_one_keeps_its_own(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        new = tmp_path / "new.jsonl"
        with atomic_text(new) as stream:
            stream.write("{}\n")
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        kept = tmp_path / "kept.jsonl"
        kept.write_text("old\n", encoding="utf-8")
        kept.chmod(0o600)
        with atomic_text(kept) as stream:
            stream.write("new\n")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert kept.read_text(encoding="utf-8") == "new\n"
    finally:
        os.umask(previous)
