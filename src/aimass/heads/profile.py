"""Multi-label profile tagging: one sigmoid per tag (新客, VIP, 价格敏感, 投诉风险, ...)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from aimass.heads.base import HEADS, Head


@HEADS.register("profile.v1")
class ProfileHead(Head):
    """Independent binary decisions per tag; a message can show several traits or none."""

    registry_name = "profile.v1"
    # Buffers (register_buffer below), declared for the type checker.
    temperature: torch.Tensor
    mean: torch.Tensor
    scale: torch.Tensor

    def __init__(self, labels: list[str], hidden_size: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.labels = list(labels)
        self.hidden_size = hidden_size
        self.dropout_p = dropout
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, len(self.labels))
        self.register_buffer("temperature", torch.ones(()))
        # Standardisation of the normalised pooled vector, as in IntentHead (see there).
        self.register_buffer("mean", torch.zeros(hidden_size))
        self.register_buffer("scale", torch.ones(hidden_size))

    def spec(self) -> dict[str, Any]:
        return {
            "type": self.registry_name,
            "labels": self.labels,
            "hidden_size": self.hidden_size,
            "dropout": self.dropout_p,
        }

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        z = (F.normalize(pooled, dim=-1) - self.mean) / self.scale  # (B, H)
        return self.classifier(self.dropout(z))  # (B, T) logits

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(outputs, targets.float())

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits / self.temperature)

    @torch.no_grad()
    def init_from_linear_probe(
        self, train_x: np.ndarray, train_y: np.ndarray, dev_x: np.ndarray, dev_y: np.ndarray
    ) -> None:
        """One logistic regression per tag on the frozen encoder's standardised vectors
        (``train_y`` is a (N, T) 0/1 matrix): with a few dozen examples per tag a randomly
        started head barely moves before the encoder has been pushed around."""
        from aimass.model.logreg import fit_logreg

        mean = train_x.mean(0)
        scale = train_x.std(0) + 1e-6
        self.mean.copy_(torch.from_numpy(mean).float())
        self.scale.copy_(torch.from_numpy(scale).float())
        x, xd = (train_x - mean) / scale, (dev_x - mean) / scale
        for t in range(len(self.labels)):
            y = train_y[:, t].astype(np.int64)
            if y.min() == y.max():  # a tag with no positive (or no negative) example
                continue
            coef, intercept, _ = fit_logreg(
                x, y, xd, dev_y[:, t].astype(np.int64), 2, (0.01, 0.03, 0.1, 0.3, 1.0)
            )
            self.classifier.weight[t] = torch.from_numpy(coef[1]).float()
            self.classifier.bias[t] = float(intercept[1])
