"""Service tests: a tiny real model trained once per session, and real databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aimass.storage import pgtemp
from modelkit import FAQ_BANK, INTENT_ROWS, PROFILE_ROWS, tiny_config

OOS_ROWS = [
    ("what's the weather on Mars", "oos"),
    ("tell me a joke", "oos"),
    ("今天股市怎么样", "oos"),
]
HANDOFF_ROWS = [("转人工", "human_agent"), ("I want to talk to a person", "human_agent")]


def train_tiny_artifact(backbone: Path, dest: Path, *, epochs: int = 80, seed: int = 7) -> Path:
    from aimass.training.data import IntentData, MatchingData, ProfileData, TaskData
    from aimass.training.save import save_artifact
    from aimass.training.trainer import train

    rows = INTENT_ROWS + OOS_ROWS + HANDOFF_ROWS
    data = TaskData(
        intent=IntentData([t for t, _ in rows], [lab for _, lab in rows]),
        profile=ProfileData([t for t, _ in PROFILE_ROWS], [tags for _, tags in PROFILE_ROWS]),
        matching=MatchingData(
            bank=FAQ_BANK, queries=[(qs[0], fid) for fid, qs in FAQ_BANK.items()]
        ),
    )
    result = train(data, tiny_config(backbone, epochs=epochs, seed=seed), data, progress=False)
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
    save_artifact(result, dest, config={"train": {}}, runtime=runtime)
    return dest


@pytest.fixture(scope="session")
def artifact(
    tiny_backbones: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return train_tiny_artifact(tiny_backbones("bert"), tmp_path_factory.mktemp("svc") / "model")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pgtemp.Cluster]:
    """A throwaway PostgreSQL cluster; fails (never skips) with an install hint if it cannot."""
    try:
        cluster = pgtemp.acquire()
    except pgtemp.PostgresUnavailable as e:
        pytest.fail(str(e), pytrace=False)
    yield cluster
    pgtemp.release()
