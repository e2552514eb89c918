"""The runtime: one Assistant turns a message into a typed response, with coded errors for
unusable input, using the thresholds and calibration stored in the artifact."""

from __future__ import annotations

from typing import Any

import pytest

from aimass.errors import InputError
from aimass.runtime.assistant import Assistant
from aimass.schemas import DecisionKind, Response


def test_response_is_typed_and_complete(assistant: Assistant) -> None:
    r = assistant.respond("我想退货怎么办", user_id="u1", session_id="s1")
    assert isinstance(r, Response)
    assert r.language == "zh"
    assert r.intent is not None and r.intent.name == "return_item"
    assert r.user_id == "u1" and r.session_id == "s1"
    assert r.model_version and len(r.faqs) == 3
    assert all(0.0 <= f.confidence <= 1.0 for f in r.faqs)
    assert r.decision.kind in set(DecisionKind)
    assert r.decision.decided_by and r.decision.reason
    assert Response.model_validate_json(r.model_dump_json()) == r  # JSON round trip for the API


def test_faq_match_reports_the_matched_variant(assistant: Assistant) -> None:
    r = assistant.respond("你们支持花呗吗")
    assert r.faqs[0].faq_id == "payment-huabei"
    assert r.faqs[0].matched_question == "你们支持花呗吗"
    assert r.faqs[0].answer == "payment-huabei 答案"  # the answer in the user's language


def test_english_message_gets_english_replies(assistant: Assistant) -> None:
    r = assistant.respond("where is my parcel")
    assert r.language == "en"
    if r.decision.kind is DecisionKind.ANSWER:
        assert r.decision.reply.isascii()


def test_handoff_intent_hands_off(assistant: Assistant) -> None:
    r = assistant.respond("转人工")
    assert r.intent is not None and r.intent.name == "human_agent"
    assert r.decision.kind is DecisionKind.HANDOFF
    assert r.decision.decided_by == "intent.handoff"


def test_batch_equals_single(assistant: Assistant) -> None:
    texts = ["我想退货怎么办", "where is my parcel", "tell me a joke"]
    many = assistant.respond_many(texts)
    for text, r in zip(texts, many, strict=True):
        one = assistant.respond(text)
        assert (
            one.intent == r.intent
            or abs(one.intents[0].confidence - r.intents[0].confidence) < 1e-5
        )
        assert one.decision.kind == r.decision.kind


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "AM600"), ("   \n\t ", "AM600"), ("退" * 2001, "AM601"), (None, "AM602")],
)
def test_unusable_input_raises_coded_error(assistant: Assistant, text: Any, code: str) -> None:
    with pytest.raises(InputError) as err:
        assistant.respond(text)
    assert err.value.code == code
    assert err.value.hint


def test_a_predictor_copied_with_another_model_does_not_reuse_the_old_vectors(
    runtime_artifact: Any,
) -> None:
    """The compression chain measures a student by copying the served predictor and swapping
    its model: the copy must encode with the student, not return the cached vectors of the
    model it was copied from (that once made a good student look 24 points worse)."""
    import copy

    import numpy as np
    import torch

    from aimass.runtime.predictor import TorchPredictor

    texts = ["我想退货怎么办", "where is my parcel"]
    served = TorchPredictor(runtime_artifact)
    before = served.embed(texts)
    other = copy.copy(served)
    other.model = copy.deepcopy(served.model)
    with torch.no_grad():
        for p in other.model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    changed = other.embed(texts)
    assert not np.allclose(before, changed, atol=1e-4)
    assert np.allclose(served.embed(texts), before)  # the original still serves its own
