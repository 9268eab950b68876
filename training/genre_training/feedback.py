"""Users' corrections (genre_model.corrections) read back from S3 or a folder, applied to the
prepared splits, and exported for review in an annotation tool.

How they are applied:
- only the latest correction of a movie counts (by time received, then id); older ones are
  ignored as superseded;
- a correction replaces the labels of every row of the same movie (the normalised title and
  description), in whichever split it is: dev and test keep their movies, with better labels;
- a movie that is in no split joins the training split only, so that dev and test stay the
  same movies and the metrics stay comparable from one model to the next;
- genres that are not the model's labels are dropped from a correction, as `prepare` drops them
  from the data, and counted; a correction left with no label says "none of these" (a negative
  example for every label);
- an object that is not a correction is ignored, with its reason.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from genre_model.corrections import (
    MAX_RECORD_BYTES,
    Correction,
    CorrectionError,
    latest_first,
    movie_key,
)
from genre_model.s3_names import S3_SCHEME, split_s3_url
from genre_model.text import compose_text
from genre_training.corpus import PREPARE_REPORT, SPLITS
from genre_training.errors import StepError
from genre_training.location import S3Location

if TYPE_CHECKING:
    import pandas as pd

    from genre_training.data import Splits

# What `prepare --feedback` writes beside the splits, besides its report in prepare.json: the
# corrected movies, which the evaluation scores with the model that served them and the new one.
CORRECTED_MOVIES = "corrections.jsonl"
SUPERSEDED = "superseded by a later correction of the same movie"
# Objects read at once from S3: listing is paged, and each correction is a small GET.
READ_CONCURRENCY = 16
LIST_PAGE_SIZE = 1000  # S3's own most; the tests page by fewer
# How many ignored objects a printed report names (all of them are in prepare.json).
SHOWN_PROBLEMS = 5


class FeedbackError(StepError):
    """The corrections cannot be read at all: a bad source, a missing folder."""


@dataclass(frozen=True)
class Ignored:
    where: str  # the object's s3:// URL or file path
    reason: str


@dataclass
class FeedbackReport:
    """What became of the corrections: read = applied + added + ignored."""

    source: str
    read: int = 0
    applied: int = 0  # replaced the labels of a movie already in the splits
    changed: int = 0  # of those, how many gave other labels than the data's
    added: int = 0  # new movies, in the training split
    applied_by_split: dict[str, int] = field(default_factory=dict)
    ignored: list[Ignored] = field(default_factory=list)
    # Genre -> corrections that named it though it is not a label (dropped from them).
    unknown_genres: dict[str, int] = field(default_factory=dict)

    @property
    def learned_from(self) -> int:
        return self.applied + self.added

    def ignored_reasons(self) -> dict[str, int]:
        """Why corrections were ignored: superseded, or invalid (whatever the detail)."""
        return dict(
            Counter(SUPERSEDED if i.reason == SUPERSEDED else "invalid" for i in self.ignored)
        )

    def to_json(self) -> dict[str, Any]:
        """What prepare.json keeps: every count, and each ignored object with its reason."""
        return {
            **asdict(self),
            "learned_from": self.learned_from,
            "ignored_reasons": self.ignored_reasons(),
        }

    def summary(self) -> str:
        return summary(self.to_json())


def summary(report: dict[str, Any]) -> str:
    """A FeedbackReport's JSON for the terminal: the counts, and why anything was ignored."""
    splits = ", ".join(f"{name} {n}" for name, n in report["applied_by_split"].items() if n)
    ignored = report["ignored"]
    lines = [
        f"feedback from {report['source']}: read {report['read']} corrections; applied "
        f"{report['applied']} (relabelled: {splits or 'none'}; {report['changed']} with other "
        f"labels than the data's); added {report['added']} (new movies, to train only); "
        f"ignored {len(ignored)}" + (f" ({_counts(report['ignored_reasons'])})" if ignored else "")
    ]
    if report["unknown_genres"]:
        lines.append(
            "  genres that are not labels, dropped from the corrections naming them: "
            + _counts(report["unknown_genres"])
        )
    invalid = [i for i in ignored if i["reason"] != SUPERSEDED]
    for problem in invalid[:SHOWN_PROBLEMS]:
        lines.append(f"  ignored {problem['where']}: {problem['reason']}")
    if len(invalid) > SHOWN_PROBLEMS:
        lines.append(f"  ... and {len(invalid) - SHOWN_PROBLEMS} more (see {PREPARE_REPORT})")
    return "\n".join(lines)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {name}" for name, count in sorted(counts.items()))


@dataclass(frozen=True)
class CorrectionsRead:
    """Every object under the source: the corrections, and what was not one."""

    source: str
    corrections: list[Correction]
    ignored: list[Ignored]


def read_corrections(source: str) -> CorrectionsRead:
    """The corrections under s3://bucket/prefix (boto3's usual configuration, AWS_ENDPOINT_URL
    included) or in a local folder (its *.json files, at any depth, as synced from S3)."""
    if source.startswith(S3_SCHEME):
        return _read_s3(source, s3_location(source))
    folder = Path(source)
    if not folder.is_dir():
        raise FeedbackError(f"feedback {source!r} is neither s3://bucket/prefix nor a folder")
    records = [(str(path), path.read_bytes()) for path in sorted(folder.rglob("*.json"))]
    return _decode(source, records)


def s3_location(url: str) -> S3Location:
    try:
        bucket, key = split_s3_url(url)
    except ValueError as error:
        raise FeedbackError(f"feedback: {error} (expected s3://bucket/prefix)") from error
    return S3Location(bucket=bucket, prefix=key.strip("/"))


def _read_s3(source: str, location: S3Location) -> CorrectionsRead:
    from genre_training.store import s3_errors

    client = location.client()
    prefix = location.key() + "/" if location.key() else ""
    ignored: list[Ignored] = []
    keys: list[str] = []
    with s3_errors(location, "feedback"):
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=location.bucket,
            Prefix=prefix,
            PaginationConfig={"PageSize": LIST_PAGE_SIZE},
        ):
            for item in page.get("Contents", []):
                url = f"s3://{location.bucket}/{item['Key']}"
                if not item["Key"].endswith(".json"):
                    ignored.append(Ignored(url, "not a .json object"))
                elif item["Size"] > MAX_RECORD_BYTES:
                    ignored.append(Ignored(url, f"{item['Size']} bytes: more than a correction"))
                else:
                    keys.append(item["Key"])

        def get(key: str) -> tuple[str, bytes]:
            response = client.get_object(Bucket=location.bucket, Key=key)
            with closing(response["Body"]) as body:
                return f"s3://{location.bucket}/{key}", body.read(MAX_RECORD_BYTES + 1)

        with ThreadPoolExecutor(max_workers=READ_CONCURRENCY) as pool:
            records = list(pool.map(get, keys))
    read = _decode(source, records)
    return replace(read, ignored=ignored + read.ignored)


def _decode(source: str, records: Iterable[tuple[str, bytes]]) -> CorrectionsRead:
    corrections, ignored = [], []
    for where, data in records:
        try:
            corrections.append(Correction.decode(data))
        except CorrectionError as error:
            ignored.append(Ignored(where, str(error)))
    return CorrectionsRead(source, corrections, ignored)


@dataclass(frozen=True)
class Selected:
    """The corrections that count (the latest of each movie), restricted to the labels."""

    corrections: list[Correction]  # newest first
    superseded: list[Correction]
    unknown_genres: dict[str, int]


def select_latest(corrections: Iterable[Correction], labels: Sequence[str]) -> Selected:
    """The latest correction of each movie, with genres outside labels dropped and counted."""
    latest: dict[str, Correction] = {}
    superseded = []
    unknown: Counter[str] = Counter()
    for correction in latest_first(corrections):
        if correction.movie_key in latest:
            superseded.append(correction)
            continue
        outside = [genre for genre in correction.genres if genre not in labels]
        unknown.update(outside)
        kept = tuple(genre for genre in correction.genres if genre in labels)
        latest[correction.movie_key] = replace(correction, genres=kept)
    return Selected(list(latest.values()), superseded, dict(unknown))


def apply_corrections(
    splits: Splits, labels: Sequence[str], read: CorrectionsRead
) -> tuple[Splits, FeedbackReport, list[dict[str, Any]]]:
    """The splits with the corrections applied, the report, and one record per corrected row
    (its split, its labels before and after, and the correction's provenance)."""
    import pandas as pd

    selected = select_latest(read.corrections, labels)
    report = FeedbackReport(
        source=read.source,
        read=len(read.corrections) + len(read.ignored),
        ignored=[
            *read.ignored,
            *(Ignored(f"correction {c.id}", SUPERSEDED) for c in selected.superseded),
        ],
        unknown_genres=selected.unknown_genres,
    )
    by_key = {c.movie_key: c for c in selected.corrections}
    applied: dict[str, str] = {}  # movie key -> the split it was first found in
    changed: set[str] = set()
    corrected: list[dict[str, Any]] = []
    parts = {}
    for name in SPLITS:
        part: pd.DataFrame = getattr(splits, name)
        genres = list(part["genres"])
        for index, (title, description) in enumerate(
            zip(part["title"], part["description"], strict=True)
        ):
            key = movie_key(title, description)
            correction = by_key.get(key)
            if correction is None:
                continue
            before, after = list(genres[index]), list(correction.genres)
            corrected.append(_corrected(name, title, description, before, after, correction))
            applied.setdefault(key, name)
            if sorted(before) != after:
                changed.add(key)
            genres[index] = after
        parts[name] = part.assign(genres=genres)
    report.applied = len(applied)
    report.changed = len(changed)
    report.applied_by_split = {name: list(applied.values()).count(name) for name in SPLITS}
    new_movies = [c for c in reversed(selected.corrections) if c.movie_key not in applied]
    report.added = len(new_movies)
    if new_movies:
        added = pd.DataFrame(
            {
                "id": [f"feedback-{c.id}" for c in new_movies],
                "year": [""] * len(new_movies),
                "title": [c.title.strip() for c in new_movies],
                "description": [c.description.strip() for c in new_movies],
                "genres": [list(c.genres) for c in new_movies],
            }
        )
        parts["train"] = pd.concat([parts["train"], added], ignore_index=True)
        corrected += [
            _corrected("train", c.title, c.description, None, list(c.genres), c) for c in new_movies
        ]
    return replace(splits, **parts), report, corrected


def _corrected(
    split: str,
    title: str,
    description: str,
    before: list[str] | None,
    after: list[str],
    correction: Correction,
) -> dict[str, Any]:
    return {
        "split": split,
        "title": title,
        "description": description,
        "genres_before": before,  # None: a new movie
        "genres": after,
        "correction": {
            "id": correction.id,
            "received_at": correction.received_at.isoformat(),
            "model_version": correction.model_version,
            "served_by": correction.served_by,
        },
    }


def write_corrected(out_dir: Path, corrected: list[dict[str, Any]]) -> None:
    with (out_dir / CORRECTED_MOVIES).open("w", encoding="utf-8") as stream:
        write_jsonl(corrected, stream)


def prodigy_tasks(selected: Selected, labels: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Prodigy choice tasks (https://prodi.gy/docs/api-interfaces#choice), one per corrected
    movie, already answered: the options are the labels, `accept` the corrected genres.

    A reviewer loads them with the choice interface (choice_style "multiple") and accepts,
    changes or rejects each. title and description ride along, so that a reviewed task still
    says which movie it is.
    """
    options = [{"id": label, "text": label} for label in labels]
    for correction in reversed(selected.corrections):  # oldest first: the order received
        yield {
            "text": compose_text(correction.title, correction.description, "title+description"),
            "options": options,
            "accept": list(correction.genres),
            "answer": "accept",
            "title": correction.title,
            "description": correction.description,
            "meta": {
                "id": correction.id,
                "received_at": correction.received_at.isoformat(),
                "model_version": correction.model_version,
                "served_by": correction.served_by,
            },
        }


def write_jsonl(records: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    """One JSON object a line; how many were written."""
    count = 0
    for record in records:
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
