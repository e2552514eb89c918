"""A synthetic FAQ re-ranking problem with known answers (no model, no data files)."""

from __future__ import annotations

import numpy as np

from aimass.learning.bandit import Candidate, Context
from aimass.learning.ope import LoggedTurn


def contexts(n: int, seed: int, k: int = 5) -> list[tuple[Context, np.ndarray]]:
    """Contexts in static (fused) order and each candidate's probability of satisfying.

    The candidate with the highest *lexical* score is the right one with probability 0.9
    (others 0.05): the static ranker orders by ``fused`` and is right far less often.
    """
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        fused = np.sort(rng.uniform(0.5, 0.9, k))[::-1]
        lexical = rng.uniform(0.0, 10.0, k)
        cands = tuple(
            Candidate(
                f"faq{rng.integers(1000)}-{i}-{j}",
                dense=float(fused[j]),
                lexical=float(lexical[j]),
                fused=float(fused[j]),
            )
            for j in range(k)
        )
        p = np.full(k, 0.05)
        p[int(np.argmax(lexical))] = 0.9
        out.append((Context(cands), p))
    return out


class EpsilonStatic:
    """Logging policy: the static top-1 with probability 0.6, each other candidate 0.1."""

    def probabilities(self, ctx: Context) -> np.ndarray:
        n = len(ctx.candidates)
        p = np.full(n, 0.4 / (n - 1))
        p[0] = 0.6
        return p


class MostLexical:
    """A target policy: the candidate with the most shared words."""

    def probabilities(self, ctx: Context) -> np.ndarray:
        p = np.zeros(len(ctx.candidates))
        p[int(np.argmax([c.lexical for c in ctx.candidates]))] = 1.0
        return p


def logged(n: int, seed: int) -> list[LoggedTurn]:
    rng = np.random.default_rng(seed + 10_000)
    logging = EpsilonStatic()
    out = []
    for ctx, p_reward in contexts(n, seed):
        p = logging.probabilities(ctx)
        a = int(rng.choice(len(p), p=p))
        out.append(LoggedTurn(ctx, a, float(p[a]), float(rng.random() < p_reward[a])))
    return out


def true_value(policy, n: int = 20_000, seed: int = 999) -> float:
    """The exact expected reward of ``policy`` on this problem (large sample of contexts)."""
    return float(np.mean([policy.probabilities(c) @ p for c, p in contexts(n, seed)]))
