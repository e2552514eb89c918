"""Multi-label profile tagging: one sigmoid per tag (新客, VIP, 价格敏感, 投诉风险, ...)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from aimass.heads.base import HEADS, Head


@HEADS.register("profile.v1")
class ProfileHead(Head):
    """Independent binary decisions per tag; a message can show several traits or none."""

    registry_name = "profile.v1"

    def __init__(self, labels: list[str], hidden_size: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.labels = list(labels)
        self.hidden_size = hidden_size
        self.dropout_p = dropout
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, len(self.labels))
        self.register_buffer("temperature", torch.ones(()))

    def spec(self) -> dict[str, Any]:
        return {
            "type": self.registry_name,
            "labels": self.labels,
            "hidden_size": self.hidden_size,
            "dropout": self.dropout_p,
        }

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(pooled))  # (B, T) logits

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(outputs, targets.float())

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits / self.temperature)
