"""A tiny trained artifact shared by the runtime tests (trained once per session)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aimass.runtime.assistant import Assistant
from aimass.training.data import IntentData, MatchingData, ProfileData, TaskData
from aimass.training.save import save_artifact
from aimass.training.trainer import train
from modelkit import FAQ_BANK, INTENT_ROWS, PROFILE_ROWS, tiny_config

OOS_ROWS = [
    ("what's the weather on Mars", "oos"),
    ("tell me a joke", "oos"),
    ("今天股市怎么样", "oos"),
]


@pytest.fixture(scope="session")
def runtime_artifact(
    tiny_backbones: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
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
    return path


@pytest.fixture(scope="module")
def assistant(runtime_artifact: Path) -> Assistant:
    return Assistant.load(runtime_artifact)
