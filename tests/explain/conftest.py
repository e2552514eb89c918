"""A tiny model whose intents are each decided by one known word (the rest is shared
filler), trained once per session: an explanation must find that word."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from aimass.training.data import IntentData, TaskData
from aimass.training.save import save_artifact
from aimass.training.trainer import train
from modelkit import tiny_config

KEYWORDS = {"refund": "refund", "password": "password", "delivery": "delivery"}
ZH_KEYWORDS = {"refund": "退款", "password": "密码", "delivery": "快递"}
FILLER = ["please", "hello", "my", "the", "today", "now", "thanks", "help", "with", "i", "need"]
ZH_FILLER = ["你好", "请问", "我的", "怎么", "今天", "谢谢", "帮忙"]


def make_rows(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = []
    for intent, word in KEYWORDS.items():
        for _ in range(n):
            words = rng.sample(FILLER, 3)
            words.insert(rng.randrange(4), word)
            rows.append((" ".join(words), intent))
            zh = rng.sample(ZH_FILLER, 2)
            zh.insert(rng.randrange(3), ZH_KEYWORDS[intent])
            rows.append(("".join(zh), intent))
    return rows


def vocab_texts() -> list[str]:
    return [
        " ".join(FILLER + list(KEYWORDS.values())),
        "".join(ZH_FILLER + list(ZH_KEYWORDS.values())),
    ]


@pytest.fixture(scope="session")
def keyword_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from aimass.encoders.tiny import build_tiny_backbone

    root = tmp_path_factory.mktemp("explain")
    backbone = build_tiny_backbone("bert", root / "backbone", vocab_texts=vocab_texts())
    tr, dv = make_rows(12, seed=1), make_rows(4, seed=2)
    data = TaskData(intent=IntentData([t for t, _ in tr], [lab for _, lab in tr]))
    dev = TaskData(intent=IntentData([t for t, _ in dv], [lab for _, lab in dv]))
    result = train(data, tiny_config(backbone, epochs=12), dev, progress=False)
    path = root / "model"
    save_artifact(result, path, config={"train": {}}, runtime={})
    return path
