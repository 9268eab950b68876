"""Read movies in the movies_metadata.csv format and split them as the original project did."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

# The Movies Dataset's genres cell, parsed as the CLI parses a correction's (one definition).
from genre_model.corrections import movies_dataset_genres as parse_genre_names
from genre_training.corpus import DEFAULT_MIN_GENRE_COUNT
from genre_training.errors import StepError

SPLIT_SEED = 42
TEST_FRACTION = 0.2
DEV_FRACTION = 0.1  # of what is left after the test split


class DataError(StepError):
    """The data cannot be used: missing file, missing column, or no usable rows."""


@dataclass
class LoadReport:
    rows_read: int = 0
    skipped_empty_text: int = 0
    skipped_unparsable_genres: int = 0
    skipped_no_label: int = 0
    usable: int = 0
    label_counts: dict[str, int] = field(default_factory=dict)


def read_movies(
    path: Path,
    *,
    description_column: str = "overview",
    min_genre_count: int = DEFAULT_MIN_GENRE_COUNT,
) -> tuple[pd.DataFrame, list[str], LoadReport]:
    """Usable movies (id, title, description, genres restricted to the labels), labels, report.

    Labels are the genres with at least min_genre_count usable movies. Rows with an empty
    description, unparsable genres or none of the labels are skipped and counted.
    """
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, OSError, UnicodeDecodeError) as error:
        raise DataError(f"cannot read {path} as CSV: {error}") from error
    needed = ["title", description_column, "genres"]
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        raise DataError(f"{path} has no column(s) {missing}; its columns are {list(frame.columns)}")
    report = LoadReport(rows_read=len(frame))
    frame = pd.DataFrame(
        {
            "id": frame["id"] if "id" in frame.columns else frame.index.astype(str),
            "year": release_years(frame),
            "title": frame["title"].str.strip(),
            "description": frame[description_column].str.strip(),
            "genres": frame["genres"].map(parse_genre_names),
        }
    )
    has_text = frame["description"] != ""
    report.skipped_empty_text = int((~has_text).sum())
    frame = frame[has_text]
    parsed = frame["genres"].notna()
    report.skipped_unparsable_genres = int((~parsed).sum())
    frame = frame[parsed]

    counts = Counter(name for names in frame["genres"] for name in set(names))
    labels = sorted(name for name, count in counts.items() if count >= min_genre_count)
    if not labels:
        raise DataError(
            f"no genre has {min_genre_count} or more usable movies in {path} "
            f"(most common: {counts.most_common(3)}); lower --min-genre-count"
        )
    label_set = set(labels)
    frame = frame.assign(
        genres=frame["genres"].map(lambda names: sorted(label_set.intersection(names)))
    )
    has_label = frame["genres"].map(bool)
    report.skipped_no_label = int((~has_label).sum())
    frame = frame[has_label].reset_index(drop=True)
    report.usable = len(frame)
    if frame.empty:
        raise DataError(f"no usable rows in {path}")
    report.label_counts = {label: int(counts[label]) for label in labels}
    return frame, labels, report


def release_years(frame: pd.DataFrame) -> pd.Series:
    """The release year as text ("" when unknown): the `year` column, else `release_date`'s."""
    if "year" in frame.columns:
        years = pd.to_numeric(frame["year"], errors="coerce")
    elif "release_date" in frame.columns:
        years = pd.to_datetime(frame["release_date"], errors="coerce", format="mixed").dt.year
    else:
        return pd.Series([""] * len(frame), index=frame.index)
    return years.map(lambda year: "" if pd.isna(year) else str(int(year)))


@dataclass(frozen=True)
class Splits:
    train: pd.DataFrame
    dev: pd.DataFrame
    test: pd.DataFrame

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "dev": len(self.dev), "test": len(self.test)}


def split_movies(frame: pd.DataFrame) -> Splits:
    """20% test, then 10% of the rest as validation, both with random_state=42 (the original's)."""
    if len(frame) < 10:
        raise DataError(f"{len(frame)} usable rows are too few to split into train/dev/test")
    rest, test = train_test_split(frame, test_size=TEST_FRACTION, random_state=SPLIT_SEED)
    train, dev = train_test_split(rest, test_size=DEV_FRACTION, random_state=SPLIT_SEED)
    return Splits(train=train, dev=dev, test=test)
