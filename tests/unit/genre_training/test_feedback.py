import io
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from click.testing import CliRunner
from moto import mock_aws

from genre_model.corrections import Correction, new_correction
from genre_training import cli, feedback_sources
from genre_training.corpus import PREPARE_REPORT, SPLITS, read_jsonl
from genre_training.data import Splits
from genre_training.feedback import (
    CORRECTED_MOVIES,
    EVALUATION_CORRECTIONS,
    OVER_CAP,
    SUPERSEDED,
    FeedbackReport,
    apply_corrections,
    prodigy_tasks,
    relabels,
    select,
    write_jsonl,
)
from genre_training.feedback_sources import FeedbackError, Ignored, read_corrections
from genre_training.store import StoreError
from tests.helpers.data import FIXTURE_MIN_GENRE_COUNT, FIXTURE_MODEL, FIXTURE_ROWS

LABELS = ["Comedy", "Drama", "Romance"]
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SERVED = "20261127-005734-402e991a"
DEV_PLOT = "A young woman moves to the city to become a singer and falls for a jazz pianist."
TEST_PLOT = "Two brothers rob banks across Texas while an old ranger hunts them down."


def movies(*rows: tuple[str, str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"m{i}" for i in range(len(rows))],
            "year": ["1999"] * len(rows),
            "title": [r[0] for r in rows],
            "description": [r[1] for r in rows],
            "genres": [r[2] for r in rows],
        }
    )


def splits() -> Splits:
    return Splits(
        train=movies(("Alpha", "A train movie.", ["Drama"]), ("Beta", "Another.", ["Comedy"])),
        dev=movies(("Gamma", DEV_PLOT, ["Drama"])),
        test=movies(("Delta", TEST_PLOT, ["Romance"]), ("Eps", "Last one.", ["Drama"])),
    )


def fix(
    title: str, description: str, genres: list[str], seconds: int = 0, client: str = "iam:a"
) -> Correction:
    return new_correction(
        title=title,
        description=description,
        genres=genres,
        served_by=SERVED,
        model_version=SERVED,
        client=client,
        now=T0 + timedelta(seconds=seconds),
    )


def report(max_per_client: int = 500) -> FeedbackReport:
    return FeedbackReport("test", max_per_client)


def applied_with(*corrections: Correction, cap: int = 500):
    made = report(cap)
    taken = select(corrections, made)
    return apply_corrections(splits(), relabels(taken, LABELS, made), made), made


def genres_of(part: pd.DataFrame) -> dict[str, list[str]]:
    return dict(zip(part["title"], part["genres"], strict=True))


def test_a_correction_relabels_a_training_movie_and_never_an_evaluation_one() -> None:
    original = splits()
    applied, made = applied_with(
        fix("ALPHA ", "a  train movie", ["Comedy", "Drama"]),  # case, spaces, punctuation
        fix("Gamma", DEV_PLOT, ["Comedy"]),
        fix("Delta", TEST_PLOT, ["Drama"]),
    )
    assert genres_of(applied.splits.train) == {"Alpha": ["Comedy", "Drama"], "Beta": ["Comedy"]}
    pd.testing.assert_frame_equal(applied.splits.dev, original.dev)
    pd.testing.assert_frame_equal(applied.splits.test, original.test)
    assert (made.applied, made.changed, made.added) == (1, 1, 0)
    assert made.held_out == {"dev": 1, "test": 1}
    assert made.held_out_matches == {"exact": 2}
    assert sorted(h["movie"]["split"] for h in applied.held_out) == ["dev", "test"]
    assert [c["split"] for c in applied.corrected] == ["train"]
    assert "held out dev 1, test 1 (corrections of evaluation movies" in made.summary()


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("Delta", TEST_PLOT + " ."),  # the review's variant
        ("delta", "  " + TEST_PLOT.upper() + "  "),
        ("Delta!", TEST_PLOT.replace(" ", "  ").replace(",", "")),
        ("Delta", TEST_PLOT.replace("Texas", "Texsa")),  # a typo
        ("Delta", TEST_PLOT.replace("old ", "")),  # a word left out
        ("Delta", TEST_PLOT.replace("brothers", "bro-thers").replace("ranger", "Ranger;")),
    ],
)
def test_a_test_movie_under_another_spelling_is_held_out_never_added_to_train(
    title: str, description: str
) -> None:
    original = splits()
    applied, made = applied_with(fix(title, description, ["Comedy"]))
    assert made.held_out == {"test": 1}
    assert made.added == 0
    assert len(applied.splits.train) == len(original.train)
    pd.testing.assert_frame_equal(applied.splits.test, original.test)
    assert applied.held_out[0]["movie"]["title"] == "Delta"


def test_a_different_movie_is_not_taken_for_an_evaluation_one() -> None:
    plot = "Two sisters open a bakery in Paris and compete in a national baking contest."
    applied, made = applied_with(fix("Zeta", plot, ["Comedy", "Romance"]))
    assert made.held_out == {}
    assert (made.added, made.learned_from) == (1, 1)
    assert genres_of(applied.splits.train)["Zeta"] == ["Comedy", "Romance"]
    assert applied.corrected[0]["genres_before"] is None


def test_the_latest_correction_of_a_movie_wins() -> None:
    first = fix("Alpha", "A train movie.", ["Comedy"], seconds=0)
    last = fix("alpha", "A TRAIN MOVIE", ["Romance"], seconds=60, client="iam:b")
    middle = fix("Alpha", "A train movie.", ["Drama", "Comedy"], seconds=30)
    applied, made = applied_with(first, last, middle)
    assert genres_of(applied.splits.train)["Alpha"] == ["Romance"]
    assert made.applied == 1
    assert made.ignored == {SUPERSEDED: 2}
    assert {i.where for i in made.ignored_listed} == {
        f"correction {first.id}",
        f"correction {middle.id}",
    }


def test_equal_times_are_decided_by_id() -> None:
    one, two = (fix("Zeta", "New.", [genre]) for genre in ("Comedy", "Drama"))
    winner = max(one, two, key=lambda c: c.id)
    assert select([one, two], report()) == [winner]
    assert select([two, one], report()) == [winner]


def test_one_client_is_capped_at_its_latest_movies_and_reported() -> None:
    flood = [fix(f"Movie {i}", f"Plot number {i}.", ["Comedy"], i, "ip-hmac:x") for i in range(9)]
    other = fix("Beta", "Another.", ["Drama"], client="iam:curator")
    made = report(max_per_client=3)
    taken = select([*flood, other], made)
    assert {c.title for c in taken} == {"Movie 6", "Movie 7", "Movie 8", "Beta"}
    assert made.ignored == {OVER_CAP: 6}
    clients = made.to_json()["clients"]
    assert clients == {"ip-hmac:x": {"read": 9, "taken": 3}, "iam:curator": {"read": 1, "taken": 1}}
    assert "per client (taken of read, at most 3): ip-hmac:x 3 of 9; iam:curator 1 of 1" in (
        made.summary()
    )


def test_a_client_repeating_one_correction_counts_once() -> None:
    again = [fix("Alpha", "A train movie.", ["Comedy"], seconds=i) for i in range(5)]
    assert len({c.id for c in again}) == 1  # content-addressed: the same object key a day
    made = report(max_per_client=1)
    assert len(select(again, made)) == 1
    assert made.ignored == {SUPERSEDED: 4}


def test_genres_outside_the_labels_are_dropped_and_counted() -> None:
    applied, made = applied_with(
        fix("Alpha", "A train movie.", ["Horror", "Drama"]),
        fix("Beta", "Another.", ["Horror"]),  # none of the labels: a negative example
        fix("Zeta", "New.", ["Western"]),
    )
    assert genres_of(applied.splits.train) == {"Alpha": ["Drama"], "Beta": [], "Zeta": []}
    assert made.unknown_genres == {"Horror": 2, "Western": 1}
    assert "2 Horror, 1 Western" in made.summary()


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def stored(correction: Correction, **changes: object) -> bytes:
    return json.dumps(correction.to_json() | changes).encode()


BAD_RECORDS = {
    "deep.json": (b"[" * 200_000, "JSON nested deeper than 2 levels"),
    "number.json": (b'{"schema": ' + b"9" * 5000 + b"}", "a number longer than 40"),
    "year1.json": (None, "received_at '0001-01-01T00:00:00+01:00' is out of range"),
    "future.json": (None, "is out of range"),
    "surrogate.json": (None, "a lone surrogate"),
    "type.json": (None, "genres 'Drama' is not a list"),
    "latin1.json": ('{"title": "caf\xe9"}'.encode("latin-1"), "not UTF-8"),
    "list.json": (b"[]", "not a JSON object but list"),
    "nan.json": (b'{"schema": NaN}', "NaN is not a JSON number"),
    "broken.json": (b"{", "not JSON"),
}


def bad_records(folder: Path) -> None:
    good = fix("Alpha", "A train movie.", ["Comedy"])
    for name, (data, _) in BAD_RECORDS.items():
        write(folder, name, data or b"")
    write(folder, "year1.json", stored(good, received_at="0001-01-01T00:00:00+01:00"))
    write(folder, "future.json", stored(good, received_at="2999-01-01T00:00:00+00:00"))
    write(folder, "surrogate.json", stored(good).replace(b'"Alpha"', b'"Alpha \\ud800"'))
    write(folder, "type.json", stored(good, genres="Drama"))


def test_each_bad_record_in_a_folder_is_ignored_with_its_reason(tmp_path: Path) -> None:
    good = fix("Alpha", "A train movie.", ["Comedy"])
    write(tmp_path, f"date=2026-05-01/{good.id}.json", good.encode())
    bad_records(tmp_path)
    write(tmp_path, "notes.txt", b"not a correction")
    with open(tmp_path / "big.json", "wb") as big:  # sparse: reading it would take 300 MB
        big.truncate(300 * 1024 * 1024)
    outside = write(tmp_path.parent / f"{tmp_path.name}-outside", "secret.json", good.encode())
    (tmp_path / "link.json").symlink_to(outside)
    (tmp_path / "linked-folder").symlink_to(outside.parent)
    os.mkfifo(tmp_path / "pipe.json")
    found = list(read_corrections(str(tmp_path)))
    assert [c for c in found if isinstance(c, Correction)] == [good]
    reasons = {Path(i.where).name: i.reason for i in found if isinstance(i, Ignored)}
    for name, (_, reason) in BAD_RECORDS.items():
        assert reason in reasons[name], name
    assert reasons["notes.txt"] == "not a .json file"
    assert reasons["big.json"] == f"{300 * 1024 * 1024} bytes: more than a correction can be"
    assert reasons["link.json"] == "a symbolic link: not followed"
    assert reasons["linked-folder"] == "a symbolic link: not followed"
    assert reasons["pipe.json"] == "not a regular file"
    assert len(found) == 1 + len(BAD_RECORDS) + 5


def test_a_source_that_is_neither_s3_nor_a_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(FeedbackError, match="neither s3://bucket/prefix nor a folder"):
        read_corrections(str(tmp_path / "absent"))
    for url in ("s3:///prefix", "s3://Not_A_Bucket/feedback", "s3://10.0.0.1/feedback"):
        with pytest.raises(FeedbackError, match=r"is not an S3 bucket name \(expected s3://"):
            read_corrections(url)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket="feedback-bucket")
        yield client


def test_corrections_are_read_from_s3_page_after_page(s3, monkeypatch: pytest.MonkeyPatch) -> None:
    """More objects than one listing page holds or than are read ahead, and some that are not
    corrections."""
    monkeypatch.setattr(feedback_sources, "LIST_PAGE_SIZE", 2)
    monkeypatch.setattr(feedback_sources, "READ_AHEAD", 3)
    made = [fix(f"Movie {i}", "A plot.", ["Drama"], seconds=i) for i in range(7)]
    for correction in made:
        s3.put_object(
            Bucket="feedback-bucket",
            Key=correction.object_key("team/feedback"),
            Body=correction.encode(),
        )
    s3.put_object(Bucket="feedback-bucket", Key="team/feedback/readme.txt", Body=b"hi")
    s3.put_object(Bucket="feedback-bucket", Key="team/feedback/deep.json", Body=b"[" * 200_000)
    s3.put_object(Bucket="feedback-bucket", Key="team/other/x.json", Body=b"not under prefix")
    found = list(read_corrections("s3://feedback-bucket/team/feedback/"))
    assert sorted(c.id for c in found if isinstance(c, Correction)) == sorted(c.id for c in made)
    assert sorted((i.where, i.reason) for i in found if isinstance(i, Ignored)) == [
        ("s3://feedback-bucket/team/feedback/deep.json", "JSON nested deeper than 2 levels"),
        ("s3://feedback-bucket/team/feedback/readme.txt", "not a .json object"),
    ]


def test_a_missing_bucket_is_one_line(s3) -> None:
    with pytest.raises(StoreError, match=r"^feedback: bucket 'absent' does not exist$"):
        list(read_corrections("s3://absent/feedback"))


def test_the_prodigy_export_is_choice_tasks_answered_with_the_correction() -> None:
    old = fix("Alpha", "A train movie.", ["Drama"], seconds=0)
    new = fix("Alpha", "A train movie.", ["Comedy", "Horror"], seconds=5)
    other = fix("Zeta", "New.", [], seconds=3)
    tasks = list(prodigy_tasks(select([old, new, other], report()), LABELS))
    assert [t["meta"]["id"] for t in tasks] == [other.id, new.id]  # the order received
    task = tasks[1]
    assert task["text"] == "Alpha.\nA train movie."
    assert task["options"] == [{"id": label, "text": label} for label in LABELS]
    assert task["accept"] == ["Comedy"]  # Horror is not a label: no option to accept
    assert task["answer"] == "accept"
    assert task["meta"] == {
        "id": new.id,
        "received_at": "2026-05-01T12:00:05+00:00",
        "model_version": SERVED,
        "served_by": SERVED,
        "client": "iam:a",
    }
    assert tasks[0]["accept"] == []  # "none of these"
    stream = io.StringIO()
    assert write_jsonl(tasks, stream) == 2


def prepare_fixture(out: Path, feedback: str | None = None, **options: object) -> dict:
    from genre_training.prepare import prepare

    return prepare(
        FIXTURE_ROWS,
        out,
        text_fields="title+description",
        description_column="overview",
        min_genre_count=FIXTURE_MIN_GENRE_COUNT,
        feedback=feedback,
        **options,  # type: ignore[arg-type]
    )


def save(folder: Path, *corrections: Correction) -> str:
    for correction in corrections:
        write(folder, correction.object_key(""), correction.encode())
    return str(folder)


def spellings(movie: dict) -> list[tuple[str, str]]:
    """The movie as typed by users: exact, with case, whitespace and punctuation edits, and with
    a typo."""
    title, description = movie["title"], movie["description"]
    return [
        (title, description),
        (title.upper(), description.lower()),
        (f"  {title} ", "  ".join(description.split()) + " ."),
        (title + "!", description.replace(",", "").replace(".", ";")),
        (title, description[:10] + description[11:]),  # a letter left out: a near duplicate
    ]


def test_prepare_never_moves_the_measuring_stick(
    fixture_corpus: Path, tmp_path: Path, classifier: Any, packaged: dict[str, Path]
) -> None:
    """Corrections of dev and test movies, posted as users type them: dev and test come out of
    `prepare --feedback` byte for byte as without feedback, no test movie joins train, and the
    report counts them."""
    from fastapi.testclient import TestClient

    from genre_api.app import create_app
    from genre_api.settings import Settings

    folder = tmp_path / "feedback"
    app = create_app(classifier, Settings(model_dir=packaged["artifact"], feedback_dir=folder))
    before = {name: read_jsonl(fixture_corpus / f"{name}.jsonl") for name in SPLITS}
    posted = [
        *(
            (title, description)
            for split in ("dev", "test")
            for movie in before[split][:5]
            for title, description in spellings(movie)
        ),
        (before["train"][0]["title"], before["train"][0]["description"]),
    ]
    for number, (title, description) in enumerate(posted):  # each from its own address
        user = TestClient(app, client=(f"198.51.100.{number}", 50000))
        body = {"title": title, "description": description, "genres": ["Comedy"]}
        assert user.post("/feedback", json=body).status_code == 202
    report = prepare_fixture(tmp_path / "corpus", str(folder))
    for name in ("dev", "test"):
        for suffix in (".jsonl", ".spacy"):
            made = (tmp_path / "corpus" / f"{name}{suffix}").read_bytes()
            assert made == (fixture_corpus / f"{name}{suffix}").read_bytes(), name + suffix
    after = read_jsonl(tmp_path / "corpus" / "train.jsonl")
    assert len(after) == len(before["train"])
    assert after[0]["genres"] == ["Comedy"]
    test_texts = {(m["title"], m["description"]) for m in before["test"]}
    assert not test_texts & {(m["title"], m["description"]) for m in after}
    counts = report["feedback"]
    # Per movie, the latest of the spellings that normalise alike, and the typo: never applied.
    assert counts["held_out"] == {"dev": 10, "test": 10}
    assert counts["held_out_matches"] == {"exact": 10, "near duplicate": 10}
    assert counts["ignored"] == {SUPERSEDED: 30}
    assert (counts["applied"], counts["added"]) == (1, 0)
    held = read_jsonl(tmp_path / "corpus" / EVALUATION_CORRECTIONS)
    assert len(held) == 20
    assert {t["meta"]["evaluation_movie"]["split"] for t in held} == {"dev", "test"}
    assert all(t["answer"] == "accept" and t["accept"] == ["Comedy"] for t in held)
    assert [c["split"] for c in read_jsonl(tmp_path / "corpus" / CORRECTED_MOVIES)] == ["train"]
    # Prepared again without feedback, the corpus says nothing of corrections.
    assert prepare_fixture(tmp_path / "corpus")["feedback"] is None
    assert not (tmp_path / "corpus" / CORRECTED_MOVIES).exists()
    assert not (tmp_path / "corpus" / EVALUATION_CORRECTIONS).exists()


def test_prepare_and_export_skip_bad_records_and_write_whole_files(
    fixture_corpus: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "feedback"
    bad_records(folder)
    movie = read_jsonl(fixture_corpus / "train.jsonl")[1]
    save(folder, fix(movie["title"] + " \U0001f3ac", movie["description"], ["Drama"]))
    result = CliRunner().invoke(
        cli.main,
        [
            "prepare",
            "--data",
            str(FIXTURE_ROWS),
            "--min-genre-count",
            str(FIXTURE_MIN_GENRE_COUNT),
            "--out",
            str(tmp_path / "corpus"),
            "--feedback",
            str(folder),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"ignored {len(BAD_RECORDS)} ({len(BAD_RECORDS)} invalid)" in result.stdout
    assert "deep.json: JSON nested deeper than 2 levels" in result.stdout
    assert f"and {len(BAD_RECORDS) - 5} more invalid (see prepare.json)" in result.stdout
    reasons = {
        Path(i["where"]).name: i["reason"]
        for i in json.loads((tmp_path / "corpus" / PREPARE_REPORT).read_text())["feedback"][
            "ignored_listed"
        ]
    }
    assert set(reasons) == set(BAD_RECORDS)
    out = tmp_path / "review.jsonl"
    result = CliRunner().invoke(
        cli.main,
        ["feedback", "export", str(folder), "--model", str(FIXTURE_MODEL), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert [t["title"] for t in read_jsonl(out)] == [movie["title"] + " \U0001f3ac"]
    assert "surrogate.json: a lone surrogate" in result.stderr


def test_an_export_that_fails_leaves_no_file(tmp_path: Path, monkeypatch) -> None:
    folder = save(tmp_path / "feedback", fix("Alpha", "A plot.", ["Drama"]))

    def broken(*args: object) -> object:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("genre_training.feedback.prodigy_task", broken)
    out = tmp_path / "review.jsonl"
    result = CliRunner().invoke(
        cli.main, ["feedback", "export", folder, "--model", str(FIXTURE_MODEL), "--out", str(out)]
    )
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == [tmp_path / "feedback"]


def test_the_export_command_writes_prodigy_tasks_with_the_models_labels(tmp_path: Path) -> None:
    first = fix("Alpha", "A plot.", ["Drama"], seconds=0)
    second = fix("Beta", "Another plot.", ["Comedy", "Horror"], seconds=1)
    fixes = save(tmp_path / "feedback", first, second)
    out = tmp_path / "review.jsonl"
    result = CliRunner().invoke(
        cli.main,
        ["feedback", "export", fixes, "--model", str(FIXTURE_MODEL), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    labels = json.loads((FIXTURE_MODEL / "manifest.json").read_text())["labels"]
    tasks = read_jsonl(out)
    assert [(t["meta"]["id"], t["accept"]) for t in tasks] == [
        (first.id, ["Drama"]),
        (second.id, ["Comedy"]),
    ]
    assert all(t["options"] == [{"id": g, "text": g} for g in labels] for t in tasks)
    assert "prodigy tasks written: 2, from" in result.stderr
    assert f"genres that are not labels of {FIXTURE_MODEL}, left out: 1)" in result.stderr


def answered(task: dict, answer: str, accept: list[str]) -> str:
    return json.dumps(task | {"answer": answer, "accept": accept}) + "\n"


def test_reviewed_answers_apply_only_accepted_ones_with_the_reviewers_labels(
    fixture_corpus: Path, tmp_path: Path
) -> None:
    train = read_jsonl(fixture_corpus / "train.jsonl")
    test = read_jsonl(fixture_corpus / "test.jsonl")
    corrections = [
        fix(train[0]["title"], train[0]["description"], ["Comedy"], 0),  # accepted, changed
        fix(train[1]["title"], train[1]["description"], ["Comedy"], 1),  # rejected
        fix(train[2]["title"], train[2]["description"], ["Comedy"], 2),  # ignored
        fix(test[0]["title"], test[0]["description"], ["Comedy"], 3),  # a label error in test
        fix("A new film", "Nobody has seen it.", ["Comedy"], 4),  # accepted
    ]
    labels = json.loads((fixture_corpus / PREPARE_REPORT).read_text())["labels"]
    tasks = list(prodigy_tasks(corrections, labels))
    reviewed = tmp_path / "reviewed.jsonl"
    reviewed.write_text(
        answered(tasks[0], "accept", ["Drama", "Thriller"])
        + answered(tasks[1], "reject", ["Comedy"])
        + answered(tasks[2], "ignore", [])
        + answered(tasks[3], "accept", ["Drama"])
        + answered(tasks[4], "accept", ["Horror"])
        + "[[[[\n"
        + '{"answer": "maybe"}\n',
        encoding="utf-8",
    )
    # The raw corrections are there too: the reviewed answers decide their movies.
    folder = save(tmp_path / "feedback", *corrections)
    report = prepare_fixture(tmp_path / "corpus", folder, feedback_reviewed=reviewed)
    after = read_jsonl(tmp_path / "corpus" / "train.jsonl")
    assert after[0]["genres"] == ["Drama", "Thriller"]
    assert after[1]["genres"] == train[1]["genres"]
    assert after[2]["genres"] == train[2]["genres"]
    assert after[-1]["title"] == "A new film" and after[-1]["genres"] == []
    assert (tmp_path / "corpus" / "test.jsonl").read_bytes() == (
        fixture_corpus / "test.jsonl"
    ).read_bytes()
    counts = report["feedback"]
    assert counts["reviewed"] == {"accept": 3, "reject": 1, "ignore": 1, "unreadable": 2}
    assert [(e["split"], e["title"], e["reviewed_genres"]) for e in counts["label_errors"]] == [
        ("test", test[0]["title"], ["Drama"])
    ]
    assert (counts["applied"], counts["added"], counts["held_out"]) == (1, 1, {})
    assert counts["ignored"] == {"decided by a reviewed answer of the same movie": 5, "invalid": 2}


def test_the_corrected_movies_are_scored_by_the_served_model_and_the_new_one(
    fixture_corpus: Path, tmp_path: Path
) -> None:
    """With the served model's own pipeline and thresholds as 'the new model', both columns
    must agree: the same predictions reached through the serving and the training code."""
    from genre_model.manifest import Manifest
    from genre_training.corrected import corrected_section, score_corrected
    from genre_training.pipelines import load_trained

    train = read_jsonl(fixture_corpus / "train.jsonl")
    fixes = save(
        tmp_path / "feedback",
        fix(train[0]["title"], train[0]["description"], ["Drama"], seconds=0),
        fix(train[1]["title"], train[1]["description"], ["Comedy"], seconds=1),
        fix("New | film", "Brand new.", ["Crime"], seconds=2),
    )
    prepare_fixture(tmp_path / "corpus", fixes)
    prepared = json.loads((tmp_path / "corpus" / PREPARE_REPORT).read_text())
    manifest = Manifest.read(FIXTURE_MODEL)
    report = score_corrected(
        tmp_path / "corpus",
        load_trained(FIXTURE_MODEL / "pipeline"),
        prepared,
        manifest.thresholds,
        FIXTURE_MODEL,
    )
    assert report is not None
    assert report["served_version"] == manifest.version
    assert (report["corrections"], report["corrections_against_it"]) == (3, 0)
    assert [(s["split"], s["movies"]) for s in report["by_split"]] == [("train", 3)]
    for figures in report["by_split"]:
        assert figures["served"] == figures["new"]
    assert [m["served"] for m in report["movies"]] == [m["new"] for m in report["movies"]]
    lines = "\n".join(corrected_section(report))
    assert "| New \\| film | train | (new movie) | Crime |" in lines
    assert score_corrected(fixture_corpus, None, prepared, {}, FIXTURE_MODEL) is None  # type: ignore[arg-type]


def test_ignored_objects_are_printed_with_control_characters_escaped(tmp_path: Path) -> None:
    write(tmp_path, "x\x1b[2J\r.json", b"[]")
    made = report()
    select(read_corrections(str(tmp_path)), made)
    printed = made.summary()
    assert "x\\x1b[2J\\x0d.json: not a JSON object but list" in printed
    assert "\x1b" not in printed and "\r" not in printed
