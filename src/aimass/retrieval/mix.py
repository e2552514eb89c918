"""A second encoder in the dense leg, mixed in by concatenating embeddings.

For unit vectors ``u`` (the bot's model) and ``v`` (a frozen expert encoder), the vector
``[sqrt(1 - a) * u, sqrt(a) * v]`` is a unit vector whose dot product with another such vector
is ``(1 - a) * cos_u + a * cos_v``: one index (exact or ANN) searches the weighted mean of the
two cosines, and every other part of retrieval (fusion, highlights, caches) is unchanged.

Used for English FAQ banks, where the MiniLM expert (trained on English question pairs) adds
what a few paraphrases per FAQ cannot teach the bot's model; it reads Chinese as [UNK], so a
bank that is not mostly English never gets it. ``a`` is fitted on dev queries together with
the lexical weight (:func:`aimass.evaluation.bench.bench_faq`); ``a = 0`` is the model alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

MIX_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)

EmbedKind = Callable[..., np.ndarray]  # (texts, kind=...) -> (N, d) unit vectors


@dataclass(frozen=True)
class DenseMix:
    expert: str = ""  # a frozen encoder's name (aimass.encoders.frozen); "" = the model alone
    weight: float = 0.0  # the expert's share of the cosine

    @property
    def active(self) -> bool:
        return bool(self.expert) and self.weight > 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"expert": self.expert, "weight": self.weight}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> DenseMix:
        if not d:
            return cls()
        return cls(expert=str(d.get("expert", "")), weight=float(d.get("weight", 0.0)))

    @property
    def tag(self) -> str:
        """A short name for caches of mixed vectors (they differ from the model's own)."""
        return f"{self.expert}{self.weight:g}" if self.active else ""


def mix(base: np.ndarray, expert: np.ndarray, weight: float) -> np.ndarray:
    """Concatenate two batches of unit vectors so dot products mix their cosines."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"mix weight must lie in [0, 1], got {weight}")
    if len(base) != len(expert):
        raise ValueError("one expert vector per base vector")
    a = float(weight)
    return np.concatenate(
        [np.sqrt(1.0 - a) * base.astype(np.float32), np.sqrt(a) * expert.astype(np.float32)],
        axis=1,
    )


def mixed_embed(embed: EmbedKind, encode: Callable[[list[str]], np.ndarray], m: DenseMix) -> Any:
    """``embed`` (texts, kind) with the expert's vectors mixed in; ``embed`` itself when the
    mix is off."""
    if not m.active:
        return embed

    def run(texts: list[str], kind: str = "query") -> np.ndarray:
        if not texts:
            return embed(texts, kind=kind)
        return mix(embed(texts, kind=kind), encode(list(texts)), m.weight)

    return run
