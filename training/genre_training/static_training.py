"""Training the static recipe's model with PyTorch: the distilled piece vectors, averaged over a
text's pieces (an EmbeddingBag), then dense layers; the vectors are trained with the head, with
binary cross-entropy per genre. The epoch with the best validation micro F1 (thresholds tuned)
is kept.

The pieces come from the served component itself (genre_model.static_textcat), so that training
and serving read a text alike. Needs PyTorch; nothing served imports this module.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from genre_training.metrics import tuned_micro_f1

SCORING_BATCH = 1024  # texts per forward pass when scoring (no gradients kept)


@dataclass(frozen=True)
class HeadSettings:
    """The recipe's [training] section."""

    seed: int
    epochs: int
    batch_size: int
    learning_rate: float
    weight_decay: float
    dropout: float
    hidden: int  # width of a hidden layer; 0: a linear head
    max_train: int | None  # only the first this many training movies; None: all

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> HeadSettings:
        return cls(
            seed=int(section["seed"]),
            epochs=int(section["epochs"]),
            batch_size=int(section["batch_size"]),
            learning_rate=float(section["learning_rate"]),
            weight_decay=float(section["weight_decay"]),
            dropout=float(section["dropout"]),
            hidden=int(section["hidden"]),
            max_train=int(section["max_train"]) if section["max_train"] else None,
        )


class StaticModel(torch.nn.Module):
    """Mean of the pieces' vectors (trainable), dropout, dense layers with ReLU between."""

    def __init__(self, vectors: np.ndarray, labels: int, settings: HeadSettings) -> None:
        super().__init__()
        self.vectors = torch.nn.EmbeddingBag.from_pretrained(
            torch.tensor(vectors, dtype=torch.float32), freeze=False, mode="mean"
        )
        width = vectors.shape[1]
        layers: list[torch.nn.Module] = [torch.nn.Dropout(settings.dropout)]
        if settings.hidden:
            layers += [
                torch.nn.Linear(width, settings.hidden),
                torch.nn.ReLU(),
                torch.nn.Dropout(settings.dropout),
            ]
            width = settings.hidden
        layers.append(torch.nn.Linear(width, labels))
        self.head = torch.nn.Sequential(*layers)

    def forward(self, pieces: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        """Logits; a text with no pieces has a zero mean vector, as served."""
        return self.head(self.vectors(pieces, offsets))  # type: ignore[no-any-return]

    def dense_layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(weight (in, out), bias) of each Linear, as genre_model.static_textcat computes."""
        return [
            (layer.weight.detach().numpy().T.copy(), layer.bias.detach().numpy().copy())
            for layer in self.head
            if isinstance(layer, torch.nn.Linear)
        ]


def bags(rows: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """EmbeddingBag's input: every row's piece ids end to end, and where each row starts."""
    lengths = [len(row) for row in rows]
    offsets = np.concatenate([[0], np.cumsum(lengths[:-1])]) if rows else np.zeros(0)
    flat = np.concatenate(rows) if rows else np.zeros(0)
    return torch.tensor(flat, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)


def predict(model: StaticModel, rows: Sequence[np.ndarray]) -> np.ndarray:
    """(texts, labels) probabilities."""
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(rows), SCORING_BATCH):
            out.append(torch.sigmoid(model(*bags(rows[start : start + SCORING_BATCH]))).numpy())
    return np.concatenate(out) if out else np.zeros((0, model.dense_layers()[-1][1].shape[0]))


@dataclass
class TrainedStatic:
    model: StaticModel  # at its best epoch
    train_movies: int
    history: list[dict[str, float]]  # per epoch: epoch, dev_micro_f1_tuned, minutes
    best_epoch: int

    def vectors(self) -> np.ndarray:
        return self.model.vectors.weight.detach().numpy().copy()


def train_static(
    vectors: np.ndarray,
    pieces: Mapping[str, Sequence[np.ndarray]],
    truth: Mapping[str, np.ndarray],
    labels: list[str],
    settings: HeadSettings,
) -> TrainedStatic:
    """pieces and truth by split ("train", "dev"): train on train; keep the epoch best on dev."""
    torch.manual_seed(settings.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    generator = np.random.default_rng(settings.seed)
    model = StaticModel(vectors, len(labels), settings)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    loss_of = torch.nn.BCEWithLogitsLoss()
    train = list(pieces["train"])[: settings.max_train]
    target = torch.tensor(truth["train"][: settings.max_train], dtype=torch.float32)
    history: list[dict[str, float]] = []
    best: tuple[float, int, dict[str, torch.Tensor]] | None = None
    for epoch in range(1, settings.epochs + 1):
        started = time.monotonic()
        model.train()
        order = generator.permutation(len(train))
        for start in range(0, len(order), settings.batch_size):
            chosen = order[start : start + settings.batch_size]
            loss = loss_of(model(*bags([train[i] for i in chosen])), target[chosen])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        dev = {"dev": predict(model, pieces["dev"])}
        dev_f1 = tuned_micro_f1({"dev": truth["dev"]}, dev, labels)["dev_micro_f1_tuned"]
        minutes = (time.monotonic() - started) / 60
        history.append({"epoch": epoch, "dev_micro_f1_tuned": dev_f1, "minutes": minutes})
        print(f"epoch {epoch}: dev micro F1 (tuned) {dev_f1:.4f}", flush=True)
        if best is None or dev_f1 > best[0]:
            best = (dev_f1, epoch, copy.deepcopy(model.state_dict()))
    assert best is not None  # epochs >= 1
    model.load_state_dict(best[2])
    model.eval()
    return TrainedStatic(model, len(train), history, best[1])
