"""The simulator and the whole loop on the demo bot's FAQs (lexical retrieval, no model)."""

from __future__ import annotations

import pytest

from aimass.errors import TrainingError
from aimass.learning.bandit import FeatureSpec, LinearBandit
from aimass.learning.loop import run_loop
from aimass.learning.simulator import (
    UserSimulator,
    UserType,
    demo_bot_queries,
    lexical_candidates,
)


@pytest.fixture(scope="module")
def demo() -> tuple[list, list]:
    queries, faqs = demo_bot_queries()
    return queries, lexical_candidates(faqs, [q.text for q in queries], k=5)


def test_demo_bot_queries_never_meet_themselves_in_the_bank() -> None:
    queries, faqs = demo_bot_queries()
    bank = {q for f in faqs for q in f.questions}
    assert len(queries) > 100 and len(faqs) > 50
    assert not bank & {q.text for q in queries}


def test_feedback_arrives_late_and_noisy(demo: tuple[list, list]) -> None:
    queries, cands = demo
    sim = UserSimulator(queries, cands, noise=0.3, delay=7, seed=0)
    true, seen, arrivals = {}, {}, {}
    for _ in range(400):
        turn = sim.next_turn()
        if turn.context.candidates:
            true[turn.id] = sim.answer(turn, 0)
        for fb in sim.arrived():
            seen[fb.turn] = fb.reward
            arrivals[fb.turn] = sim.clock
    assert all(arrivals[t] - t == 8 for t in arrivals)  # 7 further turns, then delivered
    flipped = sum(seen[t] != true[t] for t in seen) / len(seen)
    assert 0.2 < flipped < 0.4
    assert {f.turn for f in sim.arrived(flush=True)} == set(true) - set(seen)


def test_user_types_change_what_satisfies(demo: tuple[list, list]) -> None:
    queries, cands = demo
    gold = queries[0].gold
    sim = UserSimulator(queries, cands, types=[UserType("vip", 1.0, {gold: "vip-returns"})], seed=0)
    turn = sim.next_turn(pool=[0])
    assert turn.context.tags == ("vip",)
    assert turn.satisfies == "vip-returns"


def test_bad_settings_are_refused(demo: tuple[list, list]) -> None:
    queries, cands = demo
    with pytest.raises(TrainingError) as e:
        UserSimulator(queries, cands, noise=0.6)
    assert e.value.code == "AM591"
    with pytest.raises(TrainingError) as e:
        UserSimulator([], [])
    assert e.value.code == "AM590"


def test_loop_on_the_demo_bot_learns_promotes_and_estimates_honestly(
    demo: tuple[list, list],
) -> None:
    """Delayed, noisy feedback; the promoted policy beats the static top-1 online, and the
    estimate made before promotion matches what it then does."""
    queries, cands = demo
    sim = UserSimulator(queries, cands, noise=0.1, delay=10, seed=0)
    bandit = LinearBandit(FeatureSpec(k=5), alpha=0.5, explore_floor=0.1, seed=0)
    res = run_loop(sim, bandit, turns=2000, eval_turns=800, window=250, seed=0)
    assert res.promoted
    assert res.serve_difference.low > 0.05  # beats static top-1 with a margin, CI above 0
    assert res.serve_policy.value <= res.ceiling + 1e-9
    assert res.intervals_overlap
    assert abs(res.gate.candidate.value - res.serve_observed.value) < 0.06
    assert len(res.curve) == 8 and res.curve[-1]["bandit"] > res.curve[-1]["static"]
    # the greedy policy's exact expected success grows from static's level as it learns
    assert res.curve[0]["greedy_test"] < res.curve[-1]["greedy_test"]
    assert res.curve[-1]["greedy_test"] > res.curve[-1]["static_test"] + 0.1
    assert res.to_dict()["serve"]["policy"]["n"] == 800
