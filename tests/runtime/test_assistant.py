"""The runtime: one Assistant turns a message into a typed response, with coded errors for
unusable input, using the thresholds and calibration stored in the artifact."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aimass.errors import InputError
from aimass.runtime.assistant import Assistant
from aimass.schemas import DecisionKind, Response
from aimass.training.data import IntentData, MatchingData, ProfileData, TaskData
from aimass.training.save import save_artifact
from aimass.training.trainer import train
from modelkit import FAQ_BANK, INTENT_ROWS, PROFILE_ROWS, tiny_config

OOS_ROWS = [
    ("what's the weather on Mars", "oos"),
    ("tell me a joke", "oos"),
    ("今天股市怎么样", "oos"),
]


@pytest.fixture(scope="module")
def assistant(
    tiny_backbones: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Assistant:
    rows = (
        INTENT_ROWS
        + OOS_ROWS
        + [("转人工", "human_agent"), ("I want to talk to a person", "human_agent")]
    )
    data = TaskData(
        intent=IntentData([t for t, _ in rows], [lab for _, lab in rows]),
        profile=ProfileData([t for t, _ in PROFILE_ROWS], [tags for _, tags in PROFILE_ROWS]),
        matching=MatchingData(
            bank=FAQ_BANK, queries=[(qs[0], fid) for fid, qs in FAQ_BANK.items()]
        ),
    )
    result = train(data, tiny_config(tiny_backbones("bert"), epochs=80), data, progress=False)
    runtime: dict[str, Any] = {
        "intents": {
            "return_item": {
                "responses": {
                    "zh": "请在订单页申请退货。",
                    "en": "Request a return on the order page.",
                }
            },
            "track_order": {
                "responses": {"zh": "物流信息在订单详情。", "en": "Tracking is on the order page."}
            },
            "payment": {
                "responses": {"zh": "支持支付宝和花呗。", "en": "We take Alipay and cards."}
            },
        },
        "faqs": [
            {
                "id": fid,
                "questions": qs,
                "answer": "",
                "answers": {"zh": f"{fid} 答案", "en": f"{fid} answer"},
            }
            for fid, qs in FAQ_BANK.items()
        ],
        "handoff_intents": ["human_agent"],
    }
    path = tmp_path_factory.mktemp("assistant") / "model"
    save_artifact(result, path, config={"train": {}}, runtime=runtime)
    return Assistant.load(path)


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
