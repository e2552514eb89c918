"""The learned FAQ ranking as the runtime serves it: a promoted bandit policy changes which FAQ
a confident FAQ answer shows, says so in the decision, and records how likely each choice
was; without a policy the retrieval's top-1 is shown with propensity 1."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from aimass.learning.bandit import Context, FeatureSpec, LinearBandit
from aimass.learning.cycle import POLICY_FILE
from aimass.learning.feedback import candidates_of
from aimass.runtime.assistant import Assistant
from aimass.schemas import Response

FAQ_TEXT = "你们支持花呗吗"  # an exact FAQ variant: a confident FAQ answer


@pytest.fixture
def model(runtime_artifact: Path, tmp_path: Path) -> Path:
    """A private copy: these tests write a policy file beside the artifact."""
    return Path(shutil.copytree(runtime_artifact, tmp_path / "model"))


def _context(r: Response) -> Context:
    return Context.of(
        candidates_of(r.model_dump(mode="json")), [t.name for t in r.tags], text=r.text
    )


def _promote_runner_up(model: Path, r: Response, **bounds: float) -> LinearBandit:
    """A policy that learned from feedback that the retrieval's second FAQ satisfies customers
    asking this and its top-1 does not (what `aimass learn` writes when that wins)."""
    ctx = _context(r)
    bandit = LinearBandit(FeatureSpec(k=5), **bounds)
    for _ in range(30):
        bandit.update_full(ctx, {i: float(i == 1) for i in range(len(ctx.candidates))})
    bandit.save(model / POLICY_FILE)
    return bandit


def test_without_a_policy_the_top_faq_is_shown_with_propensity_one(model: Path) -> None:
    r = Assistant.load(model).respond(FAQ_TEXT)
    assert r.decision.decided_by == "threshold.faq" and len(r.faqs) >= 2
    assert r.faq_choice is not None
    assert r.faq_choice.policy == "static"
    assert r.faq_choice.shown == r.faqs[0].faq_id == r.decision.source.removeprefix("faq:")
    assert r.faq_choice.propensity == 1.0 and not r.faq_choice.explored


def test_a_promoted_policy_changes_the_answer_and_the_decision_says_why(model: Path) -> None:
    before = Assistant.load(model).respond(FAQ_TEXT)
    runner_up = before.faqs[1]
    _promote_runner_up(model, before)

    r = Assistant.load(model).respond(FAQ_TEXT)  # explore off: always the policy's best
    assert r.faq_choice is not None
    assert r.faq_choice.shown == runner_up.faq_id and r.faq_choice.rank == 1
    assert r.faq_choice.propensity == 1.0 and not r.faq_choice.explored
    assert r.faq_choice.policy.startswith("bandit@")
    assert r.decision.reply == runner_up.answer
    assert r.decision.source == f"faq:{runner_up.faq_id}"
    assert r.decision.decided_by == "bandit.rerank"
    assert runner_up.faq_id in r.decision.reason and before.faqs[0].faq_id in r.decision.reason
    assert [f.faq_id for f in r.faqs] == [f.faq_id for f in before.faqs]  # retrieval untouched


def test_replies_not_made_from_an_faq_carry_no_choice(model: Path) -> None:
    before = Assistant.load(model).respond(FAQ_TEXT)
    _promote_runner_up(model, before)
    a = Assistant.load(model)
    for text in ("我想退货怎么办", "转人工", "what's the weather on Mars"):
        r = a.respond(text)
        if r.decision.decided_by != "threshold.faq":
            assert r.faq_choice is None, (text, r.decision)
            assert not r.decision.decided_by.startswith("bandit")


def test_exploring_draws_within_the_caps_and_logs_each_choices_probability(model: Path) -> None:
    before = Assistant.load(model).respond(FAQ_TEXT)
    bandit = _promote_runner_up(model, before, explore_floor=0.1, explore_ceiling=0.3)
    expected, greedy = bandit.distribution(_context(before))
    assert greedy == 1

    a = Assistant.load(model, explore=True)
    tags = [t.name for t in before.tags]
    choices = [a.ranker.choose(before.faqs, tags, before.text) for _ in range(400)]
    assert all(c.greedy == before.faqs[1].faq_id for c in choices)
    assert all(c.propensity == pytest.approx(expected[c.rank]) for c in choices)
    explored = np.mean([c.explored for c in choices])
    # the non-greedy share is 1 - p(greedy), at least the floor and at most the ceiling
    assert 0.1 - 1e-9 <= 1 - expected[1] <= 0.3 + 1e-9
    assert abs(explored - (1 - expected[1])) < 0.07
    assert {c.explored for c in choices} == {True, False}
    r = a.respond(FAQ_TEXT)
    assert r.faq_choice is not None and r.faq_choice.propensity == pytest.approx(
        expected[r.faq_choice.rank]
    )
    assert r.decision.decided_by in ("bandit.rerank", "bandit.explore", "threshold.faq")


def test_a_new_policy_is_picked_up_and_a_broken_one_keeps_the_last_good(model: Path) -> None:
    a = Assistant.load(model)
    before = a.respond(FAQ_TEXT)
    assert before.faq_choice is not None and before.faq_choice.policy == "static"

    _promote_runner_up(model, before)  # `aimass learn` promotes while the assistant runs
    promoted = a.respond(FAQ_TEXT)
    assert promoted.faq_choice is not None and promoted.faq_choice.rank == 1

    (model / POLICY_FILE).write_text("{ not json", encoding="utf-8")
    still = a.respond(FAQ_TEXT)
    assert still.faq_choice is not None and still.faq_choice.rank == 1
    assert still.faq_choice.policy == promoted.faq_choice.policy

    (model / POLICY_FILE).unlink()  # the policy withdrawn: back to the retrieval's order
    gone = a.respond(FAQ_TEXT)
    assert gone.faq_choice is not None and gone.faq_choice.policy == "static"
    assert gone.faq_choice.shown == before.faqs[0].faq_id
