"""Training a student as served (aimass.compress.served): the experts' offsets on training
messages are out of fold, so they are as unsure there as on a customer's message; a rewrite
is judged like the message it rewrites; a text unrelated to training gets the served expert's
own answer; the checkpoint choice reads the fused distribution."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from aimass.model.logreg import log_softmax

INTENTS = {
    "refund": ["refund", "money back", "退款", "退钱", "reimburse"],
    "delivery": ["delivery", "parcel", "快递", "物流", "shipping"],
    "account": ["password", "login", "账号", "登录", "sign in"],
}
FILLER = ["please", "I need", "help with", "my", "请问", "怎么", "today", "again", "谢谢", "the"]


def _rows(n_per: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, labels = [], []
    for label, words in INTENTS.items():
        for _ in range(n_per):
            parts = [*rng.sample(FILLER, 3), rng.choice(words)]
            # a third of the messages also name another intent's word: the experts can err
            if rng.random() < 0.33:
                other = rng.choice([k for k in INTENTS if k != label])
                parts.append(rng.choice(INTENTS[other]))
            rng.shuffle(parts)
            texts.append(" ".join(parts))
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def fitted() -> tuple[Any, tuple[list[str], list[str]], tuple[list[str], list[str]]]:
    from aimass.model.experts import LexicalExpert

    train, dev = _rows(25, 0), _rows(10, 1)
    expert = LexicalExpert.fit(*train, sorted(INTENTS), *dev)
    return expert, train, dev


def _gold_prob(logp: np.ndarray, labels: list[str], order: list[str]) -> float:
    idx = [order.index(lab) for lab in labels]
    return float(np.exp(logp[np.arange(len(labels)), idx]).mean())


def test_offsets_on_training_messages_are_out_of_fold(fitted: Any) -> None:
    from aimass.compress.served import served_offsets

    expert, train, dev = fitted
    order = ["account", "delivery", "refund"]
    own = log_softmax(expert.logits(train[0]))
    oof = served_offsets({"lexical": expert}, {"lexical": 1.0}, order, train, train[0])
    assert oof.shape == (len(train[0]), 3) and oof.dtype == np.float32
    # In sample the expert is surer than on messages it never saw; out of fold, every
    # training message is one it never saw.
    in_sample = _gold_prob(own, train[1], expert.labels)
    held_out = _gold_prob(log_softmax(expert.logits(dev[0])), dev[1], expert.labels)
    out_of_fold = _gold_prob(oof.astype(np.float64), train[1], order)
    assert out_of_fold < held_out < in_sample, (out_of_fold, held_out, in_sample)
    # Dev messages were never trained on: they get the served expert's own answer, weighted.
    got = served_offsets({"lexical": expert}, {"lexical": 0.5}, order, train, dev[0])
    want = 0.5 * log_softmax(expert.logits(dev[0]))[:, [expert.labels.index(o) for o in order]]
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_a_rewrite_is_judged_like_the_message_it_rewrites(fitted: Any) -> None:
    from aimass.compress.served import served_offsets

    expert, train, _ = fitted
    order = sorted(INTENTS)
    sources = {t + " !!": t for t in train[0][:15]}
    rewrites = list(sources)
    args = ({"lexical": expert}, {"lexical": 1.0}, order, train)
    linked = served_offsets(*args, rewrites, sources=sources)
    unlinked = served_offsets(*args, rewrites)
    of_sources = served_offsets(*args, train[0][:15])
    memo: dict[Any, Any] = {}  # what a second student of the run reuses: the same rows
    first = served_offsets(*args, train[0][:15], sources=sources, memo=memo)
    again = served_offsets(*args, [*rewrites, *train[0][:15]], sources=sources, memo=memo)
    np.testing.assert_array_equal(first, of_sources)
    np.testing.assert_array_equal(again, np.concatenate([linked, of_sources]))
    near_source = np.abs(linked - of_sources).mean()
    assert near_source < np.abs(unlinked - of_sources).mean() / 3, near_source
    # Without the link, a rewrite is an unseen text, answered by the (over-sure) expert.
    assert _gold_prob(unlinked.astype(np.float64), train[1][:15], order) > _gold_prob(
        linked.astype(np.float64), train[1][:15], order
    )


def test_no_weight_no_offsets(fitted: Any) -> None:
    from aimass.compress.served import served_offsets

    expert, train, dev = fitted
    for weights in ({"lexical": 0.0}, {}):
        got = served_offsets({"lexical": expert}, weights, sorted(INTENTS), train, dev[0])
        assert not got.any()


def test_a_label_the_expert_lacks_gets_no_probability(fitted: Any) -> None:
    from aimass.compress.served import served_offsets

    expert, train, dev = fitted
    got = served_offsets({"lexical": expert}, {"lexical": 1.0}, [*INTENTS, "new"], train, dev[0])
    assert (got[:, -1] < got[:, :-1].min(1) - 10).all()


def test_distillation_as_served_chooses_checkpoints_on_the_fusion(tiny_backbones: Any) -> None:
    """Offsets that already name every dev message's intent make the fused student right
    from its first checkpoint, whatever its own head says; offsets of the wrong shape are a
    coded error, not a broadcast."""
    from aimass.compress.distill import DistillConfig, DistillData, ModelTeacher, distill
    from aimass.compress.student import build_student
    from aimass.errors import TrainingError
    from aimass.training.data import IntentData, TaskData
    from aimass.training.trainer import train
    from modelkit import INTENT_ROWS, tiny_config

    texts, labels = [t for t, _ in INTENT_ROWS], [lab for _, lab in INTENT_ROWS]
    data = TaskData(intent=IntentData(texts, labels))
    res = train(data, tiny_config(tiny_backbones("bert"), epochs=2), data, progress=False)
    order = list(res.model.heads["intent"].labels)
    student, _ = build_student(res.model, layers=1)
    ddata = DistillData.of((texts, labels), (texts, labels))
    oracle = np.full((len(texts), len(order)), -20.0, dtype=np.float32)
    oracle[np.arange(len(texts)), [order.index(lab) for lab in labels]] = 0.0
    cfg = DistillConfig(epochs=1, batch_size=4, seed=3)
    teachers = [ModelTeacher(res.model, res.enc)]
    out = distill(student, res.enc, teachers, ddata, cfg, offsets=(oracle, oracle))
    assert out.history[0]["dev"]["accuracy"] == 100.0 and out.dev["accuracy"] == 100.0
    with pytest.raises(TrainingError) as e:
        distill(student, res.enc, teachers, ddata, cfg, offsets=(oracle[:, :2], oracle))
    assert e.value.code == "AM529"
