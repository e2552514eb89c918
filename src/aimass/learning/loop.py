"""The whole feedback loop in a simulator: learn online, evaluate off-policy, promote, measure.

Three phases, each on fresh simulated customers:

1. **learn** (``turns``): the bandit serves, exploring within its cap, and learns from the
   (noisy, delayed) feedback as it arrives. The static ranker's reward on the same message is
   recorded too (the simulator knows what would have satisfied the customer), which gives
   the two learning curves.
2. **evaluate** (``eval_turns``): the current policy (the static ranker) serves, spending a
   capped exploration budget on what the learned greedy policy would show
   (:class:`~aimass.learning.bandit.ShadowExplorer`) and logging propensities. The candidate
   is evaluated off-policy on these logs — which it was not trained on — and the promotion
   gate compares its lower bound with the current policy's (nearly on-policy) value.
3. **serve** (``eval_turns``): the promoted policy (or the static ranker, when the gate
   refused) serves alone; its measured online value is compared with the estimate of phase 2.

Phases 2 and 3 draw from ``test_pool`` when given, so the learned policy is judged on
questions it never learned from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aimass.learning.bandit import GreedyPolicy, LinearBandit, ShadowExplorer, StaticPolicy
from aimass.learning.ope import GateResult, LoggedTurn, promotion_gate
from aimass.learning.simulator import UserSimulator


@dataclass
class Rate:
    """A success rate with its 95% bootstrap interval."""

    value: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, outcomes: Sequence[float], seed: int = 0, n_boot: int = 1000) -> Rate:
        x = np.asarray(outcomes, dtype=float)
        if len(x) == 0:
            return cls(0.0, 0.0, 0.0, 0)
        lo, hi = _boot_mean(x, seed, n_boot)
        return cls(float(x.mean()), lo, hi, len(x))

    def to_dict(self) -> dict[str, float | int]:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}


def _boot_mean(x: np.ndarray, seed: int, n_boot: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(n_boot, len(x)))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


@dataclass
class LoopResult:
    # per window: turns so far; success of the exploring bandit and of static on the messages
    # of that window; expected success of the greedy snapshot and of static on the test pool
    curve: list[dict[str, float]]
    learn_bandit: Rate  # true success while learning (exploration included)
    learn_static: Rate
    gate: GateResult
    promoted: bool
    serve_policy: Rate  # true success of the served (promoted) policy, phase 3
    serve_static: Rate  # the static ranker on the same phase-3 messages
    serve_difference: Rate  # per-turn difference, paired
    serve_observed: Rate  # the observed (noisy) reward of the served policy, what OPE estimates
    estimate_within_interval: bool  # the online value lies inside the OPE interval
    intervals_overlap: bool  # the OPE interval and the online value's own interval overlap
    ceiling: float  # share of messages whose answer is among the candidates at all
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings,
            "ceiling": self.ceiling,
            "learn": {"bandit": self.learn_bandit.to_dict(), "static": self.learn_static.to_dict()},
            "gate": self.gate.to_dict(),
            "promoted": self.promoted,
            "serve": {
                "policy": self.serve_policy.to_dict(),
                "static": self.serve_static.to_dict(),
                "difference": self.serve_difference.to_dict(),
                "observed": self.serve_observed.to_dict(),
            },
            "ope_estimate_within_interval_of_online_value": self.estimate_within_interval,
            "ope_and_online_intervals_overlap": self.intervals_overlap,
            "curve": self.curve,
        }


def run_loop(
    sim: UserSimulator,
    bandit: LinearBandit,
    *,
    turns: int = 2000,
    eval_turns: int = 1000,
    window: int = 200,
    train_pool: Sequence[int] | None = None,
    test_pool: Sequence[int] | None = None,
    estimator: str = "dr",
    margin: float = 0.0,
    seed: int = 0,
) -> LoopResult:
    static = StaticPolicy()
    # ---------------------------------------------------------------- 1. learn online
    learned_b: list[float] = []
    learned_s: list[float] = []
    shown: dict[int, int] = {}
    curve: list[dict[str, float]] = []
    static_test = sim.expected_success(static, test_pool)
    for t in range(turns):
        turn = sim.next_turn(train_pool)
        if not turn.context.candidates:  # nothing retrieved: both fail, nothing to learn
            learned_b.append(0.0)
            learned_s.append(0.0)
        else:
            choice = bandit.choose(turn.context)
            shown[turn.id] = choice.index
            learned_b.append(sim.answer(turn, choice.index))
            learned_s.append(sim.true_reward(turn, 0))
        for fb in sim.arrived():
            past = sim.turn(fb.turn)
            bandit.update(past.context, shown.pop(fb.turn), fb.reward)
        if (t + 1) % window == 0 or t + 1 == turns:
            lo = max(0, t + 1 - window)
            curve.append(
                {
                    "turn": t + 1,
                    "bandit": float(np.mean(learned_b[lo:])),
                    "static": float(np.mean(learned_s[lo:])),
                    # what the greedy policy learned so far would do on the held-out
                    # questions (exact expectation, no exploration), and the static ranker
                    "greedy_test": sim.expected_success(bandit.greedy(), test_pool),
                    "static_test": static_test,
                }
            )
    for fb in sim.arrived(flush=True):  # late feedback still teaches
        bandit.update(sim.turn(fb.turn).context, shown.pop(fb.turn), fb.reward)
    shown.clear()

    # ---------------------------------------------------------------- 2. evaluate off-policy
    candidate: GreedyPolicy = bandit.greedy()
    shadow = ShadowExplorer(
        static,
        candidate,
        explore_floor=bandit.explore_floor,
        explore_ceiling=bandit.explore_ceiling,
        seed=seed,
    )
    logs: list[LoggedTurn] = []
    pending: dict[int, tuple[int, float]] = {}
    for _ in range(eval_turns):
        turn = sim.next_turn(test_pool)
        if not turn.context.candidates:
            continue
        choice = shadow.choose(turn.context)
        pending[turn.id] = (choice.index, choice.propensity)
        sim.answer(turn, choice.index)
    for fb in sim.arrived(flush=True):
        if fb.turn in pending:
            idx, prop = pending.pop(fb.turn)
            logs.append(LoggedTurn(sim.turn(fb.turn).context, idx, prop, fb.reward))
    gate = promotion_gate(logs, candidate, static, estimator=estimator, margin=margin, seed=seed)

    # ---------------------------------------------------------------- 3. serve and measure
    served = candidate if gate.promote else static
    true_p: list[float] = []
    true_s: list[float] = []
    observed: dict[int, float] = {}
    ids: list[int] = []
    for _ in range(eval_turns):
        turn = sim.next_turn(test_pool)
        if not turn.context.candidates:
            true_p.append(0.0)
            true_s.append(0.0)
            continue
        idx = int(np.argmax(served.probabilities(turn.context)))
        true_p.append(sim.answer(turn, idx))
        true_s.append(sim.true_reward(turn, 0))
        ids.append(turn.id)
    for fb in sim.arrived(flush=True):
        observed[fb.turn] = fb.reward
    obs = Rate.of([observed[i] for i in ids if i in observed], seed=seed)
    est = gate.candidate if gate.promote else gate.current
    return LoopResult(
        curve=curve,
        learn_bandit=Rate.of(learned_b, seed=seed),
        learn_static=Rate.of(learned_s, seed=seed),
        gate=gate,
        promoted=gate.promote,
        serve_policy=Rate.of(true_p, seed=seed),
        serve_static=Rate.of(true_s, seed=seed),
        serve_difference=Rate.of(np.subtract(true_p, true_s).tolist(), seed=seed),
        serve_observed=obs,
        estimate_within_interval=est.contains(obs.value),
        intervals_overlap=est.low <= obs.high and obs.low <= est.high,
        ceiling=sim.ceiling(test_pool),
        settings={
            "turns": turns,
            "eval_turns": eval_turns,
            "estimator": estimator,
            "margin": margin,
            "method": bandit.method,
            "alpha": bandit.alpha,
            "explore_floor": bandit.explore_floor,
            "explore_ceiling": bandit.explore_ceiling,
            "noise": sim.noise,
            "delay": sim.delay,
            "feedback_rate": sim.feedback_rate,
            "types": [
                {"tag": t.tag, "share": t.share, "remapped": len(t.prefers)} for t in sim.types
            ],
            "seed": seed,
        },
    )
