"""One shared pre-trained encoder, several heads, trained together.

Shapes: B = batch, T = tokens, H = hidden size, C = classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import torch
from torch import nn

from aimass.heads.base import Head

if TYPE_CHECKING:
    from transformers import PreTrainedModel


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Average the token vectors that are not padding (E5 and sentence-transformers pooling)."""
    m = mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)  # (B, H)


class MultiTaskModel(nn.Module):
    """``encoder`` is any Hugging Face encoder returning ``last_hidden_state``."""

    def __init__(self, encoder: nn.Module, heads: dict[str, Head]) -> None:
        super().__init__()
        self.encoder = encoder
        self.heads = nn.ModuleDict(heads)

    @property
    def hidden_size(self) -> int:
        return int(cast("PreTrainedModel", self.encoder).config.hidden_size)

    def pool(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        out = self.encoder(
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            **({"token_type_ids": batch["token_type_ids"]} if "token_type_ids" in batch else {}),
        )
        return mean_pool(out.last_hidden_state, batch["attention_mask"])  # (B, H)

    def forward(self, task: str, inputs: Any) -> Any:
        """Task outputs for a batch; ``inputs`` is one encoded batch, or a tuple of two for
        the contrastive matching task (anchors, positives)."""
        head = self.heads[task]
        if isinstance(inputs, tuple):
            return tuple(head(self.pool(x)) for x in inputs)
        return head(self.pool(inputs))

    def head_specs(self) -> dict[str, dict[str, Any]]:
        return {name: head.spec() for name, head in self.heads.items()}  # type: ignore[operator]
