"""What every head shares: a registry entry, a JSON-serialisable spec, a loss."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from aimass.registry import Registry

HEADS: Registry[type[Head]] = Registry("head")


class Head(nn.Module):
    """A head maps pooled encoder vectors ``(B, H)`` to task outputs.

    ``input_kind`` tells the model how to encode the batch for this head:
    ``"single"`` (one text per row), ``"pair"`` (two texts joined in one sequence) or ``"bi"``
    (two texts per row, each encoded alone).
    """

    registry_name: ClassVar[str]
    input_kind: ClassVar[str] = "single"

    def spec(self) -> dict[str, Any]:
        """Everything needed to rebuild this head (weights aside); saved in heads.json."""
        raise NotImplementedError

    def loss(self, outputs: torch.Tensor, targets: Any) -> torch.Tensor:
        raise NotImplementedError


def build_head(spec: dict[str, Any]) -> Head:
    spec = dict(spec)
    cls = HEADS.get(spec.pop("type"))
    return cls(**spec)
