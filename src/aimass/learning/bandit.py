"""A contextual bandit that re-ranks FAQ candidates from customers' feedback.

Why a bandit and not a classifier: the only labels a running bot gets are rewards for the
answer it *showed* (thumbs, resolved), so it must sometimes show a non-greedy candidate to
learn about it, and it must record how likely each shown choice was (its propensity) so a new
policy can be judged off-policy before it is promoted (:mod:`aimass.learning.ope`).

One linear model is shared by all candidates (a FAQ bank has too many FAQs, each shown too
rarely, for one model per FAQ). A candidate's features are its retrieval scores (dense,
lexical, fused, calibrated confidence), its rank in the static hybrid ranking, how often this
FAQ satisfied customers when shown (overall and among customers with the same profile tags)
and the customer's tags. Two ways of exploring:

* ``ucb`` (LinUCB): the greedy candidate maximises the ridge estimate; when the optimistic
  candidate (estimate + ``alpha`` * its uncertainty) differs, exploration rises to the ceiling.
* ``ts`` (linear Thompson sampling): the probability that each candidate is best under the
  posterior, estimated with a fixed number of seeded draws.

Either way the probability of showing *any* non-greedy candidate is clipped to
``[explore_floor, explore_ceiling]`` (so a customer rarely sees a worse answer, and every
candidate keeps a positive propensity), and the choice is drawn from exactly the distribution
that is logged.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from aimass.errors import TrainingError

POLICY_FORMAT = 1
BASE_FEATURES = 11


@dataclass(frozen=True)
class Candidate:
    """One FAQ the retrieval offered for a message, with its scores."""

    faq_id: str
    dense: float = 0.0  # cosine of the best variant (-1 when there is no dense leg)
    lexical: float = 0.0  # BM25 of the best variant
    fused: float = 0.0  # the hybrid score the static ranking orders by
    confidence: float | None = None  # calibrated probability, when the model gave one


@dataclass(frozen=True, eq=False)
class Context:
    """A message as the bandit sees it: candidates in static order (top-1 first), the
    customer's profile tags, the message's normalised text and (optionally) its embedding."""

    candidates: tuple[Candidate, ...]
    tags: tuple[str, ...] = ()
    key: str = ""  # normalised message text: exact repeats are recognised by it
    vector: np.ndarray | None = None  # unit-length embedding: similar messages by cosine

    @classmethod
    def of(
        cls,
        candidates: Sequence[Candidate],
        tags: Sequence[str] = (),
        *,
        text: str = "",
        vector: np.ndarray | None = None,
    ) -> Context:
        return cls(tuple(candidates), tuple(sorted(set(tags))), normalise(text), vector)


_PUNCT = re.compile(r"[\s\.,;:!?，。；：！？、\"'“”‘’()（）\[\]]+")


def normalise(text: str) -> str:
    """The form under which two messages count as the same question."""
    return _PUNCT.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


class Policy(Protocol):
    """Anything that gives a probability per candidate of a context."""

    def probabilities(self, ctx: Context) -> np.ndarray: ...


class StaticPolicy:
    """The current ranker: always the hybrid top-1."""

    name = "static"

    def probabilities(self, ctx: Context) -> np.ndarray:
        p = np.zeros(len(ctx.candidates))
        p[0] = 1.0
        return p


# ---------------------------------------------------------------------- feedback statistics


@dataclass
class FaqStats:
    """How often each FAQ was shown and satisfied the customer, overall and per profile tag.

    Smoothed towards 1/2 (overall) and towards the overall rate (per tag), so an FAQ shown
    twice does not look perfect or hopeless.
    """

    shown: dict[str, float] = field(default_factory=dict)
    success: dict[str, float] = field(default_factory=dict)
    tag_shown: dict[str, float] = field(default_factory=dict)  # "tag\tfaq" -> count
    tag_success: dict[str, float] = field(default_factory=dict)
    prior_weight: float = 2.0

    def record(self, faq_id: str, tags: Sequence[str], reward: float) -> None:
        self.shown[faq_id] = self.shown.get(faq_id, 0.0) + 1.0
        self.success[faq_id] = self.success.get(faq_id, 0.0) + reward
        for t in tags:
            key = f"{t}\t{faq_id}"
            self.tag_shown[key] = self.tag_shown.get(key, 0.0) + 1.0
            self.tag_success[key] = self.tag_success.get(key, 0.0) + reward

    def rate(self, faq_id: str) -> float:
        n = self.shown.get(faq_id, 0.0)
        return (self.success.get(faq_id, 0.0) + 0.5 * self.prior_weight) / (n + self.prior_weight)

    def tag_rate(self, faq_id: str, tags: Sequence[str]) -> float:
        """Mean over the customer's tags of the FAQ's success rate among those customers."""
        base = self.rate(faq_id)
        if not tags:
            return base
        rates = []
        for t in tags:
            key = f"{t}\t{faq_id}"
            n = self.tag_shown.get(key, 0.0)
            s = self.tag_success.get(key, 0.0)
            rates.append((s + base * self.prior_weight) / (n + self.prior_weight))
        return float(np.mean(rates))

    def to_dict(self) -> dict[str, Any]:
        return {
            "shown": self.shown,
            "success": self.success,
            "tag_shown": self.tag_shown,
            "tag_success": self.tag_success,
            "prior_weight": self.prior_weight,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FaqStats:
        return cls(
            shown=dict(d.get("shown", {})),
            success=dict(d.get("success", {})),
            tag_shown=dict(d.get("tag_shown", {})),
            tag_success=dict(d.get("tag_success", {})),
            prior_weight=float(d.get("prior_weight", 2.0)),
        )

    def copy(self) -> FaqStats:
        return FaqStats.from_dict(json.loads(json.dumps(self.to_dict())))


class QueryMemory:
    """Which FAQ satisfied (or failed) which past message.

    Why: per-FAQ success rates cannot tell *for which question* an FAQ is right, but
    customers ask the same questions again and again. A candidate's evidence is summed over
    past messages that are the same question (exact normalised text, weight 1) or, when
    embeddings are given, similar to it (cosine above ``threshold``, weight rising linearly
    from 0 at the threshold to 1 at cosine 1) — asked by customers with the same profile
    tags, since customers of different kinds may want different answers to one question.
    """

    def __init__(self, threshold: float = 0.9) -> None:
        self.threshold = threshold
        self.keys: list[str] = []
        self.faqs: list[str] = []
        self.rewards: list[float] = []
        self.groups: list[str] = []  # the customer's tags, joined
        self._by_key: dict[str, list[int]] = {}
        self._vectors: np.ndarray | None = None  # rows aligned with entries (zeros if none)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def add(
        self,
        key: str,
        vector: np.ndarray | None,
        faq_id: str,
        reward: float,
        tags: Sequence[str] = (),
    ) -> None:
        i = self._n
        group = ",".join(sorted(tags))
        self.keys.append(key)
        self.faqs.append(faq_id)
        self.rewards.append(float(reward))
        self.groups.append(group)
        if key:
            self._by_key.setdefault(f"{group}|{key}", []).append(i)
        if vector is not None:
            v = np.asarray(vector, dtype=np.float32).ravel()
            if self._vectors is None:
                self._vectors = np.zeros((max(64, 2 * (i + 1)), len(v)), dtype=np.float32)
            elif i >= len(self._vectors):
                grown = np.zeros((2 * len(self._vectors), self._vectors.shape[1]), np.float32)
                grown[: len(self._vectors)] = self._vectors
                self._vectors = grown
            self._vectors[i] = v / max(float(np.linalg.norm(v)), 1e-12)
        self._n += 1

    def evidence(self, ctx: Context) -> dict[str, tuple[float, float]]:
        """FAQ id -> (weighted successes, weighted failures) among similar past messages."""
        weight: dict[int, float] = {}
        group = ",".join(ctx.tags)
        if ctx.vector is not None and self._vectors is not None and self._n:
            q = np.asarray(ctx.vector, dtype=np.float32).ravel()
            q = q / max(float(np.linalg.norm(q)), 1e-12)
            if len(q) == self._vectors.shape[1]:
                cos = self._vectors[: self._n] @ q
                for hit in np.flatnonzero(cos > self.threshold):
                    if self.groups[hit] != group:
                        continue
                    weight[int(hit)] = float((cos[hit] - self.threshold) / (1.0 - self.threshold))
        for j in self._by_key.get(f"{group}|{ctx.key}", []) if ctx.key else []:
            weight[j] = 1.0
        out: dict[str, tuple[float, float]] = {}
        for j, w in weight.items():
            pos, neg = out.get(self.faqs[j], (0.0, 0.0))
            r = self.rewards[j]
            out[self.faqs[j]] = (pos + w * r, neg + w * (1.0 - r))
        return out

    def copy(self) -> QueryMemory:
        m = QueryMemory(self.threshold)
        m.keys, m.faqs, m.rewards = list(self.keys), list(self.faqs), list(self.rewards)
        m.groups = list(self.groups)
        m._by_key = {k: list(v) for k, v in self._by_key.items()}
        m._vectors = None if self._vectors is None else self._vectors.copy()
        m._n = self._n
        return m

    def to_dict(self) -> dict[str, Any]:
        """Keys, FAQs and rewards (embeddings are not saved: a loaded policy recognises
        exact repeats only, until it sees new messages with embeddings)."""
        return {
            "threshold": self.threshold,
            "keys": self.keys,
            "faqs": self.faqs,
            "rewards": self.rewards,
            "groups": self.groups,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> QueryMemory:
        m = cls(float(d.get("threshold", 0.9)))
        keys = d.get("keys", [])
        groups = d.get("groups", [""] * len(keys))
        for k, f, r, g in zip(keys, d.get("faqs", []), d.get("rewards", []), groups, strict=True):
            m.add(str(k), None, str(f), float(r), [t for t in str(g).split(",") if t])
        return m


# ---------------------------------------------------------------------- features


@dataclass(frozen=True)
class FeatureSpec:
    """Which features a candidate gets; fixed when a policy is created, saved with it."""

    k: int = 5  # candidates per message (rank one-hot width)
    tags: tuple[str, ...] = ()  # the profile tags the bot declares
    confidence_temperature: float = 0.05  # for a softmax over fused when no confidence is given

    @property
    def names(self) -> list[str]:
        base = [
            "bias",
            "dense",
            "lexical_rel",
            "fused",
            "fused_gap",
            "confidence",
            "prior_success",
            "prior_success_tag",
            "log_shown",
            "near_success",
            "near_failure",
        ]
        return base + [f"rank_{r + 1}" for r in range(self.k)] + [f"tag:{t}" for t in self.tags]

    @property
    def dim(self) -> int:
        return BASE_FEATURES + self.k + len(self.tags)

    def matrix(
        self, ctx: Context, stats: FaqStats | None, memory: QueryMemory | None = None
    ) -> np.ndarray:
        """One row of features per candidate (``len(ctx.candidates)`` rows)."""
        cands = ctx.candidates[: self.k]
        n = len(cands)
        x = np.zeros((n, self.dim))
        if n == 0:
            return x
        dense = np.array([c.dense for c in cands])
        lex = np.array([c.lexical for c in cands])
        fused = np.array([c.fused for c in cands])
        top_lex = float(lex.max())
        conf = np.array([np.nan if c.confidence is None else c.confidence for c in cands])
        if np.isnan(conf).any():
            z = (fused - fused.max()) / self.confidence_temperature
            soft = np.exp(z) / np.exp(z).sum()
            conf = np.where(np.isnan(conf), soft, conf)
        x[:, 0] = 1.0
        x[:, 1] = dense
        x[:, 2] = lex / top_lex if top_lex > 0 else 0.0
        x[:, 3] = fused
        x[:, 4] = fused - fused.max()
        x[:, 5] = conf
        near = memory.evidence(ctx) if memory is not None and len(memory) else {}
        for i, c in enumerate(cands):
            if stats is not None:
                r = stats.rate(c.faq_id)
                x[i, 6] = r - 0.5
                x[i, 7] = stats.tag_rate(c.faq_id, ctx.tags) - r
                x[i, 8] = math.log1p(stats.shown.get(c.faq_id, 0.0)) / 5.0
            pos, neg = near.get(c.faq_id, (0.0, 0.0))
            x[i, 9] = pos / (1.0 + pos)  # saturating: the third confirmation adds little
            x[i, 10] = neg / (1.0 + neg)
            x[i, BASE_FEATURES + i] = 1.0
        for t in ctx.tags:
            if t in self.tags:
                x[:, BASE_FEATURES + self.k + self.tags.index(t)] = 1.0
        return x

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "tags": list(self.tags),
            "confidence_temperature": self.confidence_temperature,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureSpec:
        return cls(
            k=int(d.get("k", 5)),
            tags=tuple(d.get("tags", ())),
            confidence_temperature=float(d.get("confidence_temperature", 0.05)),
        )


# ---------------------------------------------------------------------- policies


@dataclass
class Choice:
    """What was shown for one message and how likely showing it was."""

    index: int  # position in the context's candidates (0 = static top-1)
    faq_id: str
    propensity: float  # probability the logging policy gave this choice, in (0, 1]
    probabilities: np.ndarray  # the whole distribution it was drawn from
    greedy: int  # the candidate the policy believes best


class GreedyPolicy:
    """A frozen linear policy: always the candidate with the best estimated reward.

    This is what gets promoted and served; its features use a frozen snapshot of the
    feedback statistics so its behaviour does not drift between evaluation and serving.
    """

    name = "bandit-greedy"

    def __init__(
        self,
        spec: FeatureSpec,
        theta: np.ndarray,
        stats: FaqStats,
        memory: QueryMemory | None = None,
    ) -> None:
        self.spec = spec
        self.theta = np.asarray(theta, dtype=np.float64)
        self.stats = stats
        self.memory = memory

    def scores(self, ctx: Context) -> np.ndarray:
        return self.spec.matrix(ctx, self.stats, self.memory) @ self.theta

    def probabilities(self, ctx: Context) -> np.ndarray:
        p = np.zeros(len(ctx.candidates))
        if len(ctx.candidates):
            s = self.scores(ctx)
            p[_argmax_first(s)] = 1.0
        return p

    def rerank(self, ctx: Context) -> list[int]:
        """Candidate positions best first (ties keep the static order)."""
        s = self.scores(ctx)
        return [int(i) for i in np.argsort(-s, kind="stable")]


class ShadowExplorer:
    """Serves the current policy and spends a capped exploration budget on a candidate's
    choices, logging the propensity of everything shown.

    Why: to promote a candidate, its value must be estimated on traffic it did not serve,
    and the current policy's value must be known precisely. Served this way, the current
    policy is measured almost on-policy and the candidate's choices get enough probability
    (the ``ceiling`` where they differ) to be judged, while a customer sees a non-current
    answer with probability at most ``ceiling``.
    """

    def __init__(
        self,
        current: Policy,
        candidate: Policy,
        *,
        explore_floor: float = 0.05,
        explore_ceiling: float = 0.3,
        seed: int = 0,
    ) -> None:
        if not (0.0 <= explore_floor <= explore_ceiling < 1.0):
            raise TrainingError(
                f"exploration bounds must satisfy 0 <= floor <= ceiling < 1 "
                f"(got {explore_floor}, {explore_ceiling})",
                code="AM582",
            )
        self.current = current
        self.candidate = candidate
        self.explore_floor = explore_floor
        self.explore_ceiling = explore_ceiling
        self._rng = np.random.default_rng((seed, 0x5AD0))

    def probabilities(self, ctx: Context) -> np.ndarray:
        n = len(ctx.candidates)
        if n == 0:
            raise TrainingError("a message has no FAQ candidates", code="AM583")
        g = _argmax_first(self.current.probabilities(ctx))
        if n == 1:
            return np.ones(1)
        c = _argmax_first(self.candidate.probabilities(ctx))
        uniform = np.full(n, 1.0 / (n - 1))
        uniform[g] = 0.0
        if c != g:
            e = self.explore_ceiling
            p = 0.2 * e * uniform
            p[c] += 0.8 * e
        else:
            e = self.explore_floor
            p = e * uniform
        p[g] = 1.0 - e
        return p

    def choose(self, ctx: Context) -> Choice:
        p = self.probabilities(ctx)
        i = int(self._rng.choice(len(p), p=p))
        return Choice(i, ctx.candidates[i].faq_id, float(p[i]), p, _argmax_first(p))


class LinearBandit:
    """Shared-parameter LinUCB / linear Thompson sampling with capped exploration."""

    def __init__(
        self,
        spec: FeatureSpec | None = None,
        *,
        method: str = "ucb",
        alpha: float = 1.0,
        ridge: float = 1.0,
        explore_floor: float = 0.05,
        explore_ceiling: float = 0.3,
        ts_draws: int = 64,
        memory_threshold: float = 0.9,
        seed: int = 0,
    ) -> None:
        if method not in ("ucb", "ts"):
            raise TrainingError(
                f"unknown bandit method {method!r}", code="AM581", hint="use ucb or ts"
            )
        if not (0.0 <= explore_floor <= explore_ceiling < 1.0):
            raise TrainingError(
                f"exploration bounds must satisfy 0 <= floor <= ceiling < 1 "
                f"(got {explore_floor}, {explore_ceiling})",
                code="AM582",
                hint="e.g. --explore-floor 0.05 --explore-ceiling 0.3",
            )
        self.spec = spec or FeatureSpec()
        self.method = method
        self.alpha = alpha
        self.ridge = ridge
        self.explore_floor = explore_floor
        self.explore_ceiling = explore_ceiling
        self.ts_draws = ts_draws
        d = self.spec.dim
        self.A = np.eye(d) * ridge
        self.b = np.zeros(d)
        self.stats = FaqStats()
        self.memory = QueryMemory(memory_threshold)
        self.updates = 0
        self._rng = np.random.default_rng((seed, 0xBA4D17))  # its own stream

    # ------------------------------------------------------------------ model

    @property
    def theta(self) -> np.ndarray:
        return np.linalg.solve(self.A, self.b)

    def features(self, ctx: Context) -> np.ndarray:
        return self.spec.matrix(ctx, self.stats, self.memory)

    def distribution(self, ctx: Context) -> tuple[np.ndarray, int]:
        """The probability of showing each candidate, and the greedy candidate."""
        n = min(len(ctx.candidates), self.spec.k)
        if n == 0:
            raise TrainingError("a message has no FAQ candidates", code="AM583")
        x = self.features(ctx)
        a_inv = np.linalg.inv(self.A)
        theta = a_inv @ self.b
        mean = x @ theta
        greedy = _argmax_first(mean)
        if n == 1:
            return np.ones(1), 0
        if self.method == "ucb":
            width = np.sqrt(np.einsum("ij,jk,ik->i", x, a_inv, x))
            ucb = mean + self.alpha * width
            optimistic = _argmax_first(ucb)
            explore = self.explore_ceiling if optimistic != greedy else self.explore_floor
            # non-greedy mass: a softmax of the optimistic scores, so the most promising
            # alternative gets most of it yet every candidate keeps a positive propensity
            weights = np.exp((ucb - ucb.max()) / max(self.alpha * float(width.mean()), 1e-6))
        else:
            cov = a_inv * self.alpha**2
            draws = self._rng.multivariate_normal(theta, cov, size=self.ts_draws, method="cholesky")
            best = np.argmax(x @ draws.T, axis=0)
            p_ts = np.bincount(best, minlength=n).astype(float) / self.ts_draws
            explore = float(np.clip(1.0 - p_ts[greedy], self.explore_floor, self.explore_ceiling))
            weights = p_ts + 1.0 / self.ts_draws
        weights[greedy] = 0.0
        weights = weights / weights.sum()
        # a uniform share keeps every alternative's propensity away from zero (OPE divides by it)
        uniform = np.full(n, 1.0 / (n - 1))
        uniform[greedy] = 0.0
        p = (0.8 * weights + 0.2 * uniform) * explore
        p[greedy] = 1.0 - explore
        return p, greedy

    def choose(self, ctx: Context) -> Choice:
        p, greedy = self.distribution(ctx)
        i = int(self._rng.choice(len(p), p=p))
        return Choice(i, ctx.candidates[i].faq_id, float(p[i]), p, greedy)

    def probabilities(self, ctx: Context) -> np.ndarray:
        """The logging distribution (for OPE of the exploring policy itself)."""
        p, _ = self.distribution(ctx)
        out = np.zeros(len(ctx.candidates))
        out[: len(p)] = p
        return out

    def update(self, ctx: Context, index: int, reward: float) -> None:
        """Learn from the reward of showing candidate ``index`` (features as of now)."""
        x = self.features(ctx)[index]
        self.A += np.outer(x, x)
        self.b += reward * x
        self.stats.record(ctx.candidates[index].faq_id, ctx.tags, reward)
        self.memory.add(ctx.key, ctx.vector, ctx.candidates[index].faq_id, reward, ctx.tags)
        self.updates += 1

    def update_full(self, ctx: Context, rewards: dict[int, float]) -> None:
        """Learn from an agent's correction: the reward of several candidates is known."""
        for i, r in rewards.items():
            self.update(ctx, i, r)

    def greedy(self) -> GreedyPolicy:
        return GreedyPolicy(self.spec, self.theta.copy(), self.stats.copy(), self.memory.copy())

    # ------------------------------------------------------------------ persistence

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": POLICY_FORMAT,
            "kind": "linear-bandit",
            "method": self.method,
            "alpha": self.alpha,
            "ridge": self.ridge,
            "explore_floor": self.explore_floor,
            "explore_ceiling": self.explore_ceiling,
            "ts_draws": self.ts_draws,
            "spec": self.spec.to_dict(),
            "features": self.spec.names,
            "A": self.A.tolist(),
            "b": self.b.tolist(),
            "theta": self.theta.tolist(),
            "stats": self.stats.to_dict(),
            "memory": self.memory.to_dict(),
            "updates": self.updates,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, seed: int = 0) -> LinearBandit:
        if d.get("kind") != "linear-bandit" or int(d.get("format", 0)) > POLICY_FORMAT:
            raise TrainingError(
                "the policy file is not a bandit policy this version can read",
                code="AM584",
                hint="delete it to start from the static ranker, or upgrade aimass",
            )
        bandit = cls(
            FeatureSpec.from_dict(d.get("spec", {})),
            method=str(d.get("method", "ucb")),
            alpha=float(d.get("alpha", 1.0)),
            ridge=float(d.get("ridge", 1.0)),
            explore_floor=float(d.get("explore_floor", 0.05)),
            explore_ceiling=float(d.get("explore_ceiling", 0.3)),
            ts_draws=int(d.get("ts_draws", 64)),
            seed=seed,
        )
        bandit.A = np.asarray(d["A"], dtype=np.float64)
        bandit.b = np.asarray(d["b"], dtype=np.float64)
        if bandit.A.shape != (bandit.spec.dim, bandit.spec.dim):
            raise TrainingError("the policy file's model does not match its features", code="AM584")
        bandit.stats = FaqStats.from_dict(d.get("stats", {}))
        bandit.memory = QueryMemory.from_dict(d.get("memory", {}))
        bandit.updates = int(d.get("updates", 0))
        return bandit

    def save(self, path: str | Path) -> None:
        write_json_atomic(Path(path), self.to_dict())

    @classmethod
    def load(cls, path: str | Path, *, seed: int = 0) -> LinearBandit:
        p = Path(path)
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise TrainingError(
                f"cannot read the bandit policy {p}: {e}", code="AM584", file=str(p)
            ) from None
        return cls.from_dict(d, seed=seed)


def _argmax_first(s: np.ndarray) -> int:
    """Index of the maximum; ties go to the earliest (the static ranking's order)."""
    return int(np.flatnonzero(s >= s.max() - 1e-12)[0])


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON through a temporary file in the same folder, then rename over ``path``."""
    write_text_atomic(path, json.dumps(obj, ensure_ascii=False, indent=1))


def write_text_atomic(path: Path, text: str) -> None:
    """A crash never leaves a half-written file: temp file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
