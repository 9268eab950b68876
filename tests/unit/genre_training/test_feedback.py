import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pandas as pd
import pytest
from click.testing import CliRunner
from moto import mock_aws

from genre_model.corrections import Correction, new_correction
from genre_training import cli, feedback
from genre_training.corpus import PREPARE_REPORT, SPLITS, read_jsonl
from genre_training.data import Splits
from genre_training.feedback import (
    CORRECTED_MOVIES,
    SUPERSEDED,
    CorrectionsRead,
    FeedbackError,
    apply_corrections,
    prodigy_tasks,
    read_corrections,
    select_latest,
    write_jsonl,
)
from genre_training.store import StoreError
from tests.helpers.data import FIXTURE_MIN_GENRE_COUNT, FIXTURE_MODEL, FIXTURE_ROWS

LABELS = ["Comedy", "Drama", "Romance"]
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


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
        dev=movies(("Gamma", "A dev movie.", ["Drama"])),
        test=movies(("Delta", "A test movie.", ["Romance"]), ("Eps", "Last one.", ["Drama"])),
    )


def fix(title: str, description: str, genres: list[str], seconds: int = 0) -> Correction:
    return new_correction(
        title=title,
        description=description,
        genres=genres,
        served_by="20261127-005734-402e991a",
        model_version="20261127-005734-402e991a",
        now=T0 + timedelta(seconds=seconds),
    )


def read(*corrections: Correction) -> CorrectionsRead:
    return CorrectionsRead("test", list(corrections), [])


def genres_of(part: pd.DataFrame) -> dict[str, list[str]]:
    return dict(zip(part["title"], part["genres"], strict=True))


def test_a_correction_replaces_the_labels_of_the_same_movie_in_any_split() -> None:
    original = splits()
    result, report, corrected = apply_corrections(
        original,
        LABELS,
        read(
            fix("ALPHA ", "a  train movie.", ["Comedy", "Drama"]),  # case and spaces differ
            fix("Gamma", "A dev movie.", ["Comedy"]),
            fix("Delta", "A test movie.", ["Romance"]),  # the data already says so
        ),
    )
    assert genres_of(result.train) == {"Alpha": ["Comedy", "Drama"], "Beta": ["Comedy"]}
    assert genres_of(result.dev) == {"Gamma": ["Comedy"]}
    assert genres_of(result.test) == {"Delta": ["Romance"], "Eps": ["Drama"]}
    # dev and test keep their movies: the same rows, in the same order.
    assert list(result.dev["id"]) == list(original.dev["id"])
    assert list(result.test["id"]) == list(original.test["id"])
    assert (report.read, report.applied, report.changed, report.added) == (3, 3, 2, 0)
    assert report.applied_by_split == {"train": 1, "dev": 1, "test": 1}
    assert {(c["split"], c["title"], tuple(c["genres_before"])) for c in corrected} == {
        ("train", "Alpha", ("Drama",)),
        ("dev", "Gamma", ("Drama",)),
        ("test", "Delta", ("Romance",)),
    }
    assert genres_of(original.dev) == {"Gamma": ["Drama"]}  # the input is not changed


def test_a_new_movie_joins_the_training_split_only() -> None:
    result, report, corrected = apply_corrections(
        splits(), LABELS, read(fix("Zeta", "Never seen before.", ["Comedy", "Romance"]))
    )
    assert genres_of(result.train)["Zeta"] == ["Comedy", "Romance"]
    assert len(result.train) == 3
    assert len(result.dev) == 1 and len(result.test) == 2
    assert (report.applied, report.added, report.learned_from) == (0, 1, 1)
    assert corrected[0]["split"] == "train"
    assert corrected[0]["genres_before"] is None


def test_the_latest_correction_of_a_movie_wins() -> None:
    first = fix("Gamma", "A dev movie.", ["Comedy"], seconds=0)
    last = fix("gamma", "A DEV MOVIE.", ["Romance"], seconds=60)
    middle = fix("Gamma", "A dev movie.", ["Drama", "Comedy"], seconds=30)
    result, report, corrected = apply_corrections(splits(), LABELS, read(first, last, middle))
    assert genres_of(result.dev) == {"Gamma": ["Romance"]}
    assert report.applied == 1
    assert [(i.where, i.reason) for i in report.ignored] == [
        (f"correction {middle.id}", SUPERSEDED),
        (f"correction {first.id}", SUPERSEDED),
    ]
    assert report.ignored_reasons() == {SUPERSEDED: 2}
    assert [c["correction"]["id"] for c in corrected] == [last.id]


def test_equal_times_are_decided_by_id() -> None:
    one, two = (fix("Zeta", "New.", [genre]) for genre in ("Comedy", "Drama"))
    winner = max(one, two, key=lambda c: c.id)
    assert select_latest([one, two], LABELS).corrections == [winner]
    assert select_latest([two, one], LABELS).corrections == [winner]


def test_genres_outside_the_labels_are_dropped_and_counted() -> None:
    result, report, _ = apply_corrections(
        splits(),
        LABELS,
        read(
            fix("Alpha", "A train movie.", ["Horror", "Drama"]),
            fix("Beta", "Another.", ["Horror"]),  # none of the labels: a negative example
            fix("Zeta", "New.", ["Western"]),
        ),
    )
    assert genres_of(result.train) == {"Alpha": ["Drama"], "Beta": [], "Zeta": []}
    assert report.unknown_genres == {"Horror": 2, "Western": 1}
    assert "genres that are not labels" in report.summary()
    assert "2 Horror, 1 Western" in report.summary()


def test_a_folder_of_objects_is_read_and_the_invalid_ones_are_ignored_with_a_reason(
    tmp_path: Path,
) -> None:
    good = fix("Alpha", "A train movie.", ["Comedy"])
    (tmp_path / "date=2026-05-01").mkdir()
    (tmp_path / "date=2026-05-01" / f"{good.id}.json").write_bytes(good.encode())
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    (tmp_path / "other.json").write_text(json.dumps({"schema": "x"}), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not read", encoding="utf-8")
    found = read_corrections(str(tmp_path))
    assert found.corrections == [good]
    assert {Path(i.where).name: i.reason for i in found.ignored} == {
        "broken.json": "not UTF-8 JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))",
        "other.json": "schema 'x', not 'movie-genre-correction/1'",
    }
    _, report, _ = apply_corrections(splits(), LABELS, found)
    assert (report.read, report.applied, len(report.ignored)) == (3, 1, 2)
    assert report.ignored_reasons() == {"invalid": 2}
    summary = report.summary()
    assert "read 3 corrections; applied 1 (relabelled: train 1; 1 with other labels" in summary
    assert "ignored 2 (2 invalid)" in summary
    assert "broken.json: not UTF-8 JSON" in summary


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
    """More objects than one listing page holds, plus some that are not corrections."""
    monkeypatch.setattr(feedback, "LIST_PAGE_SIZE", 2)
    made = [fix(f"Movie {i}", "A plot.", ["Drama"], seconds=i) for i in range(5)]
    for correction in made:
        s3.put_object(
            Bucket="feedback-bucket",
            Key=correction.object_key("team/feedback"),
            Body=correction.encode(),
        )
    s3.put_object(Bucket="feedback-bucket", Key="team/feedback/readme.txt", Body=b"hi")
    s3.put_object(Bucket="feedback-bucket", Key="team/feedback/bad.json", Body=b"[]")
    s3.put_object(Bucket="feedback-bucket", Key="team/other/x.json", Body=b"not under prefix")
    found = read_corrections("s3://feedback-bucket/team/feedback/")
    assert sorted(c.id for c in found.corrections) == sorted(c.id for c in made)
    assert sorted((i.where, i.reason) for i in found.ignored) == [
        ("s3://feedback-bucket/team/feedback/bad.json", "not a JSON object but list"),
        ("s3://feedback-bucket/team/feedback/readme.txt", "not a .json object"),
    ]


def test_a_missing_bucket_is_one_line(s3) -> None:
    with pytest.raises(StoreError, match=r"^feedback: bucket 'absent' does not exist$"):
        read_corrections("s3://absent/feedback")


def test_the_prodigy_export_is_choice_tasks_answered_with_the_correction() -> None:
    old = fix("Alpha", "A train movie.", ["Drama"], seconds=0)
    new = fix("Alpha", "A train movie.", ["Comedy", "Horror"], seconds=5)
    other = fix("Zeta", "New.", [], seconds=3)
    tasks = list(prodigy_tasks(select_latest([old, new, other], LABELS), LABELS))
    assert [t["meta"]["id"] for t in tasks] == [other.id, new.id]  # the order received
    task = tasks[1]
    assert task["text"] == "Alpha.\nA train movie."
    assert task["options"] == [{"id": label, "text": label} for label in LABELS]
    assert task["accept"] == ["Comedy"]  # Horror is not a label: no option to accept
    assert task["answer"] == "accept"
    assert task["meta"] == {
        "id": new.id,
        "received_at": "2026-05-01T12:00:05+00:00",
        "model_version": "20261127-005734-402e991a",
        "served_by": "20261127-005734-402e991a",
    }
    assert tasks[0]["accept"] == []  # "none of these"
    stream = io.StringIO()
    assert write_jsonl(tasks, stream) == 2
    assert [json.loads(line)["meta"]["id"] for line in stream.getvalue().splitlines()] == [
        other.id,
        new.id,
    ]


def prepare_fixture(out: Path, feedback: str | None = None) -> dict:
    from genre_training.prepare import prepare

    return prepare(
        FIXTURE_ROWS,
        out,
        text_fields="title+description",
        description_column="overview",
        min_genre_count=FIXTURE_MIN_GENRE_COUNT,
        feedback=feedback,
    )


def save(folder: Path, *corrections: Correction) -> str:
    for correction in corrections:
        path = folder / correction.object_key("")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(correction.encode())
    return str(folder)


def test_prepare_applies_corrections_and_keeps_dev_and_test_the_same_movies(
    fixture_corpus: Path, tmp_path: Path
) -> None:
    before = {name: read_jsonl(fixture_corpus / f"{name}.jsonl") for name in SPLITS}
    labels = json.loads((fixture_corpus / PREPARE_REPORT).read_text())["labels"]
    dev_movie, test_movie = before["dev"][0], before["test"][3]
    fixes = save(
        tmp_path / "feedback",
        fix(dev_movie["title"].upper(), dev_movie["description"], [], seconds=0),
        fix(test_movie["title"], test_movie["description"], ["Comedy"], seconds=1),
        fix(test_movie["title"], test_movie["description"], ["Drama", "Horror"], seconds=2),
        fix("A film nobody has seen", "Two detectives solve a crime.", ["Crime"], seconds=3),
    )
    report = prepare_fixture(tmp_path / "corpus", fixes)
    after = {name: read_jsonl(tmp_path / "corpus" / f"{name}.jsonl") for name in SPLITS}
    for name in ("dev", "test"):
        assert [m["id"] for m in after[name]] == [m["id"] for m in before[name]]
    assert after["dev"][0]["genres"] == []
    assert after["test"][3]["genres"] == ["Drama"]  # the latest; Horror is not a label
    changed = [
        (name, i)
        for name in ("dev", "test")
        for i, (old, new) in enumerate(zip(before[name], after[name], strict=True))
        if old["genres"] != new["genres"]
    ]
    assert changed == [("dev", 0), ("test", 3)]
    assert after["train"][:-1] == before["train"]
    assert after["train"][-1]["title"] == "A film nobody has seen"
    assert after["train"][-1]["genres"] == ["Crime"]
    feedback_report = report["feedback"]
    assert (feedback_report["read"], feedback_report["applied"], feedback_report["added"]) == (
        4,
        2,
        1,
    )
    assert feedback_report["ignored_reasons"] == {SUPERSEDED: 1}
    assert feedback_report["unknown_genres"] == {"Horror": 1}
    assert "Horror" not in labels
    stored = json.loads((tmp_path / "corpus" / PREPARE_REPORT).read_text())
    assert stored["feedback"] == feedback_report
    assert stored["split_sizes"]["train"] == len(before["train"]) + 1
    corrected = read_jsonl(tmp_path / "corpus" / CORRECTED_MOVIES)
    assert [(c["split"], c["genres"]) for c in corrected] == [
        ("dev", []),
        ("test", ["Drama"]),
        ("train", ["Crime"]),
    ]
    # Prepared again without feedback, the corpus says nothing of corrections.
    assert prepare_fixture(tmp_path / "corpus")["feedback"] is None
    assert not (tmp_path / "corpus" / CORRECTED_MOVIES).exists()


def test_the_prepare_command_prints_the_report(fixture_corpus: Path, tmp_path: Path) -> None:
    movie = read_jsonl(fixture_corpus / "dev.jsonl")[0]
    fixes = save(tmp_path / "feedback", fix(movie["title"], movie["description"], ["Drama"]))
    (tmp_path / "feedback" / "junk.json").write_text("[]", encoding="utf-8")
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
            fixes,
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        f"feedback from {fixes}: read 2 corrections; applied 1 (relabelled: dev 1;" in result.stdout
    )
    assert "added 0 (new movies, to train only); ignored 1 (1 invalid)" in result.stdout
    assert "junk.json: not a JSON object but list" in result.stdout


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


def test_the_corrected_movies_are_scored_by_the_served_model_and_the_new_one(
    fixture_corpus: Path, tmp_path: Path
) -> None:
    """With the served model's own pipeline and thresholds as 'the new model', both columns
    must agree: the same predictions reached through the serving and the training code."""
    from genre_model.manifest import Manifest
    from genre_training.corrected import corrected_section, score_corrected
    from genre_training.pipelines import load_trained

    dev = read_jsonl(fixture_corpus / "dev.jsonl")
    fixes = save(
        tmp_path / "feedback",
        fix(dev[0]["title"], dev[0]["description"], ["Drama"], seconds=0),
        fix(dev[1]["title"], dev[1]["description"], ["Comedy"], seconds=1),
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
    assert [(s["split"], s["movies"]) for s in report["by_split"]] == [("train", 1), ("dev", 2)]
    for figures in report["by_split"]:
        assert figures["served"] == figures["new"]
    assert [m["served"] for m in report["movies"]] == [m["new"] for m in report["movies"]]
    lines = "\n".join(corrected_section(report))
    assert "| New \\| film | train | (new movie) | Crime |" in lines
    assert score_corrected(fixture_corpus, None, prepared, {}, FIXTURE_MODEL) is None  # type: ignore[arg-type]
