"""The training steps' outputs: report, metrics, curves, artifact and archive."""

import json
import math
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from genre_model import Manifest
from tests.helpers.data import FIXTURE_ROWS, OFFLINE_CONFIG, write_csv


def test_metrics_cover_both_models_both_splits_both_threshold_settings(
    trained: dict[str, Path],
) -> None:
    metrics = json.loads((trained["eval"] / "metrics.json").read_text())
    assert set(metrics["models"]) == {"spacy", "tfidf_logreg"}
    for model in metrics["models"].values():
        assert set(model["tuned_thresholds"]) == set(metrics["labels"])
        for split in ("dev", "test"):
            for setting in ("at_0.5", "tuned"):
                report = model[split][setting]
                assert set(report["per_genre"]) == set(metrics["labels"])
                for average in ("micro", "macro"):
                    assert 0 < report[average]["f1"] <= 1
    usable = metrics["load"]["usable"]
    assert metrics["split_sizes"]["test"] == math.ceil(0.2 * usable)
    assert sum(metrics["split_sizes"].values()) == usable
    report = (trained["eval"] / "report.md").read_text()
    assert "| tfidf_logreg | test |" in report
    assert (trained["eval"] / "pr_curves.png").read_bytes()[:4] == b"\x89PNG"


def test_the_manifest_carries_the_tuned_thresholds_and_lists_every_file(
    trained: dict[str, Path],
) -> None:
    metrics = json.loads((trained["eval"] / "metrics.json").read_text())
    manifest = Manifest.read(trained["artifact"])
    assert manifest.thresholds == metrics["models"]["spacy"]["tuned_thresholds"]
    assert manifest.split_sizes == metrics["split_sizes"]
    assert (
        manifest.metrics["test_micro_f1_tuned"]
        == (metrics["models"]["spacy"]["test"]["tuned"]["micro"]["f1"])
    )
    manifest.verify_files(trained["artifact"])
    with tarfile.open(trained["archive"]) as tar:
        names = tar.getnames()
    assert names[0] == "manifest.json"
    assert sorted(names[1:]) == sorted(manifest.files)


def test_prepare_reports_what_it_skipped(tmp_path: Path) -> None:
    tool = Path(sys.executable).parent / "movie-genre-train"
    result = subprocess.run(
        [
            str(tool),
            "prepare",
            "--data",
            str(FIXTURE_ROWS),
            "--out",
            str(tmp_path),
            "--min-genre-count",
            "60",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith(
        "566 usable of 600 rows (skipped: 2 empty text, 0 unparsable genres, 32 none of the labels)"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Error: data file not found"),
        ({"name": ["A"], "overview": ["x"], "genres": ["[]"]}, "Error: "),
    ],
)
def test_prepare_errors_are_one_line(tmp_path: Path, content, message: str) -> None:
    import pandas as pd

    data = tmp_path / "movies.csv.gz"
    if content is not None:
        write_csv(pd.DataFrame(content), data)
    tool = Path(sys.executable).parent / "movie-genre-train"
    result = subprocess.run(
        [str(tool), "prepare", "--data", str(data), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("step", "missing"),
    [
        (["evaluate", "--corpus", "{tmp}/corpus"], "{tmp}/corpus/prepare.json is missing"),
        (
            ["evaluate", "--corpus", "{corpus}", "--model", "{tmp}/none"],
            "{tmp}/none/meta.json is missing",
        ),
        (
            ["package", "--config", "{config}", "--recipe", "x", "--eval", "{tmp}/eval"],
            "{tmp}/eval/metrics.json is missing",
        ),
        (
            [
                "package",
                "--config",
                "{config}",
                "--recipe",
                "x",
                "--eval",
                "{eval}",
                "--corpus",
                "{tmp}",
            ],
            "{tmp}/test.jsonl is missing",
        ),
        (["publish", "{tmp}/none.tar.gz", "--bucket", "b"], "does not exist"),
    ],
)
def test_a_missing_input_is_one_line_naming_it(
    trained: dict[str, Path], tmp_path: Path, step: list[str], missing: str
) -> None:
    values = {
        "tmp": str(tmp_path),
        "corpus": str(trained["corpus"]),
        "eval": str(trained["eval"]),
        "config": str(OFFLINE_CONFIG),
    }
    tool = Path(sys.executable).parent / "movie-genre-train"
    result = subprocess.run(
        [str(tool), *(arg.format(**values) for arg in step)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert missing.format(**values) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_evaluate_writes_the_model_card_and_package_ships_it(trained: dict[str, Path]) -> None:
    card = (trained["eval"] / "MODEL_CARD.md").read_text()
    metrics = json.loads((trained["eval"] / "metrics.json").read_text())
    tuned = metrics["models"]["spacy"]["test"]["tuned"]
    for section in ("## What it does", "## Data", "## How well it does", "## Limitations"):
        assert section in card
    assert (
        f"| tuned on validation | {tuned['micro']['f1']:.3f} | {tuned['macro']['f1']:.3f} |" in card
    )
    assert metrics["data_sha256"] in card
    assert (trained["artifact"] / "MODEL_CARD.md").read_text() == card
    assert "MODEL_CARD.md" in Manifest.read(trained["artifact"]).files


def test_test_figures_by_release_period_cover_every_dated_test_movie(
    trained: dict[str, Path],
) -> None:
    metrics = json.loads((trained["eval"] / "metrics.json").read_text())
    periods = metrics["by_period"]
    assert sum(period["movies"] for period in periods) == metrics["split_sizes"]["test"]
    for period in periods:
        assert set(period["micro_f1_tuned"]) == {"spacy", "tfidf_logreg"}
    assert "## Newer films" in (trained["eval"] / "MODEL_CARD.md").read_text()


def test_evaluate_reports_another_model_beside_it(trained: dict[str, Path], tmp_path: Path) -> None:
    from genre_training.evaluate import evaluate

    results = evaluate(
        trained["model"],
        trained["corpus"],
        tmp_path,
        compare={"same, packaged": trained["artifact"]},
    )
    ours, other = results["models"]["spacy"], results["models"]["same, packaged"]
    assert other["test"]["tuned"]["micro"]["f1"] == pytest.approx(
        ours["test"]["tuned"]["micro"]["f1"]
    )
    assert "| same, packaged | test |" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize(
    ("module", "absent"),
    [
        ("genre_training.cli", {"boto3", "botocore", "spacy", "pandas"}),
        ("genre_training.package", {"boto3", "matplotlib", "sklearn"}),
    ],
)
def test_steps_import_only_what_they_use(module: str, absent: set[str]) -> None:
    """`prepare` needs no boto3; `package` no matplotlib or scikit-learn (evaluate's)."""
    code = f"import sys, {module}; print(sorted(set({sorted(absent)!r}) & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
