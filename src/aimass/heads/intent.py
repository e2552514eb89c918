"""Intent classification with out-of-scope as a label when the data has one."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from aimass.heads.base import HEADS, Head


@HEADS.register("intent.v1")
class IntentHead(Head):
    """Dropout + linear layer over the L2-normalised pooled vector; cross-entropy with label
    smoothing.

    The logits are divided by a temperature fitted on dev after training (calibration), which
    is stored as a buffer so that a saved head reproduces its calibrated probabilities.
    """

    registry_name = "intent.v1"
    # Buffers (register_buffer below), declared for the type checker.
    temperature: torch.Tensor
    mean: torch.Tensor
    scale: torch.Tensor

    def __init__(
        self,
        labels: list[str],
        hidden_size: int,
        dropout: float = 0.1,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__()
        self.labels = list(labels)
        self.hidden_size = hidden_size
        self.dropout_p = dropout
        self.label_smoothing = label_smoothing
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, len(self.labels))
        self.register_buffer("temperature", torch.ones(()))
        # Standardisation of the normalised pooled vector, fixed from the frozen encoder's
        # training vectors by the linear-probe init. Sentence embeddings share one dominant
        # direction (E5 cosines sit between 0.7 and 0.95); centring and scaling each dimension
        # lets the classifier see the directions that differ between intents.
        self.register_buffer("mean", torch.zeros(hidden_size))
        self.register_buffer("scale", torch.ones(hidden_size))

    def spec(self) -> dict[str, Any]:
        return {
            "type": self.registry_name,
            "labels": self.labels,
            "hidden_size": self.hidden_size,
            "dropout": self.dropout_p,
            "label_smoothing": self.label_smoothing,
        }

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        # On the unit sphere, like the frozen-encoder probe it starts from (see below).
        z = (F.normalize(pooled, dim=-1) - self.mean) / self.scale  # (B, H)
        return self.classifier(self.dropout(z))  # (B, C) raw logits

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(outputs, targets, label_smoothing=self.label_smoothing)

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.softmax(logits / self.temperature, dim=-1)

    @torch.no_grad()
    def init_from_linear_probe(
        self, train_x: np.ndarray, train_y: np.ndarray, dev_x: np.ndarray, dev_y: np.ndarray
    ) -> float:
        """Start the classifier at a logistic regression fitted on the frozen encoder's
        (normalised) vectors, its regularisation chosen on dev; return the chosen C.

        "Linear probe, then fine-tune" (Kumar et al. 2022): a random head makes the first
        fine-tuning steps push noise into the pre-trained encoder and distort the features
        it already has; from the probe, fine-tuning starts where a frozen-encoder classifier
        ends and only has to improve on it.
        """
        from aimass.model.logreg import fit_logreg

        mean = train_x.mean(0)
        scale = train_x.std(0) + 1e-6
        self.mean.copy_(torch.from_numpy(mean).float())
        self.scale.copy_(torch.from_numpy(scale).float())
        coef, intercept, c = fit_logreg(
            (train_x - mean) / scale,
            train_y,
            (dev_x - mean) / scale,
            dev_y,
            len(self.labels),
            (0.01, 0.03, 0.1, 0.3, 1.0),
        )
        self.classifier.weight.copy_(torch.from_numpy(coef).float())
        self.classifier.bias.copy_(torch.from_numpy(intercept).float())
        return c
