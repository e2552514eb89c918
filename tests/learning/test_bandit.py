"""The bandit learns what the static ranker cannot, explores only within its cap, and logs
the propensity of everything it shows."""

from __future__ import annotations

import numpy as np
import pytest
from learning_synth import contexts

from aimass.errors import TrainingError
from aimass.learning.bandit import (
    Candidate,
    Context,
    FeatureSpec,
    LinearBandit,
    ShadowExplorer,
    StaticPolicy,
)


def _run(bandit: LinearBandit, n: int, seed: int) -> tuple[float, float, float]:
    """Online: bandit reward, static reward, and the greedy policy's expected reward after."""
    rng = np.random.default_rng(seed)
    got, static = [], []
    for ctx, p in contexts(n, seed):
        ch = bandit.choose(ctx)
        r = float(rng.random() < p[ch.index])
        bandit.update(ctx, ch.index, r)
        got.append(r)
        static.append(p[0])
    greedy = bandit.greedy()
    after = np.mean([greedy.probabilities(c) @ p for c, p in contexts(2000, seed + 1)])
    return float(np.mean(got)), float(np.mean(static)), float(after)


@pytest.mark.parametrize("method", ["ucb", "ts"])
def test_bandit_learns_a_best_arm_that_is_not_the_static_top1(method: str) -> None:
    bandit = LinearBandit(FeatureSpec(k=5), method=method, alpha=0.5, seed=0)
    online, static, after = _run(bandit, 1500, seed=0)
    # the right answer is the most lexical candidate; static top-1 is right ~25% of the time
    assert static < 0.35
    assert online > static + 0.3
    assert after > 0.8  # the learned greedy policy is near the 0.9 ceiling


@pytest.mark.parametrize("method", ["ucb", "ts"])
def test_exploration_stays_within_its_cap_and_propensities_are_logged(method: str) -> None:
    floor, ceiling = 0.05, 0.2
    bandit = LinearBandit(
        FeatureSpec(k=5), method=method, explore_floor=floor, explore_ceiling=ceiling, seed=1
    )
    rng = np.random.default_rng(1)
    shown_non_greedy = 0
    for i, (ctx, p) in enumerate(contexts(600, seed=1)):
        ch = bandit.choose(ctx)
        probs = ch.probabilities
        assert probs.sum() == pytest.approx(1.0)
        non_greedy = 1.0 - probs[ch.greedy]
        assert floor - 1e-9 <= non_greedy <= ceiling + 1e-9
        assert 0.0 < ch.propensity <= 1.0
        assert ch.propensity == pytest.approx(probs[ch.index])
        assert (probs > 0).all()  # every candidate can be shown, so OPE can judge any policy
        shown_non_greedy += ch.index != ch.greedy
        if i < 300:  # learn for a while, then keep checking the cap on a trained model
            bandit.update(ctx, ch.index, float(rng.random() < p[ch.index]))
    assert 0.02 * 600 <= shown_non_greedy <= 0.3 * 600


def test_invalid_exploration_bounds_are_refused_with_a_code() -> None:
    with pytest.raises(TrainingError) as e:
        LinearBandit(explore_floor=0.4, explore_ceiling=0.2)
    assert e.value.code == "AM582"
    with pytest.raises(TrainingError) as e:
        LinearBandit(method="greedy")
    assert e.value.code == "AM581"


def test_profile_tags_and_repeated_questions_are_remembered() -> None:
    """Same question, two kinds of customer, two different right answers."""
    cands = (Candidate("general", lexical=5, fused=0.9), Candidate("vip", lexical=4, fused=0.8))
    bandit = LinearBandit(FeatureSpec(k=2, tags=("vip",)), explore_floor=0.2, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(400):
        vip = rng.random() < 0.5
        ctx = Context.of(cands, ("vip",) if vip else (), text="Can I return this?")
        ch = bandit.choose(ctx)
        bandit.update(ctx, ch.index, float(ch.faq_id == ("vip" if vip else "general")))
    greedy = bandit.greedy()
    vip_ctx = Context.of(cands, ("vip",), text="can i return this")  # normalised: same question
    plain_ctx = Context.of(cands, (), text="Can I return this?")
    assert greedy.rerank(vip_ctx)[0] == 1
    assert greedy.rerank(plain_ctx)[0] == 0


def test_policy_file_round_trips_and_is_written_atomically(tmp_path) -> None:
    bandit = LinearBandit(FeatureSpec(k=5), seed=0)
    _run(bandit, 300, seed=2)
    path = tmp_path / "bandit-policy.json"
    bandit.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["bandit-policy.json"]  # no temp left
    loaded = LinearBandit.load(path)
    a, b = bandit.greedy(), loaded.greedy()
    for ctx, _ in contexts(200, seed=3):
        assert a.rerank(ctx) == b.rerank(ctx)
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(TrainingError) as e:
        LinearBandit.load(tmp_path / "bad.json")
    assert e.value.code == "AM584"


def test_shadow_exploration_serves_the_current_policy_within_the_cap() -> None:
    bandit = LinearBandit(FeatureSpec(k=5), seed=0)
    _run(bandit, 500, seed=4)
    shadow = ShadowExplorer(
        StaticPolicy(), bandit.greedy(), explore_floor=0.02, explore_ceiling=0.25, seed=0
    )
    disagree = 0
    for ctx, _ in contexts(300, seed=5):
        ch = shadow.choose(ctx)
        assert ch.probabilities[0] >= 0.75 - 1e-9  # the current policy's answer, mostly
        assert 0.0 < ch.propensity <= 1.0
        assert ch.propensity == pytest.approx(ch.probabilities[ch.index])
        cand = int(bandit.greedy().probabilities(ctx).argmax())
        if cand != 0:
            disagree += 1
            assert ch.probabilities[cand] == pytest.approx(0.25 * 0.8 + 0.25 * 0.2 / 4)
    assert disagree > 100
