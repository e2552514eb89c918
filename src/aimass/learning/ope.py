"""Off-policy evaluation: how well would a new policy have done on traffic it never served?

The logs hold, for each message, the candidates, the one shown, the probability with which
it was shown (its propensity) and the customer's reward. Three estimators of a target
policy's mean reward:

* **IPS** — each reward re-weighted by ``pi(shown) / propensity``: unbiased, high variance.
* **SNIPS** — the same, normalised by the sum of the weights: a little biased, much steadier.
* **DR** (doubly robust) — a reward model's prediction for what the target would show, plus
  the IPS-weighted error of that model on what was shown: unbiased when either the
  propensities or the reward model are right, and usually the tightest. The reward model is a
  ridge regression fitted with two-fold cross-fitting, so no row is scored by a model that saw
  its own reward.

Intervals are percentile bootstraps over messages. The promotion gate promotes a candidate
only when the *lower* end of its interval beats the current policy's estimated value on the
same logs — an improvement the data cannot tell from noise is not an improvement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from aimass.errors import TrainingError
from aimass.learning.bandit import Context, FeatureSpec, Policy

ESTIMATORS = ("ips", "snips", "dr")


@dataclass(frozen=True)
class LoggedTurn:
    """One served message: what was shown, how likely that was, and the reward it got."""

    context: Context
    chosen: int
    propensity: float
    reward: float


@dataclass(frozen=True)
class Estimate:
    estimator: str
    value: float
    low: float
    high: float
    n: int
    ess: float  # effective sample size of the importance weights (small = unreliable)
    matched: int  # logged turns where the target would have shown the same candidate

    def to_dict(self) -> dict[str, float | int | str]:
        return asdict(self)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def _check(logs: Sequence[LoggedTurn]) -> None:
    if not logs:
        raise TrainingError(
            "no logged turns to evaluate a policy on",
            code="AM585",
            hint="collect feedback first (the service stores it), or pass a JSONL export",
        )
    for i, t in enumerate(logs):
        if not (0.0 < t.propensity <= 1.0):
            raise TrainingError(
                f"logged turn {i} has propensity {t.propensity}, outside (0, 1]",
                code="AM586",
                hint="propensities must be the probability the shown answer had when shown",
            )


def weights(logs: Sequence[LoggedTurn], policy: Policy) -> np.ndarray:
    """Importance weights ``pi(shown | context) / propensity``."""
    return np.array(
        [policy.probabilities(t.context)[t.chosen] / t.propensity for t in logs], dtype=float
    )


RewardModel = Callable[[Context], np.ndarray]  # predicted reward of every candidate


Features = Callable[[Context], np.ndarray]  # one row per candidate


def features_of(policy: Policy, spec: FeatureSpec | None = None) -> Features:
    """The features a reward model should use: a learned policy's own (its frozen feedback
    statistics and question memory included — they were built before these logs, so they
    are a fixed function of the context), else the plain retrieval features."""
    p_spec = getattr(policy, "spec", None)
    if isinstance(p_spec, FeatureSpec):
        stats, memory = getattr(policy, "stats", None), getattr(policy, "memory", None)
        return lambda ctx: p_spec.matrix(ctx, stats, memory)
    plain = spec or FeatureSpec()
    return lambda ctx: plain.matrix(ctx, None)


def fit_reward_model(
    logs: Sequence[LoggedTurn], features: Features, ridge: float = 1.0
) -> RewardModel:
    """Ridge regression of reward on the shown candidate's features."""
    rows = [features(t.context)[t.chosen] for t in logs]
    d = len(rows[0])
    x = np.asarray(rows)
    r = np.array([t.reward for t in logs], dtype=float)
    theta = np.linalg.solve(x.T @ x + np.eye(d) * ridge, x.T @ r)

    def predict(ctx: Context) -> np.ndarray:
        out = np.zeros(len(ctx.candidates))
        pred = np.clip(features(ctx) @ theta, 0.0, 1.0)
        out[: len(pred)] = pred
        return out

    return predict


def contributions(
    logs: Sequence[LoggedTurn],
    policy: Policy,
    estimator: str,
    spec: FeatureSpec | None = None,
    features: Features | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-turn numerators and denominators: the estimate is ``sum(num) / sum(den)``."""
    if estimator not in ESTIMATORS:
        raise TrainingError(
            f"unknown estimator {estimator!r}", code="AM587", hint=f"one of {', '.join(ESTIMATORS)}"
        )
    _check(logs)
    w = weights(logs, policy)
    r = np.array([t.reward for t in logs], dtype=float)
    if estimator == "ips":
        return w * r, np.ones_like(w)
    if estimator == "snips":
        return w * r, w
    if features is None:
        spec = spec or FeatureSpec(k=max(len(t.context.candidates) for t in logs))
        features = features_of(policy, spec)
    n = len(logs)
    fold = np.arange(n) % 2
    num = np.zeros(n)
    for f in (0, 1):
        train = [logs[i] for i in range(n) if fold[i] != f] or list(logs)
        model = fit_reward_model(train, features)
        for i in np.flatnonzero(fold == f):
            t = logs[int(i)]
            pred = model(t.context)
            pi = policy.probabilities(t.context)
            num[i] = float(pi @ pred) + w[i] * (t.reward - pred[t.chosen])
    return num, np.ones(n)


def evaluate(
    logs: Sequence[LoggedTurn],
    policy: Policy,
    *,
    estimator: str = "dr",
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    spec: FeatureSpec | None = None,
    features: Features | None = None,
) -> Estimate:
    """The estimated mean reward of ``policy`` on ``logs``, with a bootstrap interval."""
    num, den = contributions(logs, policy, estimator, spec, features)
    value = float(num.sum() / den.sum()) if den.sum() > 0 else 0.0
    low, high = _bootstrap(num, den, n_boot, level, seed)
    w = weights(logs, policy)
    ess = float(w.sum() ** 2 / (w**2).sum()) if (w**2).sum() > 0 else 0.0
    matched = int(sum(policy.probabilities(t.context)[t.chosen] > 0 for t in logs))
    return Estimate(estimator, value, low, high, len(logs), ess, matched)


def _bootstrap(
    num: np.ndarray, den: np.ndarray, n_boot: int, level: float, seed: int
) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    n = len(num)
    stats = np.empty(n_boot)
    for start in range(0, n_boot, 100):  # chunks keep memory small at 10^5 turns
        m = min(100, n_boot - start)
        idx = rng.integers(0, n, size=(m, n))
        d = den[idx].sum(axis=1)
        stats[start : start + m] = np.where(d > 0, num[idx].sum(axis=1) / np.where(d > 0, d, 1), 0)
    tail = (1.0 - level) / 2 * 100
    return float(np.percentile(stats, tail)), float(np.percentile(stats, 100 - tail))


@dataclass(frozen=True)
class GateResult:
    promote: bool
    candidate: Estimate
    current: Estimate
    margin: float
    difference: Estimate  # candidate minus current, paired over the same turns
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {
            "promote": self.promote,
            "candidate": self.candidate.to_dict(),
            "current": self.current.to_dict(),
            "difference": self.difference.to_dict(),
            "margin": self.margin,
            "reason": self.reason,
        }


def promotion_gate(
    logs: Sequence[LoggedTurn],
    candidate: Policy,
    current: Policy,
    *,
    estimator: str = "dr",
    margin: float = 0.0,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    min_turns: int = 50,
    spec: FeatureSpec | None = None,
) -> GateResult:
    """Promote ``candidate`` only if its lower bound beats ``current``'s value (+ margin).

    Both policies are judged with one reward model (on the candidate's features), so
    their difference reflects what they choose, not two different models' errors."""
    _check(logs)
    feats = features_of(candidate, spec)
    kw = {"estimator": estimator, "n_boot": n_boot, "level": level, "seed": seed}
    cand = evaluate(logs, candidate, features=feats, **kw)  # type: ignore[arg-type]
    cur = evaluate(logs, current, features=feats, **kw)  # type: ignore[arg-type]
    # the paired difference (same turns, same bootstrap resamples) for the report
    num_c, den_c = contributions(logs, candidate, estimator, spec, feats)
    num_0, den_0 = contributions(logs, current, estimator, spec, feats)
    if estimator == "snips":  # ratio estimators do not subtract per turn; use normalised terms
        num_c, num_0 = num_c / den_c.mean(), num_0 / den_0.mean()
    diff_num = num_c - num_0
    lo, hi = _bootstrap(diff_num, np.ones(len(logs)), n_boot, level, seed)
    diff = Estimate(
        estimator, cand.value - cur.value, lo, hi, len(logs), min(cand.ess, cur.ess), cand.matched
    )
    if len(logs) < min_turns:
        return GateResult(
            False, cand, cur, margin, diff, f"only {len(logs)} logged turns (< {min_turns})"
        )
    if cand.low > cur.value + margin:
        reason = (
            f"lower bound {cand.low:.4f} of the candidate beats the current value "
            f"{cur.value:.4f} + margin {margin:g}"
        )
        return GateResult(True, cand, cur, margin, diff, reason)
    reason = (
        f"lower bound {cand.low:.4f} of the candidate does not beat the current value "
        f"{cur.value:.4f} + margin {margin:g}; keeping the current policy"
    )
    return GateResult(False, cand, cur, margin, diff, reason)
