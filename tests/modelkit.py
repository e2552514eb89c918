"""Tiny data and configs for model tests: they train in seconds on a tiny random backbone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aimass.config.training import TrainConfig

# Texts used by the model tests; the tiny backbones' vocabularies are built from them so they
# tokenise into real pieces.
INTENT_ROWS = [
    ("我想退货怎么办", "return_item"),
    ("how do I return an item", "return_item"),
    ("这个东西我不想要了能退吗", "return_item"),
    ("I want to send this back", "return_item"),
    ("我的快递到哪了", "track_order"),
    ("where is my parcel", "track_order"),
    ("物流怎么一直不更新", "track_order"),
    ("track my order please", "track_order"),
    ("你们支持花呗吗", "payment"),
    ("can I pay with a credit card", "payment"),
    ("可以用微信支付吗", "payment"),
    ("do you take paypal", "payment"),
]
PROFILE_ROWS = [
    ("我是你们的钻石会员", ["vip"]),
    ("I am a platinum member", ["vip"]),
    ("太贵了有没有优惠", ["price_sensitive"]),
    ("too expensive, any discount", ["price_sensitive"]),
    ("我是VIP但是太贵了", ["vip", "price_sensitive"]),
    ("hello", []),
]
FAQ_BANK = {
    "return-policy": ["退货政策是什么", "what is your return policy", "多少天内可以退货"],
    "payment-huabei": ["你们支持花呗吗", "can I pay with huabei", "可以用花呗分期吗"],
    "shipping-time": ["多久能到货", "how long does shipping take", "what is the delivery time"],
}
PAIR_ROWS = [
    ("花呗怎么还款", "花呗如何还钱", 1),
    ("借呗额度怎么提升", "怎么提高借呗额度", 1),
    ("花呗怎么还款", "借呗额度怎么提升", 0),
    ("how to reset password", "how do I change my password", 1),
    ("how to reset password", "where is my parcel", 0),
    ("where is my parcel", "track my order please", 1),
    ("你们支持花呗吗", "物流怎么一直不更新", 0),
    ("可以用微信支付吗", "do you take paypal", 0),
]


def all_texts() -> list[str]:
    texts = [t for t, _ in INTENT_ROWS] + [t for t, _ in PROFILE_ROWS]
    texts += [q for qs in FAQ_BANK.values() for q in qs]
    texts += [a for a, _, _ in PAIR_ROWS] + [b for _, b, _ in PAIR_ROWS]
    return texts


def tiny_config(backbone: Path, **over: object) -> TrainConfig:
    """A config that overfits a handful of examples in a few seconds on the tiny backbone."""
    base: dict[str, object] = dict(
        backbone=str(backbone),
        epochs=60,
        batch_size=4,
        lr=3e-3,
        head_lr=1e-2,
        layer_decay=1.0,
        warmup_ratio=0.0,
        label_smoothing=0.0,
        dropout=0.0,
        patience=1000,
        trim_vocab=False,
        precision="fp32",
        threads=1,
        seed=7,
    )
    base.update(over)
    return TrainConfig.model_validate(base)


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
