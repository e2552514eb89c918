"""Fusing the lexical and dense legs into one ranking.

Two rules, both per group (an FAQ, a document) after taking each leg's best entry:

* ``weighted``: ``dense + w * lexical / max_lexical`` where ``max_lexical`` is the best BM25
  score of the query over the candidates, so the lexical term lies in [0, 1] like a cosine
  margin. ``w`` is fitted on dev queries (``fit_fusion``: best MRR, ties broken by the gold's
  likelihood under the fused scores); ``w = 0`` is the dense leg alone.
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


Ranked = Sequence[tuple[str, float]]  # (group, fused score), best first


@dataclass(frozen=True)
class FitChoice:
    """What ``fit_weight`` chose and how it ranked dev: compare two choices with ``key``."""

    fusion: Fusion
    mrr: float
    nll: float  # gold's softmax log-loss over the ranked groups, at the best temperature

    @property
    def key(self) -> tuple[float, float]:
        return (round(self.mrr, 9), -round(self.nll, 9))


# The softmax temperature the dense encoders were trained with (our matching head's
# contrastive scale 20, and sentence-transformers' in-batch loss for MiniLM): fused scores are
# in cosine units, so the dev likelihood is read at that temperature.
LIKELIHOOD_TEMPERATURE = 0.05


def ranking_nll(
    rows: Sequence[Ranked], golds: Sequence[str], temperature: float = LIKELIHOOD_TEMPERATURE
) -> float:
    """Mean log-loss of the gold group under a softmax of each row's fused scores.

    Smooth where MRR is flat: two fusions that both rank every dev query right differ in how
    far the gold leads its rivals. The temperature is fixed, not fitted: on a dev set ranked
    perfectly a fitted one shrinks to zero and calls every fusion perfect. A gold group
    missing from its row counts as the row's lowest score.
    """
    from scipy.special import logsumexp

    losses = []
    for r, want in zip(rows, golds, strict=True):
        if not r:
            continue
        v = np.array([s for _, s in r], dtype=np.float64) / temperature
        at = next((i for i, (g, _) in enumerate(r) if g == want), int(np.argmin(v)))
        losses.append(float(logsumexp(v) - v[at]))
    return float(np.mean(losses)) if losses else 0.0


def fit_weight(
    rank_with: Callable[[Fusion], Sequence[Ranked]],
    golds: Sequence[str],
    grid: Sequence[float] = WEIGHT_GRID,
) -> tuple[Fusion, dict[str, float]]:
    """The lexical weight with the best mean reciprocal rank on dev (see ``fit_fusion``)."""
    choice, scores = fit_fusion(rank_with, golds, grid)
    return choice.fusion, scores


def fit_fusion(
    rank_with: Callable[[Fusion], Sequence[Ranked]],
    golds: Sequence[str],
    grid: Sequence[float] = WEIGHT_GRID,
) -> tuple[FitChoice, dict[str, float]]:
    """The fusion (a lexical weight, or RRF) with the best mean reciprocal rank on dev.

    When several tie at the best MRR (a small dev set, or a dense leg already perfect on it),
    the one under which the gold groups lead by most wins: the lowest softmax log-loss of the
    gold (``ranking_nll``). On a tie that fits dev no better with the lexical leg, that keeps
    the lexical weight at 0 rather than an arbitrary point of the plateau.

    ``rank_with(fusion)`` ranks every dev query with that fusion: (group, fused score) pairs,
    best first. Returns the choice and the dev MRR of each candidate, for the report.
    """
    scores: dict[str, float] = {}
    best: FitChoice | None = None
    for f in [Fusion("weighted", w) for w in grid] + [Fusion("rrf")]:
        rows = rank_with(f)
        mrr = float(
            np.mean(
                [
                    reciprocal_rank([g for g, _ in r], want)
                    for r, want in zip(rows, golds, strict=True)
                ]
            )
        )
        scores[f"weighted:{f.weight:g}" if f.method == "weighted" else "rrf"] = mrr
        if best is not None and mrr < best.mrr - 1e-9:
            continue  # only the MRR leaders need the likelihood
        c = FitChoice(f, mrr, ranking_nll(rows, golds))
        if best is None or c.key > best.key:
            best = c
    assert best is not None
    return best, scores
