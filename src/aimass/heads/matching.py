"""Bi-encoder embeddings for FAQ and knowledge-base retrieval, trained contrastively."""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F

from aimass.heads.base import HEADS, Head


@HEADS.register("matching.v1")
class MatchingHead(Head):
    """L2-normalised sentence embeddings; loss = in-batch-negatives ranking (InfoNCE).

    Inputs of the loss: anchor vectors ``(B, H)``, positive vectors ``(B, H)`` and a group id
    per row (the FAQ id). Row i's positive is column i; every other column is a negative
    except those of the same group, which are masked out (two variants of one FAQ in a batch
    are not negatives of each other). The loss is symmetric (anchor->positive and back), as
    in sentence-transformers' MultipleNegativesSymmetricRankingLoss.

    The head has no weights by default: the embedding is the encoder's mean-pooled vector,
    so retrieval works zero-shot from the pre-trained backbone and improves with training.
    """

    registry_name = "matching.v1"

    def __init__(self, hidden_size: int, scale: float = 20.0) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.scale = scale

    def spec(self) -> dict[str, Any]:
        return {"type": self.registry_name, "hidden_size": self.hidden_size, "scale": self.scale}

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return F.normalize(pooled.float(), dim=-1)  # (B, H)

    def loss(self, outputs: torch.Tensor, targets: Any) -> torch.Tensor:
        anchors, positives = outputs  # (B, H), (B, H), both normalised
        groups: torch.Tensor = targets  # (B,)
        sim = anchors @ positives.T * self.scale  # (B, B)
        same = groups.unsqueeze(0) == groups.unsqueeze(1)
        eye = torch.eye(len(groups), dtype=torch.bool, device=sim.device)
        sim = sim.masked_fill(same & ~eye, float("-inf"))
        target = torch.arange(len(groups), device=sim.device)
        return 0.5 * (F.cross_entropy(sim, target) + F.cross_entropy(sim.T, target))
