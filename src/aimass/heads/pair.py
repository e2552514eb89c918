"""Cross-encoder for question matching: do two questions ask the same thing (AFQMC)?"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from aimass.heads.base import HEADS, Head


@HEADS.register("pair.v1")
class PairHead(Head):
    """Reads both questions in one sequence (``a </s></s> b``), so attention compares them
    word by word; more accurate than comparing two separate embeddings, and slower, which is
    why retrieval uses the bi-encoder and this head decides or re-ranks the short list."""

    registry_name = "pair.v1"
    input_kind = "pair"

    def __init__(self, hidden_size: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.dropout_p = dropout
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, 1)
        # Decision threshold on the probability, fitted on dev after training.
        self.register_buffer("threshold", torch.tensor(0.5))

    def spec(self) -> dict[str, Any]:
        return {
            "type": self.registry_name,
            "hidden_size": self.hidden_size,
            "dropout": self.dropout_p,
        }

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(pooled)).squeeze(-1)  # (B,) logits

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(outputs.float(), targets.float())

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits)
