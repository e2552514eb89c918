"""Fusing the lexical and dense legs into one ranking.

Two rules, both per group (an FAQ, a document) after taking each leg's best entry:

* ``weighted``: ``dense + w * lexical / max_lexical`` where ``max_lexical`` is the best BM25
  score of the query over the candidates, so the lexical term lies in [0, 1] like a cosine
  margin. ``w`` is fitted on dev queries (``fit_weight``); ``w = 0`` is the dense leg alone.
* ``rrf``: reciprocal-rank fusion ``1/(k + rank_dense) + 1/(k + rank_lexical)``, which needs
  no fitting and is the fallback when there are no dev queries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

WEIGHT_GRID = (0.0, 0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True)
class Fusion:
    method: str = "weighted"  # weighted | rrf | dense | lexical
    weight: float = 0.1  # lexical weight for "weighted"
    rrf_k: float = 60.0

    def to_dict(self) -> dict[str, float | str]:
        return {"method": self.method, "weight": self.weight, "rrf_k": self.rrf_k}

    @classmethod
    def from_dict(cls, d: dict | None) -> Fusion:
        if not d:
            return cls()
        return cls(
            method=str(d.get("method", "weighted")),
            weight=float(d.get("weight", 0.1)),
            rrf_k=float(d.get("rrf_k", 60.0)),
        )

    def fuse(self, dense: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        """Fused score per candidate; ``dense`` may hold -inf for candidates the leg missed."""
        if self.method == "dense":
            return dense.copy()
        if self.method == "lexical":
            return lexical.copy()
        if self.method == "rrf":
            return _rrf(dense, self.rrf_k) + _rrf(lexical, self.rrf_k)
        top = float(lexical.max()) if len(lexical) else 0.0
        lex = lexical / top if top > 0 else np.zeros_like(lexical)
        d = np.where(np.isfinite(dense), dense, -1.0)
        return d + self.weight * lex


def _rrf(scores: np.ndarray, k: float) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    out = 1.0 / (k + ranks)
    out[~(scores > -np.inf)] = 0.0
    return out


def reciprocal_rank(ranked: Sequence[str], gold: str) -> float:
    for i, g in enumerate(ranked):
        if g == gold:
            return 1.0 / (i + 1)
    return 0.0


def fit_weight(
    rank_with: Callable[[Fusion], list[list[str]]],
    golds: Sequence[str],
    grid: Sequence[float] = WEIGHT_GRID,
) -> tuple[Fusion, dict[str, float]]:
    """The lexical weight with the best mean reciprocal rank on dev.

    When several weights tie at the best (a small dev set, or a dense leg already perfect on
    it), the middle of that plateau is taken: the choice farthest from where dev stops ranking
    best, rather than an edge that dev cannot tell from worse.

    ``rank_with(fusion)`` ranks every dev query with that fusion and returns group ids.
    Returns the chosen fusion and the dev MRR of each candidate (also RRF), for the report.
    """
    scores: dict[str, float] = {}
    for w in grid:
        f = Fusion("weighted", w)
        scores[f"weighted:{w:g}"] = float(
            np.mean([reciprocal_rank(r, g) for r, g in zip(rank_with(f), golds, strict=True)])
        )
    top = max(scores.values())
    plateau = [w for w in grid if scores[f"weighted:{w:g}"] >= top - 1e-9]
    best: tuple[float, Fusion] | None = (top, Fusion("weighted", plateau[len(plateau) // 2]))
    rrf = Fusion("rrf")
    scores["rrf"] = float(
        np.mean([reciprocal_rank(r, g) for r, g in zip(rank_with(rrf), golds, strict=True)])
    )
    assert best is not None
    if scores["rrf"] > best[0] + 1e-9:
        best = (scores["rrf"], rrf)
    return best[1], scores
