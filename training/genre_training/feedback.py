"""Users' corrections (genre_model.corrections) applied to the prepared splits, and exported for
review in an annotation tool.

How they are applied (docs/feedback.md):
- the measuring stick never moves: dev and test labels are never changed, and no dev or test
  movie joins train. A correction whose movie is an evaluation movie, exactly (movie_key: case,
  width, punctuation and spacing folded) or as a near duplicate
  (genre_training.near_duplicates), is counted by split and exported for review, never applied;
- one client weighs little: only the latest correction of each movie from each client counts,
  and at most max_per_client of a client's latest movies are taken;
- then the latest correction of each movie (by time received, then id) wins over other
  clients'; it replaces the labels of the movie's training rows, or adds the movie to train;
- genres that are not the model's labels are dropped from a correction, as `prepare` drops them
  from the data, and counted; a correction left with no label says "none of these";
- a reviewed answer (genre_training.reviewed) decides its movie instead of any correction: an
  accepted one is applied with the reviewer's labels, as above; one of a dev or test movie is
  reported as a label error found in the evaluation data;
- whatever is not a correction is ignored, with its reason.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from genre_model.atomic_files import atomic_text
from genre_model.corrections import Correction, correction_id, movie_key
from genre_model.terminal import printable
from genre_model.text import compose_text
from genre_training.corpus import PREPARE_REPORT
from genre_training.feedback_sources import Ignored

if TYPE_CHECKING:
    import pandas as pd

    from genre_training.data import Splits
    from genre_training.near_duplicates import NearDuplicates
    from genre_training.reviewed import Review

# What `prepare --feedback` writes beside the splits, besides its report in prepare.json: the
# corrected training movies, which the evaluation scores with the model that served them and the
# new one; and the corrections of evaluation movies, as Prodigy tasks for a reviewer.
CORRECTED_MOVIES = "corrections.jsonl"
EVALUATION_CORRECTIONS = "evaluation_corrections.jsonl"
SUPERSEDED = "superseded by a later correction of the same movie"
OVER_CAP = "over the cap of corrections per client"
REVIEWED = "decided by a reviewed answer of the same movie"
EVALUATION_SPLITS = ("dev", "test")
# A client that sent enough corrections to relabel 2% of the training movies (22,689 in the
# repository's data) is more than one curator's day of work (about one a minute for 8 hours);
# `prepare --max-corrections-per-client` raises it for a client that is trusted.
DEFAULT_MAX_PER_CLIENT = 500
UNKNOWN_CLIENT = "(not recorded)"  # corrections stored before the client was kept
# How many ignored objects prepare.json names one by one (all are counted), and the terminal.
LISTED_PROBLEMS = 1000
SHOWN_PROBLEMS = 5
SHOWN_CLIENTS = 5


@dataclass
class ClientCounts:
    read: int = 0  # valid corrections
    taken: int = 0  # after the per-client cap and the client's own later corrections


@dataclass
class FeedbackReport:
    """What became of the objects read: corrections applied to train, added to train, held out
    (of evaluation movies), and objects ignored, with why."""

    source: str
    max_per_client: int
    read: int = 0  # objects
    applied: int = 0  # replaced the labels of a training movie
    changed: int = 0  # of those, how many gave other labels than the data's
    added: int = 0  # new movies, in the training split
    # Corrections of dev/test movies: counted, exported for review, never applied.
    held_out: dict[str, int] = field(default_factory=dict)  # split -> corrections
    held_out_matches: dict[str, int] = field(default_factory=dict)  # exact / near duplicate
    ignored: dict[str, int] = field(default_factory=dict)  # superseded / over cap / invalid
    ignored_listed: list[Ignored] = field(default_factory=list)  # the first LISTED_PROBLEMS
    clients: dict[str, ClientCounts] = field(default_factory=dict)
    # Genre -> corrections that named it though it is not a label (dropped from them).
    unknown_genres: dict[str, int] = field(default_factory=dict)
    # Reviewed answers (prepare --feedback-reviewed): answer -> count, and what became of them.
    reviewed: dict[str, int] = field(default_factory=dict)
    label_errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def learned_from(self) -> int:
        return self.applied + self.added

    def ignore(self, problem: Ignored) -> None:
        kind = problem.reason if problem.reason in (SUPERSEDED, OVER_CAP, REVIEWED) else "invalid"
        self.ignored[kind] = self.ignored.get(kind, 0) + 1
        if len(self.ignored_listed) < LISTED_PROBLEMS:
            self.ignored_listed.append(problem)

    def to_json(self) -> dict[str, Any]:
        """What prepare.json keeps: every count, and the first ignored objects with reasons."""
        return {
            "source": self.source,
            "read": self.read,
            "applied": self.applied,
            "changed": self.changed,
            "added": self.added,
            "learned_from": self.learned_from,
            "held_out": self.held_out,
            "held_out_matches": self.held_out_matches,
            "ignored": self.ignored,
            "ignored_listed": [{"where": i.where, "reason": i.reason} for i in self.ignored_listed],
            "max_per_client": self.max_per_client,
            "clients": {
                name: {"read": c.read, "taken": c.taken}
                for name, c in sorted(self.clients.items(), key=lambda item: -item[1].read)
            },
            "unknown_genres": self.unknown_genres,
            "reviewed": self.reviewed,
            "label_errors": self.label_errors,
        }

    def summary(self) -> str:
        return summary(self.to_json())


def summary(report: dict[str, Any]) -> str:
    """A FeedbackReport's JSON for the terminal: the counts, and why anything was ignored."""
    held_out = report["held_out"]
    held = ", ".join(f"{name} {held_out[name]}" for name in EVALUATION_SPLITS if name in held_out)
    ignored = sum(report["ignored"].values())
    lines = [
        f"feedback from {report['source']}: read {report['read']}; applied {report['applied']} "
        f"(relabelled training movies; {report['changed']} with other labels than the data's); "
        f"added {report['added']} (new movies, to train only); held out {held or 'none'} "
        f"(corrections of evaluation movies: never applied, see {EVALUATION_CORRECTIONS}); "
        f"ignored {ignored}" + (f" ({_counts(report['ignored'])})" if ignored else "")
    ]
    clients = list(report["clients"].items())
    if clients:
        shown = "; ".join(
            f"{printable(name)} {c['taken']} of {c['read']}" for name, c in clients[:SHOWN_CLIENTS]
        )
        more = f"; and {len(clients) - SHOWN_CLIENTS} more" if len(clients) > SHOWN_CLIENTS else ""
        lines.append(
            f"  per client (taken of read, at most {report['max_per_client']}): {shown}{more}"
        )
    if report["reviewed"]:
        lines.append(
            f"  reviewed answers: {_counts(report['reviewed'])}; label errors found in "
            f"the evaluation data (not applied): {len(report['label_errors'])}"
        )
    if report["unknown_genres"]:
        lines.append(
            "  genres that are not labels, dropped from the corrections naming them: "
            + _counts(report["unknown_genres"])
        )
    invalid = [i for i in report["ignored_listed"] if i["reason"] not in (SUPERSEDED, OVER_CAP)]
    for problem in invalid[:SHOWN_PROBLEMS]:
        lines.append(f"  ignored {printable(problem['where'])}: {printable(problem['reason'])}")
    if report["ignored"].get("invalid", 0) > SHOWN_PROBLEMS:
        more = report["ignored"]["invalid"] - SHOWN_PROBLEMS
        lines.append(f"  ... and {more} more invalid (see {PREPARE_REPORT})")
    return "\n".join(lines)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {name}" for name, count in sorted(counts.items()))


def client_name(correction: Correction) -> str:
    return correction.client or UNKNOWN_CLIENT


def _newer(first: Correction, second: Correction) -> bool:
    return (first.received_at, first.id) > (second.received_at, second.id)


class Selection:
    """The corrections that count, chosen as they are read (memory bounded by the clients and
    the cap, not by the objects read): per client, the latest of each movie, at most
    max_per_client movies; then per movie, the latest of every client's."""

    def __init__(self, report: FeedbackReport) -> None:
        self.report = report
        self._by_client: dict[str, dict[str, Correction]] = {}

    def add(self, item: Correction | Ignored) -> None:
        self.report.read += 1
        if isinstance(item, Ignored):
            self.report.ignore(item)
            return
        name = client_name(item)
        self.report.clients.setdefault(name, ClientCounts()).read += 1
        movies = self._by_client.setdefault(name, {})
        known = len(movies)
        self._keep_latest(movies, item)
        if len(movies) > known and len(movies) > 2 * self.report.max_per_client:
            self._cap(movies)  # amortised: sorted now and then, not at every correction

    def _keep_latest(self, movies: dict[str, Correction], correction: Correction) -> None:
        """movies[its movie] is the later of correction and the one there; the other is
        ignored as superseded."""
        earlier = movies.get(correction.movie_key)
        if earlier is None:
            movies[correction.movie_key] = correction
            return
        newer, older = (
            (correction, earlier) if _newer(correction, earlier) else (earlier, correction)
        )
        movies[correction.movie_key] = newer
        self.report.ignore(Ignored(f"correction {older.id}", SUPERSEDED))

    def _cap(self, movies: dict[str, Correction]) -> None:
        ordered = sorted(movies.values(), key=lambda c: (c.received_at, c.id), reverse=True)
        for over in ordered[self.report.max_per_client :]:
            del movies[over.movie_key]
            self.report.ignore(Ignored(f"correction {over.id}", OVER_CAP))

    def latest(self) -> list[Correction]:
        """Per movie, the latest correction taken from any client; oldest first."""
        latest: dict[str, Correction] = {}
        for name, movies in self._by_client.items():
            self._cap(movies)
            self.report.clients[name].taken = len(movies)
            for correction in movies.values():
                self._keep_latest(latest, correction)
        self._by_client = {}
        return sorted(latest.values(), key=lambda c: (c.received_at, c.id))


def select(items: Iterable[Correction | Ignored], report: FeedbackReport) -> list[Correction]:
    """The corrections that count among items (Selection), oldest first."""
    selection = Selection(report)
    for item in items:
        selection.add(item)
    return selection.latest()


def read_feedback(
    source: str | None, reviewed_path: Path | None, labels: Sequence[str], max_per_client: int
) -> tuple[FeedbackReport, list[Relabel], list[Relabel]]:
    """The report so far, the corrections to apply (those no reviewed answer decides), and the
    accepted reviewed answers."""
    from genre_training.feedback_sources import read_corrections
    from genre_training.reviewed import read_reviewed

    named = [str(s) for s in (source, reviewed_path) if s is not None]
    report = FeedbackReport(" and ".join(named), max_per_client)
    reviewed: list[Relabel] = []
    decided: set[str] = set()
    if reviewed_path is not None:
        reviewed, decided = reviewed_relabels(read_reviewed(reviewed_path), labels, report)
    corrections = select(read_corrections(source), report) if source is not None else []
    for correction in corrections:
        if correction.movie_key in decided:
            report.ignore(Ignored(f"correction {correction.id}", REVIEWED))
    undecided = [c for c in corrections if c.movie_key not in decided]
    return report, relabels(undecided, labels, report), reviewed


@dataclass(frozen=True)
class Relabel:
    """A movie's right genres, as a correction or a reviewer said: what is applied."""

    title: str
    description: str
    genres: list[str]  # among the labels
    provenance: dict[str, Any]  # the correction's id, times and model, or the review's


def relabels(
    corrections: Sequence[Correction], labels: Sequence[str], report: FeedbackReport
) -> list[Relabel]:
    """Corrections restricted to the labels (the rest dropped and counted)."""
    unknown: Counter[str] = Counter()
    made = []
    for correction in corrections:
        unknown.update(genre for genre in correction.genres if genre not in labels)
        made.append(
            Relabel(
                correction.title,
                correction.description,
                [genre for genre in correction.genres if genre in labels],
                provenance(correction),
            )
        )
    report.unknown_genres = dict(unknown)
    return made


def provenance(correction: Correction) -> dict[str, Any]:
    return {
        "id": correction.id,
        "received_at": correction.received_at.isoformat(),
        "model_version": correction.model_version,
        "served_by": correction.served_by,
        "client": correction.client,
    }


def reviewed_provenance(review: Review) -> dict[str, Any]:
    """The exported correction's provenance, as the task's meta kept it (texts only: the file
    is a reviewer's, not ours), and that it was reviewed."""
    kept = {
        name: value if isinstance(value, str) else None
        for name in ("id", "received_at", "model_version", "served_by", "client")
        for value in [review.meta.get(name)]
    }
    kept["id"] = kept["id"] or correction_id(None, review.title, review.description, review.accept)
    return {**kept, "reviewed": True}


def reviewed_relabels(
    reviews: Iterable[Review | Ignored], labels: Sequence[str], report: FeedbackReport
) -> tuple[list[Relabel], set[str]]:
    """The accepted reviewed answers as relabels, and the movie keys every answer decides."""
    decided: set[str] = set()
    accepted = []
    answers: Counter[str] = Counter()
    for review in reviews:
        if isinstance(review, Ignored):
            report.ignore(review)
            answers["unreadable"] += 1
            continue
        answers[review.answer] += 1
        decided.add(movie_key(review.title, review.description))
        if review.answer == "accept":
            genres = [genre for genre in review.accept if genre in labels]
            accepted.append(
                Relabel(review.title, review.description, genres, reviewed_provenance(review))
            )
    report.reviewed = dict(answers)
    return accepted, decided


class MovieIndex:
    """Where a movie is in the splits: an evaluation movie (exactly, or as a near duplicate of
    one), a training movie's rows, or nowhere."""

    def __init__(self, splits: Splits) -> None:
        self._splits = splits
        self._evaluation: dict[str, tuple[str, int]] = {}
        self._positions: list[tuple[str, int]] = []  # the near-duplicate index's order
        for name in EVALUATION_SPLITS:
            part: pd.DataFrame = getattr(splits, name)
            for index, (title, description) in enumerate(
                zip(part["title"], part["description"], strict=True)
            ):
                self._evaluation.setdefault(movie_key(title, description), (name, index))
                self._positions.append((name, index))
        self._training: dict[str, list[int]] = {}
        for index, (title, description) in enumerate(
            zip(splits.train["title"], splits.train["description"], strict=True)
        ):
            self._training.setdefault(movie_key(title, description), []).append(index)
        self._near: NearDuplicates | None = None  # built on the first movie not found exactly

    def evaluation_movie(self, title: str, description: str) -> dict[str, Any] | None:
        """The evaluation movie this one is, with how it matched; None when it is none."""
        exact = self._evaluation.get(movie_key(title, description))
        if exact is not None:
            return self._found(*exact, match="exact", similarity=1.0)
        if self._near is None:
            from genre_training.near_duplicates import NearDuplicates  # numpy: only when needed

            self._near = NearDuplicates(
                (self._part(name)["title"].iat[i], self._part(name)["description"].iat[i])
                for name, i in self._positions
            )
        near = self._near.most_similar(title, description)
        if near is None:
            return None
        return self._found(*self._positions[near[0]], match="near duplicate", similarity=near[1])

    def training_rows(self, title: str, description: str) -> list[int]:
        return self._training.get(movie_key(title, description), [])

    def _part(self, name: str) -> pd.DataFrame:
        part: pd.DataFrame = getattr(self._splits, name)
        return part

    def _found(self, name: str, index: int, *, match: str, similarity: float) -> dict[str, Any]:
        row = self._part(name).iloc[index]
        return {
            "split": name,
            "match": match,
            "similarity": round(similarity, 3),
            "id": str(row["id"]),
            "title": row["title"],
            "description": row["description"],
            "genres": list(row["genres"]),
        }


@dataclass
class Applied:
    """What apply_corrections made: the splits, and what to write beside them."""

    splits: Splits
    corrected: list[dict[str, Any]]  # one per corrected or added training row
    held_out: list[dict[str, Any]]  # one per correction of an evaluation movie


def apply_corrections(
    splits: Splits,
    relabelled: Sequence[Relabel],
    report: FeedbackReport,
    *,
    reviewed: Sequence[Relabel] = (),
) -> Applied:
    """The splits with relabelled (corrections) and reviewed (accepted answers) applied to
    train; dev and test are returned as they came."""
    import pandas as pd

    movies = MovieIndex(splits)
    genres = list(splits.train["genres"])
    corrected: list[dict[str, Any]] = []
    held_out: list[dict[str, Any]] = []
    changed: set[int] = set()
    relabelled_rows: set[int] = set()
    new_movies: list[Relabel] = []
    for relabel, is_review in [*((r, False) for r in relabelled), *((r, True) for r in reviewed)]:
        evaluation = movies.evaluation_movie(relabel.title, relabel.description)
        if evaluation is not None:
            if is_review:
                report.label_errors.append({**evaluation, "reviewed_genres": relabel.genres})
            else:
                report.held_out[evaluation["split"]] = (
                    report.held_out.get(evaluation["split"], 0) + 1
                )
                report.held_out_matches[evaluation["match"]] = (
                    report.held_out_matches.get(evaluation["match"], 0) + 1
                )
                held_out.append({"movie": evaluation, "correction": relabel})
            continue
        rows = movies.training_rows(relabel.title, relabel.description)
        if not rows:
            new_movies.append(relabel)
            continue
        for index in rows:
            before = list(genres[index])
            corrected.append(_corrected(splits.train.iloc[index], before, relabel))
            relabelled_rows.add(index)
            if sorted(before) != sorted(relabel.genres):
                changed.add(index)
            genres[index] = list(relabel.genres)
        report.applied += 1
    report.changed = len(changed)
    report.added = len(new_movies)
    train = splits.train.assign(genres=genres)
    if new_movies:
        added = pd.DataFrame(
            {
                "id": [f"feedback-{r.provenance['id']}" for r in new_movies],
                "year": [""] * len(new_movies),
                "title": [r.title.strip() for r in new_movies],
                "description": [r.description.strip() for r in new_movies],
                "genres": [list(r.genres) for r in new_movies],
            }
        )
        train = pd.concat([train, added], ignore_index=True)
        corrected += [_corrected(None, None, r) for r in new_movies]
    return Applied(replace(splits, train=train), corrected, held_out)


def _corrected(row: Any, before: list[str] | None, relabel: Relabel) -> dict[str, Any]:
    return {
        "split": "train",
        "title": relabel.title if row is None else row["title"],
        "description": relabel.description if row is None else row["description"],
        "genres_before": before,  # None: a new movie
        "genres": list(relabel.genres),
        "correction": relabel.provenance,
    }


def write_corrected(out_dir: Path, applied: Applied, labels: Sequence[str]) -> None:
    """The corrected training rows (for evaluate) and the held-out corrections (for a
    reviewer, as Prodigy tasks), each all or nothing."""
    with atomic_text(out_dir / CORRECTED_MOVIES) as stream:
        write_jsonl(applied.corrected, stream)
    with atomic_text(out_dir / EVALUATION_CORRECTIONS) as stream:
        write_jsonl(
            (
                prodigy_task(
                    held["correction"].title,
                    held["correction"].description,
                    held["correction"].genres,
                    labels,
                    {**held["correction"].provenance, "evaluation_movie": held["movie"]},
                )
                for held in applied.held_out
            ),
            stream,
        )


def prodigy_task(
    title: str, description: str, genres: Sequence[str], labels: Sequence[str], meta: dict
) -> dict[str, Any]:
    """A Prodigy choice task (https://prodi.gy/docs/api-interfaces#choice), already answered:
    the options are the labels, `accept` the corrected genres. title and description ride
    along, so that a reviewed task still says which movie it is (genre_training.reviewed)."""
    return {
        "text": compose_text(title, description, "title+description"),
        "options": [{"id": label, "text": label} for label in labels],
        "accept": list(genres),
        "answer": "accept",
        "title": title,
        "description": description,
        "meta": meta,
    }


def prodigy_tasks(corrections: Iterable[Correction], labels: Sequence[str]) -> Iterator[dict]:
    """One task per correction (oldest first: the order received), its genres restricted to
    labels."""
    for correction in corrections:
        genres = [genre for genre in correction.genres if genre in labels]
        yield prodigy_task(
            correction.title, correction.description, genres, labels, provenance(correction)
        )


def write_jsonl(records: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    """One JSON object a line; how many were written."""
    count = 0
    for record in records:
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
