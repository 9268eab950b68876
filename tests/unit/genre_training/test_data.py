from pathlib import Path

import pandas as pd
import pytest

from genre_training.data import DataError, parse_genre_names, read_movies, split_movies
from tests.helpers.data import FIXTURE_ROWS, MAIN_DATA, write_csv


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        (
            "[{'id': 16, 'name': 'Animation'}, {'id': 35, 'name': 'Comedy'}]",
            ["Animation", "Comedy"],
        ),
        ("[]", []),
        ("[{'id': 16}]", None),
        ("not a list", None),
        ("{'id': 16, 'name': 'Animation'}", None),
        ("[{'id': 16, 'name': 'Anim", None),
        ("", None),
    ],
)
def test_parse_genre_names(cell: str, names: list[str] | None) -> None:
    assert parse_genre_names(cell) == names


def test_reads_the_original_movies_metadata_format() -> None:
    frame, labels, report = read_movies(FIXTURE_ROWS, min_genre_count=100)
    assert labels == ["Action", "Comedy", "Drama", "Romance", "Thriller"]
    assert report.rows_read == 600
    assert report.skipped_empty_text == 2
    assert report.usable == len(frame) == 550
    assert frame["genres"].map(lambda genres: set(genres) <= set(labels) and genres).all()


def test_bad_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    rows = pd.DataFrame(
        {
            "title": ["A", "B", "C", "D"],
            "overview": ["a story", "  ", "another", "a third"],
            "genres": [
                "[{'id': 18, 'name': 'Drama'}]",
                "[{'id': 18, 'name': 'Drama'}]",
                "[{'id': 18, 'name'",
                "[{'id': 99, 'name': 'Documentary'}]",
            ],
        }
    )
    _frame, labels, report = read_movies(write_csv(rows, tmp_path / "m.csv.gz"), min_genre_count=1)
    assert (report.skipped_empty_text, report.skipped_unparsable_genres) == (1, 1)
    assert labels == ["Documentary", "Drama"]
    assert report.usable == 2 and report.skipped_no_label == 0


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="data file not found"):
        read_movies(tmp_path / "none.csv")


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = write_csv(pd.DataFrame({"title": ["A"], "genres": ["[]"]}), tmp_path / "m.csv.gz")
    with pytest.raises(DataError, match=r"no column\(s\) \['overview'\]"):
        read_movies(path)
    with pytest.raises(DataError, match=r"no column\(s\) \['plot'\]"):
        read_movies(path, description_column="plot")


def test_no_usable_rows_is_a_clear_error(tmp_path: Path) -> None:
    rows = pd.DataFrame({"title": ["A"], "overview": [""], "genres": ["[]"]})
    with pytest.raises(DataError, match="no genre has 1 or more"):
        read_movies(write_csv(rows, tmp_path / "m.csv.gz"), min_genre_count=1)


def test_the_split_matches_the_original_projects_sizes() -> None:
    frame, labels, report = read_movies(MAIN_DATA)
    assert labels == ["Action", "Comedy", "Drama", "Romance", "Thriller"]
    assert report.usable == 31513
    splits = split_movies(frame)
    assert splits.sizes() == {"train": 22689, "dev": 2521, "test": 6303}
    ids = [set(part["id"]) for part in (splits.train, splits.dev, splits.test)]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
