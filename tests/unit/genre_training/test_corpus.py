import shutil
from pathlib import Path

from genre_model.manifest import sha256_file
from genre_training.corpus import DEFAULT_DATA, DEFAULT_DATA_SHA256, default_data_warning


def test_the_repository_carries_the_data_file_it_was_committed_with() -> None:
    assert sha256_file(DEFAULT_DATA) == DEFAULT_DATA_SHA256


def test_a_changed_default_data_file_is_named_with_both_hashes() -> None:
    warning = default_data_warning(DEFAULT_DATA, "0" * 64)
    assert warning is not None
    assert str(DEFAULT_DATA) in warning
    assert "0" * 64 in warning and DEFAULT_DATA_SHA256 in warning


def test_other_data_files_and_the_committed_one_get_no_warning(tmp_path: Path) -> None:
    copy = Path(shutil.copy(DEFAULT_DATA, tmp_path / "movies.csv.gz"))
    assert default_data_warning(copy, "0" * 64) is None
    assert default_data_warning(DEFAULT_DATA, DEFAULT_DATA_SHA256) is None
