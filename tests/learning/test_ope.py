"""Off-policy estimates agree with the truth on logs with known value, and the promotion gate
keeps a policy that is not clearly better out."""

from __future__ import annotations

import numpy as np
import pytest
from learning_synth import EpsilonStatic, MostLexical, logged, true_value

from aimass.errors import TrainingError
from aimass.learning.bandit import Context, StaticPolicy
from aimass.learning.ope import LoggedTurn, evaluate, promotion_gate


class LeastFused:
    """A bad policy: always the last candidate."""

    def probabilities(self, ctx: Context) -> np.ndarray:
        p = np.zeros(len(ctx.candidates))
        p[-1] = 1.0
        return p


@pytest.mark.parametrize("estimator", ["ips", "snips", "dr"])
def test_estimates_cover_the_true_value_over_repeated_seeds(estimator: str) -> None:
    target = MostLexical()
    truth = true_value(target)
    assert 0.85 < truth < 0.95
    estimates, covered = [], 0
    for seed in range(8):
        est = evaluate(logged(1500, seed), target, estimator=estimator, n_boot=300, seed=seed)
        estimates.append(est.value)
        covered += est.contains(truth)
    assert covered >= 6  # a 95% interval may miss now and then, not usually
    # unbiased (IPS, DR) or nearly (SNIPS): the mean over seeds sits on the truth, within
    # three standard errors of that mean
    se = np.std(estimates, ddof=1) / np.sqrt(len(estimates))
    assert abs(np.mean(estimates) - truth) < max(3 * se, 0.01)
    assert abs(np.mean(estimates) - truth) < 0.05


def test_the_logging_policy_is_estimated_at_its_on_policy_value() -> None:
    logs = logged(800, seed=3)
    est = evaluate(logs, EpsilonStatic(), estimator="ips", n_boot=300)
    assert est.value == pytest.approx(np.mean([t.reward for t in logs]))


def test_gate_refuses_a_worse_policy_and_promotes_a_better_one() -> None:
    logs = logged(1000, seed=5)
    worse = promotion_gate(logs, LeastFused(), StaticPolicy(), n_boot=300)
    assert not worse.promote
    assert worse.difference.value < 0
    assert "keeping the current policy" in worse.reason
    better = promotion_gate(logs, MostLexical(), StaticPolicy(), n_boot=300)
    assert better.promote
    assert better.candidate.low > better.current.value
    # a margin bigger than the improvement keeps the current policy too
    strict = promotion_gate(logs, MostLexical(), StaticPolicy(), n_boot=300, margin=0.9)
    assert not strict.promote


def test_gate_refuses_when_there_is_too_little_evidence() -> None:
    logs = logged(30, seed=6)
    res = promotion_gate(logs, MostLexical(), StaticPolicy(), n_boot=200, min_turns=50)
    assert not res.promote
    assert "only 30 logged turns" in res.reason


def test_bad_logs_fail_with_codes() -> None:
    with pytest.raises(TrainingError) as e:
        evaluate([], StaticPolicy())
    assert e.value.code == "AM585"
    t = logged(5, seed=0)[0]
    with pytest.raises(TrainingError) as e:
        evaluate([LoggedTurn(t.context, t.chosen, 0.0, t.reward)], StaticPolicy())
    assert e.value.code == "AM586"
    with pytest.raises(TrainingError) as e:
        evaluate(logged(5, seed=0), StaticPolicy(), estimator="magic")
    assert e.value.code == "AM587"
