"""Intent classification with out-of-scope as a label when the data has one."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from aimass.heads.base import HEADS, Head


@HEADS.register("intent.v1")
class IntentHead(Head):
    """Dropout + linear layer over the pooled vector; cross-entropy with label smoothing.

    The logits are divided by a temperature fitted on dev after training (calibration), which
    is stored as a buffer so that a saved head reproduces its calibrated probabilities.
    """

    registry_name = "intent.v1"

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

    def spec(self) -> dict[str, Any]:
        return {
            "type": self.registry_name,
            "labels": self.labels,
            "hidden_size": self.hidden_size,
            "dropout": self.dropout_p,
            "label_smoothing": self.label_smoothing,
        }

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(pooled))  # (B, C) raw logits

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(outputs, targets, label_smoothing=self.label_smoothing)

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.softmax(logits / self.temperature, dim=-1)

    @torch.no_grad()
    def init_from_prototypes(self, pooled: torch.Tensor, targets: torch.Tensor) -> None:
        """Start the classifier at the class means of the frozen encoder's vectors.

        A random head makes the first fine-tuning steps push noise into the pre-trained
        encoder; starting from prototypes (the class centroids) is the cheap form of
        "linear probe, then fine-tune" and converges in fewer epochs.
        """
        n = len(self.labels)
        centroids = torch.zeros(n, pooled.shape[1])  # (C, H)
        centroids.index_add_(0, targets, pooled.float())
        counts = torch.bincount(targets, minlength=n).clamp(min=1).unsqueeze(1)
        centroids = centroids / counts
        centre = pooled.float().mean(0, keepdim=True)  # remove the shared direction
        w = F.normalize(centroids - centre, dim=-1)
        scale = 1.0 / pooled.float().sub(centre).norm(dim=-1).mean().clamp(min=1e-6)
        self.classifier.weight.copy_(w * scale * 10.0)
        self.classifier.bias.copy_(-(self.classifier.weight @ centre.squeeze(0)))
