"""The kit every head passes: it overfits a few examples, save/load gives identical outputs,
a batch gives the same outputs as one text at a time, and bad input raises the coded error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from aimass.errors import TrainingError
from aimass.model import predict
from aimass.model.io import load_model
from aimass.training.data import IntentData, MatchingData, PairData, ProfileData, TaskData
from aimass.training.evaluate import evaluate
from aimass.training.save import save_artifact
from aimass.training.trainer import train
from modelkit import FAQ_BANK, INTENT_ROWS, PAIR_ROWS, PROFILE_ROWS, tiny_config

HEADS = ["intent", "profile", "matching", "pair", "pair-bi"]
# The task each head serves ("pair-bi" is the bi-encoder for the "pair" task).
TASK = {"pair-bi": "pair"}
PAIR_ENCODER = {"pair": "cross", "pair-bi": "bi"}


def task_data(head: str) -> TaskData:
    if head == "intent":
        return TaskData(
            intent=IntentData([t for t, _ in INTENT_ROWS], [lab for _, lab in INTENT_ROWS])
        )
    if head == "profile":
        return TaskData(
            profile=ProfileData([t for t, _ in PROFILE_ROWS], [tags for _, tags in PROFILE_ROWS])
        )
    if head == "matching":
        queries = [(qs[0], fid) for fid, qs in FAQ_BANK.items()]
        return TaskData(matching=MatchingData(bank=FAQ_BANK, queries=queries))
    return TaskData(
        pair=PairData(
            [a for a, _, _ in PAIR_ROWS], [b for _, b, _ in PAIR_ROWS], [y for *_, y in PAIR_ROWS]
        )
    )


def outputs(model: Any, enc: Any, head: str, texts: list[str], batch_size: int = 64) -> np.ndarray:
    if head == "intent":
        return predict.intent_probabilities(model, enc, texts, batch_size=batch_size)
    if head == "profile":
        return predict.tag_probabilities(model, enc, texts, batch_size=batch_size)
    if head == "matching":
        return predict.embeddings(model, enc, texts, batch_size=batch_size)
    return predict.pair_logits(model, enc, texts, texts[::-1], batch_size=batch_size)


def texts_of(head: str) -> list[str]:
    if head == "intent":
        return [t for t, _ in INTENT_ROWS]
    if head == "profile":
        return [t for t, _ in PROFILE_ROWS]
    if head == "matching":
        return [q for qs in FAQ_BANK.values() for q in qs]
    return [a for a, _, _ in PAIR_ROWS]


@pytest.fixture(scope="module")
def trained(
    tiny_backbones: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """One overfitted model per head, saved as an artifact (trained once for the module)."""
    out: dict[str, Any] = {}
    for head in HEADS:
        data = task_data(head)
        epochs = 120 if head.startswith("pair") else 60
        config = tiny_config(
            tiny_backbones("bert"), epochs=epochs, pair_encoder=PAIR_ENCODER.get(head, "bi")
        )
        result = train(data, config, data, progress=False)
        path = tmp_path_factory.mktemp(f"artifact-{head}") / "model"
        save_artifact(result, path, config={"train": {}})
        out[head] = (result, path, data)
    return out


@pytest.mark.parametrize("head", HEADS)
def test_head_overfits_a_few_examples(trained: dict[str, Any], head: str) -> None:
    result, _, data = trained[head]
    task = TASK.get(head, head)
    metrics = evaluate(result.model, result.enc, data)[task]
    primary = {
        "intent": "accuracy",
        "profile": "micro_f1",
        "matching": "p_at_1",
        "pair": "accuracy",
    }[task]
    assert metrics[primary] == pytest.approx(1.0), metrics


@pytest.mark.parametrize("head", HEADS)
def test_save_load_gives_identical_outputs(trained: dict[str, Any], head: str) -> None:
    result, path, _ = trained[head]
    model, enc, files = load_model(path)
    texts = texts_of(head)
    before = outputs(result.model, result.enc, head, texts)
    after = outputs(model, enc, head, texts)
    np.testing.assert_allclose(after, before, rtol=0, atol=1e-6)
    assert files.manifest["tasks"] == [TASK.get(head, head)]
    if head.startswith("pair"):
        expected = "pair-bi.v1" if head == "pair-bi" else "pair.v1"
        assert model.heads["pair"].registry_name == expected


@pytest.mark.parametrize("head", HEADS)
def test_batch_equals_single(trained: dict[str, Any], head: str) -> None:
    result, _, _ = trained[head]
    texts = texts_of(head)
    batched = outputs(result.model, result.enc, head, texts, batch_size=64)
    if head.startswith("pair"):
        single = np.concatenate(
            [
                predict.pair_logits(result.model, result.enc, [a], [b])
                for a, b in zip(texts, texts[::-1], strict=True)
            ]
        )
    else:
        single = np.concatenate([outputs(result.model, result.enc, head, [t]) for t in texts])
    np.testing.assert_allclose(single, batched, rtol=0, atol=1e-5)


def test_calibrated_temperature_keeps_the_argmax(trained: dict[str, Any]) -> None:
    result, _, _ = trained["intent"]
    head = result.model.heads["intent"]
    assert float(head.temperature) == pytest.approx(result.calibration["intent_temperature"])
    logits = torch.randn(5, len(head.labels))
    assert torch.equal(head.probabilities(logits).argmax(1), logits.argmax(1))


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (TaskData(intent=IntentData(["a", "b"], ["x", "x"])), "AM501"),  # one intent only
        (TaskData(intent=IntentData(["hello", "  "], ["x", "y"])), "AM113"),  # empty text
        (TaskData(profile=ProfileData(["a", "b"], [[], []])), "AM501"),  # no tag anywhere
        (TaskData(pair=PairData(["a"], ["b"], [2])), "AM501"),  # label not 0/1
        (TaskData(), "AM501"),  # nothing to train
    ],
)
def test_bad_training_data_raises_coded_error(
    tiny_backbones: Callable[[str], Path], data: TaskData, code: str
) -> None:
    with pytest.raises(TrainingError) as err:
        train(data, tiny_config(tiny_backbones("bert"), epochs=1), data, progress=False)
    assert err.value.code == code


def test_dev_label_unknown_to_training_is_refused(tiny_backbones: Callable[[str], Path]) -> None:
    data = task_data("intent")
    dev = TaskData(intent=IntentData(["什么时候发货"], ["shipping_time"]))
    with pytest.raises(TrainingError) as err:
        train(data, tiny_config(tiny_backbones("bert"), epochs=1), dev, progress=False)
    assert err.value.code == "AM119"
    assert "shipping_time" in err.value.message
