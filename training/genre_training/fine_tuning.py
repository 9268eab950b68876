"""Fine-tuning a transformer encoder for the genres with PyTorch: the encoder, mean pooling and a
linear head, trained with binary cross-entropy per genre; the epoch with the best validation
micro F1 (thresholds tuned) is kept.

Needs the [transformer] extra (PyTorch, transformers); nothing served imports this module.
"""

from __future__ import annotations

import copy
import math
import os
import random
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm
from transformers import AutoModel, AutoTokenizer

from genre_training.batching import length_grouped_batches
from genre_training.metrics import tuned_micro_f1
from genre_training.splits import Split

SCORING_BATCH = 128  # texts per forward pass when scoring (no gradients kept)


@dataclass(frozen=True)
class TrainingSettings:
    """The recipe's [training] section."""

    seed: int
    epochs: int
    batch_size: int
    learning_rate: float
    warmup_share: float
    weight_decay: float
    max_tokens: int
    device: str  # "cpu", "cuda", ... or "auto": a CUDA GPU when PyTorch sees one
    max_train: int | None  # only the first this many training movies; None: all

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> TrainingSettings:
        return cls(
            seed=int(section["seed"]),
            epochs=int(section["epochs"]),
            batch_size=int(section["batch_size"]),
            learning_rate=float(section["learning_rate"]),
            warmup_share=float(section["warmup_share"]),
            weight_decay=float(section["weight_decay"]),
            max_tokens=int(section["max_tokens"]),
            device=str(section["device"]),
            max_train=int(section["max_train"]) if section["max_train"] else None,
        )


class GenreModel(torch.nn.Module):
    """Encoder, mean pooling over real tokens, one linear layer: a probability per genre."""

    def __init__(self, encoder: Any, labels: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = torch.nn.Linear(encoder.config.hidden_size, labels)

    def logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        mask = attention_mask.unsqueeze(-1).to(hidden.last_hidden_state.dtype)
        pooled = (hidden.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return self.head(pooled)  # type: ignore[no-any-return]

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(input_ids, attention_mask))


@dataclass(frozen=True)
class TextEncoder:
    """The base model's tokenizer, truncating to max_tokens, and batches padded to their
    longest text (not to max_tokens)."""

    tokenizer: Any
    max_tokens: int

    def ids(self, texts: list[str]) -> list[list[int]]:
        return self.tokenizer(texts, truncation=True, max_length=self.max_tokens)["input_ids"]

    def batch(self, ids: list[list[int]], device: str) -> tuple[torch.Tensor, torch.Tensor]:
        """input_ids and attention_mask."""
        width = max(len(row) for row in ids)
        input_ids = torch.full((len(ids), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for i, row in enumerate(ids):
            input_ids[i, : len(row)] = torch.tensor(row)
            mask[i, : len(row)] = 1
        return input_ids.to(device), mask.to(device)


def predict(model: GenreModel, encoder: TextEncoder, texts: list[str], device: str) -> np.ndarray:
    """(texts, labels) probabilities."""
    model.eval()
    ids = encoder.ids(texts)
    order = np.argsort([len(row) for row in ids])  # similar lengths batch tightly
    scores = np.zeros((len(texts), model.head.out_features), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(order), SCORING_BATCH):
            chosen = order[start : start + SCORING_BATCH]
            out = model(*encoder.batch([ids[i] for i in chosen], device))
            scores[chosen] = out.float().cpu().numpy()
    return scores


@dataclass
class FineTuned:
    """The model at its best epoch, on the CPU (where it is exported and served)."""

    model: GenreModel
    encoder: TextEncoder
    device: str  # where it was trained
    train_movies: int
    history: list[dict[str, float]]  # per epoch: epoch, dev_micro_f1_tuned, minutes
    best_epoch: int

    def predict(self, texts: list[str]) -> np.ndarray:
        return predict(self.model, self.encoder, texts, "cpu")


def fine_tune_model(
    base: Path, labels: list[str], splits: Mapping[str, Split], settings: TrainingSettings
) -> FineTuned:
    """Train on splits["train"] for settings.epochs; keep the epoch best on splits["dev"]."""
    seed_everything(settings.seed)
    device = resolve_device(settings.device)
    torch.set_num_threads(os.cpu_count() or 1)
    encoder = TextEncoder(AutoTokenizer.from_pretrained(str(base)), settings.max_tokens)
    model = GenreModel(AutoModel.from_pretrained(str(base)), len(labels)).to(device)
    train, dev = splits["train"], splits["dev"]
    encoded = encoder.ids(train.texts[: settings.max_train])
    truth = train.truth[: settings.max_train]
    batches_per_epoch = math.ceil(len(encoded) / settings.batch_size)
    optimizer, schedule = optimizer_and_schedule(
        model, settings, settings.epochs * batches_per_epoch
    )
    generator = np.random.default_rng(settings.seed)
    history: list[dict[str, float]] = []
    best: tuple[float, int, dict[str, torch.Tensor]] | None = None
    for epoch in range(1, settings.epochs + 1):
        started = time.monotonic()
        batches = length_grouped_batches(
            [len(row) for row in encoded], settings.batch_size, generator
        )
        with tqdm(batches, desc=f"epoch {epoch}/{settings.epochs}", unit="batch") as progress:
            for loss in train_batches(
                model, encoder, encoded, truth, progress, device, optimizer, schedule
            ):
                progress.set_postfix(loss=f"{loss:.4f}", refresh=False)
        dev_scores = {"dev": predict(model, encoder, dev.texts, device)}
        dev_f1 = tuned_micro_f1({"dev": dev.truth}, dev_scores, labels)["dev_micro_f1_tuned"]
        minutes = (time.monotonic() - started) / 60
        history.append({"epoch": epoch, "dev_micro_f1_tuned": dev_f1, "minutes": minutes})
        print(f"epoch {epoch}: dev micro F1 (tuned) {dev_f1:.4f}", flush=True)
        if best is None or dev_f1 > best[0]:
            best = (dev_f1, epoch, cpu_copy(model.state_dict()))
    assert best is not None  # epochs >= 1
    model.load_state_dict(best[2])
    model.to("cpu").eval()
    return FineTuned(model, encoder, device, len(encoded), history, best[1])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def resolve_device(configured: str) -> str:
    if configured == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return configured


def optimizer_and_schedule(
    model: torch.nn.Module, settings: TrainingSettings, steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    """AdamW; the learning rate rises linearly over the warm-up share of the steps, then falls
    linearly to 0 at the last step."""
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    warmup = max(1, int(settings.warmup_share * steps))

    def factor(step: int) -> float:
        return min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup)))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def train_batches(
    model: GenreModel,
    encoder: TextEncoder,
    encoded: list[list[int]],
    truth: np.ndarray,
    batches: Iterable[np.ndarray],
    device: str,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
) -> Iterator[float]:
    """One optimizer step per batch of indices; yields the epoch's mean loss so far."""
    model.train()
    loss_of = torch.nn.BCEWithLogitsLoss()
    total = 0.0
    for done, chosen in enumerate(batches, 1):
        input_ids, mask = encoder.batch([encoded[i] for i in chosen], device)
        target = torch.tensor(truth[chosen], dtype=torch.float32, device=device)
        loss = loss_of(model.logits(input_ids, mask), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        total += float(loss.item())
        yield total / done


def cpu_copy(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A snapshot of the weights that later training steps do not change."""
    return copy.deepcopy({name: tensor.cpu() for name, tensor in state.items()})
