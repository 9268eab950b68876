"""The near-duplicate threshold of `prepare --feedback` (genre_training.near_duplicates), measured
on the repository's data.

    nice .venv/bin/python bench/near_duplicates.py [--results-doc docs/results.md]

Two questions, on `prepare`'s own split of the data the repository carries:
- how similar different films are: for each training movie, the Jaccard of the most similar dev
  or test movie, counted at several levels (and the pairs from 0.5 to 0.8, named);
- how similar a user's typing of an evaluation movie stays: for 1,000 dev and test movies, that
  many letters of the overview replaced at random, the share still at or over each level.

The threshold should sit above what different films reach and below what a few typos leave.
--results-doc writes the figures into docs/results.md's `near-duplicates` section.
"""

from __future__ import annotations

import argparse
import random
import string
from pathlib import Path

from recorded import run_recorded

from genre_training.corpus import DEFAULT_DATA, DEFAULT_MIN_GENRE_COUNT
from genre_training.data import read_movies, split_movies
from genre_training.near_duplicates import (
    SHINGLE_CHARS,
    THRESHOLD,
    NearDuplicates,
    jaccard,
    shingles,
)

LEVELS = (0.8, 0.7, THRESHOLD, 0.5, 0.4)
EDITS = (1, 2, 3, 5, 8)
EDITED_MOVIES = 1000
# Lower than any level counted: what the index is asked, to see the data's pairs under it too.
FLOOR = 0.3
NAMED_FROM = 0.5  # the pairs from here to 0.8 are printed by name
SEED = 1


def measure() -> None:
    frame, _, _ = read_movies(
        DEFAULT_DATA, description_column="overview", min_genre_count=DEFAULT_MIN_GENRE_COUNT
    )
    splits = split_movies(frame)
    evaluation = [
        (title, description)
        for part in (splits.dev, splits.test)
        for title, description in zip(part["title"], part["description"], strict=True)
    ]
    index = NearDuplicates(evaluation)
    nearest = []
    for title, description in zip(splits.train["title"], splits.train["description"], strict=True):
        found = index.most_similar(title, description, threshold=FLOOR)
        if found is not None:
            nearest.append((found[1], title, evaluation[found[0]][0]))
    print(
        f"{len(splits.train)} training movies against {len(evaluation)} dev and test movies, "
        f"character {SHINGLE_CHARS}-grams of the normalised title and description; threshold "
        f"{THRESHOLD}"
    )
    print("training movies with a dev or test movie at least this similar:")
    for level in LEVELS:
        print(f"  >= {level}: {sum(similarity >= level for similarity, _, _ in nearest)}")
    below = [similarity for similarity, _, _ in nearest if similarity < NAMED_FROM]
    print(f"  the most similar pair under {NAMED_FROM}: {max(below, default=0):.3f}")
    print(f"pairs from {NAMED_FROM} to 0.8 (training movie | dev or test movie):")
    for similarity, train_title, other in sorted(nearest, reverse=True):
        if NAMED_FROM <= similarity < 0.8:
            print(f"  {similarity:.3f}  {train_title} | {other}")
    chance = random.Random(SEED)
    sample = chance.sample(evaluation, EDITED_MOVIES)
    print(f"{EDITED_MOVIES} dev and test overviews with letters replaced at random, still >=:")
    print("  edits  " + "  ".join(f"{level:>5}" for level in LEVELS))
    for edits in EDITS:
        kept = []
        for title, description in sample:
            letters = list(description)
            for _ in range(edits):
                letters[chance.randrange(len(letters))] = chance.choice(string.ascii_lowercase)
            kept.append(jaccard(shingles(title, description), shingles(title, "".join(letters))))
        shares = (sum(similarity >= level for similarity in kept) / len(kept) for level in LEVELS)
        print(f"  {edits:>5}  " + "  ".join(f"{share:>5.1%}" for share in shares))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results-doc", type=Path, default=None)
    options = parser.parse_args()
    run_recorded(
        measure,
        options.results_doc,
        "near-duplicates",
        "Near-duplicate threshold, `bench/near_duplicates.py`",
    )


if __name__ == "__main__":
    main()
