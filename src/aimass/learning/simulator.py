"""A simulated customer base, so the feedback loop can be run and measured end to end.

Built from any set of queries with their gold FAQ (a benchmark's query file, or a bot's own
FAQ questions). Each turn a customer asks one of the queries; the policy shows one of the
retrieval's top-k FAQs; the customer is satisfied (reward 1: thumbs-up / resolved) when it is
the FAQ that answers them. Real feedback is imperfect, and the simulator can make it so:

* ``noise``: the probability that a reward is flipped (a thumbs-down on a right answer);
* ``delay``: feedback arrives that many turns after the answer;
* ``feedback_rate``: the share of turns whose customer gives any feedback at all;
* user **types**: a share of customers carry a profile tag and, for some questions, are
  satisfied by a different FAQ than the gold one (a VIP wants the VIP returns policy), which
  a ranker that ignores tags can never learn.

The candidates of each query are computed once (retrieval is deterministic), so thousands of
turns take seconds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from aimass.errors import TrainingError
from aimass.learning.bandit import Candidate, Context, Policy

if TYPE_CHECKING:
    from aimass.schemas import Faq


@dataclass(frozen=True)
class SimQuery:
    text: str
    gold: str  # the FAQ id that answers it


@dataclass(frozen=True)
class UserType:
    """Customers with ``tag`` (a ``share`` of all) prefer ``prefers[gold]`` over ``gold``."""

    tag: str
    share: float
    prefers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SimTurn:
    id: int
    query: int  # index into the simulator's queries
    context: Context
    satisfies: str  # the FAQ id that satisfies this customer


@dataclass(frozen=True)
class Feedback:
    turn: int
    reward: float  # as observed (possibly flipped)


Retrieve = Callable[[Sequence[str]], list[list[Candidate]]]


class UserSimulator:
    def __init__(
        self,
        queries: Sequence[SimQuery],
        candidates: Sequence[Sequence[Candidate]],
        *,
        noise: float = 0.0,
        delay: int = 0,
        feedback_rate: float = 1.0,
        types: Sequence[UserType] = (),
        vectors: np.ndarray | None = None,
        seed: int = 0,
    ) -> None:
        if len(queries) != len(candidates) or not queries:
            raise TrainingError(
                "the simulator needs at least one query and one candidate list per query",
                code="AM590",
            )
        if not (0.0 <= noise < 0.5) or delay < 0 or not (0.0 < feedback_rate <= 1.0):
            raise TrainingError(
                f"bad simulator settings: noise={noise} (0 <= noise < 0.5), delay={delay} "
                f"(>= 0), feedback_rate={feedback_rate} (0 < rate <= 1)",
                code="AM591",
            )
        if sum(t.share for t in types) > 1.0 + 1e-9:
            raise TrainingError("user type shares add up to more than 1", code="AM591")
        self.queries = list(queries)
        self.candidates = [tuple(c) for c in candidates]
        self.noise = noise
        self.delay = delay
        self.feedback_rate = feedback_rate
        self.types = list(types)
        self.vectors = vectors  # one embedding per query, for similar-question memory
        self._rng = np.random.default_rng((seed, 0x5141))  # its own stream
        self._pending: deque[tuple[int, Feedback]] = deque()  # (due turn, feedback)
        self._turns: dict[int, SimTurn] = {}
        self.clock = 0

    @classmethod
    def from_retrieval(
        cls, queries: Sequence[SimQuery], retrieve: Retrieve, **kwargs: object
    ) -> UserSimulator:
        return cls(queries, retrieve([q.text for q in queries]), **kwargs)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ turns

    def next_turn(self, pool: Sequence[int] | None = None) -> SimTurn:
        """A new customer message (drawn from ``pool``, query indexes, when given)."""
        qi = int(
            self._rng.choice(pool) if pool is not None else self._rng.integers(len(self.queries))
        )
        q = self.queries[qi]
        tags: tuple[str, ...] = ()
        satisfies = q.gold
        u = self._rng.random()
        acc = 0.0
        for t in self.types:
            acc += t.share
            if u < acc:
                tags = (t.tag,)
                satisfies = t.prefers.get(q.gold, q.gold)
                break
        ctx = Context.of(
            self.candidates[qi],
            tags,
            text=q.text,
            vector=self.vectors[qi] if self.vectors is not None else None,
        )
        turn = SimTurn(self.clock, qi, ctx, satisfies)
        self._turns[turn.id] = turn
        self.clock += 1
        return turn

    def true_reward(self, turn: SimTurn, index: int) -> float:
        """Whether showing candidate ``index`` satisfies the customer (no noise)."""
        return float(turn.context.candidates[index].faq_id == turn.satisfies)

    def answer(self, turn: SimTurn, index: int) -> float:
        """Show candidate ``index``; its (noisy) feedback is queued. Returns the true reward."""
        true = self.true_reward(turn, index)
        if self._rng.random() < self.feedback_rate:
            observed = 1.0 - true if self._rng.random() < self.noise else true
            self._pending.append((turn.id + self.delay, Feedback(turn.id, observed)))
        return true

    def arrived(self, *, flush: bool = False) -> list[Feedback]:
        """Feedback due by now (every pending one with ``flush``)."""
        out = []
        while self._pending and (flush or self._pending[0][0] < self.clock):
            out.append(self._pending.popleft()[1])
        return out

    def turn(self, turn_id: int) -> SimTurn:
        return self._turns[turn_id]

    # ------------------------------------------------------------------ facts

    def expected_success(self, policy: Policy, pool: Sequence[int] | None = None) -> float:
        """A policy's exact expected (noise-free) success over ``pool``'s questions, each
        asked equally often, and over the user types' shares. Draws nothing."""
        idx = list(pool) if pool is not None else list(range(len(self.queries)))
        kinds = [((), None, 1.0 - sum(t.share for t in self.types))] + [
            ((t.tag,), t, t.share) for t in self.types
        ]
        total = 0.0
        for qi in idx:
            q = self.queries[qi]
            if not self.candidates[qi]:
                continue
            for tags, kind, share in kinds:
                if share <= 0:
                    continue
                want = kind.prefers.get(q.gold, q.gold) if kind is not None else q.gold
                ctx = Context.of(
                    self.candidates[qi],
                    tags,
                    text=q.text,
                    vector=self.vectors[qi] if self.vectors is not None else None,
                )
                p = policy.probabilities(ctx)
                total += share * sum(
                    float(p[i]) for i, c in enumerate(ctx.candidates) if c.faq_id == want
                )
        return total / max(len(idx), 1)

    def ceiling(self, pool: Sequence[int] | None = None) -> float:
        """Share of queries whose gold FAQ is among the candidates (the best any re-ranker
        can do, ignoring user types)."""
        idx = pool if pool is not None else range(len(self.queries))
        return float(
            np.mean(
                [any(c.faq_id == self.queries[i].gold for c in self.candidates[i]) for i in idx]
            )
        )


# ---------------------------------------------------------------------- the demo bot


def demo_bot_queries() -> tuple[list[SimQuery], list[Faq]]:
    """Simulated customers for the bundled demo bot, without any model.

    Each FAQ's question variants alternate between the bank (even positions) and the
    customers' queries (odd positions), so a query never finds itself in the bank.
    """
    import yaml

    from aimass.schemas import Faq

    path = Path(__file__).resolve().parents[1] / "demo" / "shopmate" / "data" / "faq.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    bank: list[Faq] = []
    queries: list[SimQuery] = []
    for f in raw["faqs"]:
        qs = list(f.get("questions", []))
        bank.append(Faq(id=f["id"], questions=qs[0::2], answers=dict(f.get("answers", {}))))
        queries.extend(SimQuery(q, f["id"]) for q in qs[1::2])
    return queries, bank


def lexical_candidates(
    faqs: Sequence[Faq], texts: Sequence[str], k: int = 5
) -> list[list[Candidate]]:
    """The top-k of a lexical-only (BM25) FAQ index: real retrieval with no model at all."""
    from aimass.retrieval.faq import FaqIndex
    from aimass.retrieval.fusion import Fusion

    index = FaqIndex(faqs, None, fusion=Fusion("lexical"))
    rows = index.search(list(texts), k=k)
    return [
        [Candidate(h.faq.id, dense=0.0, lexical=h.hit.lexical, fused=h.hit.fused) for h in row]
        for row in rows
    ]
