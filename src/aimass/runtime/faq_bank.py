"""Dense FAQ matching over every way each FAQ is asked (exact search).

The retrieval issue adds the lexical leg, fusion and ANN indexes on top of this; the
runtime only needs ``search`` to return, per FAQ, the best-matching question variant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aimass.schemas import Faq


@dataclass
class FaqHit:
    faq: Faq
    score: float  # cosine of the best variant
    variant: str


class FaqBank:
    def __init__(self, faqs: list[Faq], variant_vectors: np.ndarray) -> None:
        self.faqs = faqs
        self.owner = np.array([i for i, f in enumerate(faqs) for _ in f.questions], dtype=np.int64)
        self.variants = [q for f in faqs for q in f.questions]
        self.vectors = variant_vectors.astype(np.float32)  # (V, H), L2-normalised

    def __len__(self) -> int:
        return len(self.faqs)

    def search(self, query_vectors: np.ndarray, k: int = 5) -> list[list[FaqHit]]:
        """Top ``k`` FAQs per query, best first, each with its best-matching variant."""
        if not self.faqs:
            return [[] for _ in range(len(query_vectors))]
        sim = query_vectors @ self.vectors.T  # (Q, V)
        out: list[list[FaqHit]] = []
        for row in sim:
            best = np.full(len(self.faqs), -np.inf, dtype=np.float32)
            best_variant = np.zeros(len(self.faqs), dtype=np.int64)
            order = np.argsort(row)  # ascending: later writes (higher scores) win
            best[self.owner[order]] = row[order]
            best_variant[self.owner[order]] = order
            top = np.argsort(-best)[:k]
            out.append(
                [FaqHit(self.faqs[f], float(best[f]), self.variants[best_variant[f]]) for f in top]
            )
        return out
