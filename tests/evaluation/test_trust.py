"""Trust: the combined out-of-scope score is fitted at training, stored in the artifact and
applied identically by the runtime and by `aimass eval`; artifacts without it keep the plain
rule; the report carries calibration before/after, OOS AUROC / FPR@95, risk–coverage and
deletion faithfulness."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from aimass.config.project import Thresholds
from aimass.evaluation.trust import (
    calibration_before_after,
    fpr_at_recall,
    oos_auroc,
    risk_coverage,
    uncalibrated,
)
from aimass.runtime.assistant import Assistant
from aimass.runtime.predictor import load_predictor
from aimass.runtime.scope import OOS, ScopeRule, classify, decide, decide_texts, oos_threshold
from aimass.training.data import IntentData, TaskData
from aimass.training.save import save_artifact
from aimass.training.trainer import train
from modelkit import INTENT_ROWS, tiny_config

OOS_TRAIN = [("what's the weather on Mars", OOS), ("tell me a joke", OOS), ("今天股市怎么样", OOS)]
OFF_TOPIC = ["The app crashes when I open it.", "What are your opening hours?", "客服电话是多少？"]
IN_SCOPE = ["我想退货怎么办", "where is my parcel", "可以用微信支付吗", "do you take paypal"]


def _train(
    backbone: Path,
    rows: list[tuple[str, str]],
    out: Path,
    dev_rows: list[tuple[str, str]] | None = None,
) -> Path:
    dev_rows = dev_rows or rows
    data = TaskData(intent=IntentData([t for t, _ in rows], [lab for _, lab in rows]))
    dev = TaskData(intent=IntentData([t for t, _ in dev_rows], [lab for _, lab in dev_rows]))
    result = train(data, tiny_config(backbone, epochs=40), dev, progress=False)
    save_artifact(result, out, config={"train": {}}, runtime={})
    return out


@pytest.fixture(scope="module")
def closed_artifact(
    tiny_backbones: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return _train(tiny_backbones("bert"), INTENT_ROWS, tmp_path_factory.mktemp("closed") / "m")


@pytest.fixture(scope="module")
def oos_artifact(
    tiny_backbones: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    dev = INTENT_ROWS + OOS_TRAIN + [(t, OOS) for t in OFF_TOPIC]
    return _train(
        tiny_backbones("bert"), INTENT_ROWS + OOS_TRAIN, tmp_path_factory.mktemp("oos") / "m", dev
    )


def test_artifact_stores_the_combined_rule_without_oos_examples(closed_artifact: Path) -> None:
    cal = json.loads((closed_artifact / "calibration.json").read_text(encoding="utf-8"))
    scope = cal["scope"]
    assert scope["from_dev"] is False and scope["target"].startswith("in-scope recall")
    assert scope["dev_in_scope_recall"] == 1.0  # the target keeps dev in-scope messages
    rule = ScopeRule.from_calibration(cal)
    assert rule is not None and rule.prototypes.shape[0] == 3  # one per intent
    assert np.allclose(np.linalg.norm(rule.prototypes, axis=1), 1.0, atol=1e-2)
    assert len(cal["examples"]["texts"]) <= 300  # the explanation bank is bounded


def test_runtime_and_eval_apply_the_same_rule(closed_artifact: Path) -> None:
    texts = IN_SCOPE + OFF_TOPIC
    assistant = Assistant.load(closed_artifact)
    served = [r.out_of_scope for r in assistant.respond_many(texts)]
    _, vectors, decided = decide_texts(load_predictor(closed_artifact), texts, Thresholds())
    assert vectors is not None  # the embedding signal is part of the served rule
    assert served == [d[2] for d in decided]
    assert not any(served[: len(IN_SCOPE)])  # training-like messages stay in scope


def test_artifact_without_the_combined_rule_keeps_the_plain_rule(
    closed_artifact: Path, tmp_path: Path
) -> None:
    old = tmp_path / "old"
    shutil.copytree(closed_artifact, old)
    cal = json.loads((old / "calibration.json").read_text(encoding="utf-8"))
    for key in ("scope", "examples"):
        cal.pop(key)
    (old / "calibration.json").write_text(json.dumps(cal), encoding="utf-8")
    assistant = Assistant.load(old)
    texts = IN_SCOPE + OFF_TOPIC
    probs = assistant.predictor.intent_probabilities(texts)
    thr = oos_threshold(cal, assistant.thresholds)
    plain = [classify(p, assistant.predictor.intent_labels, thr)[2] for p in probs]
    assert [r.out_of_scope for r in assistant.respond_many(texts)] == plain
    e = assistant.explain("我想退货怎么办")  # explanations degrade, they do not fail
    assert e.nearest == [] and e.scope_score is None and e.attributions


def test_closed_set_floor_zero_turns_the_rule_off(closed_artifact: Path) -> None:
    pred = load_predictor(closed_artifact)
    _, _, decided = decide_texts(pred, OFF_TOPIC, Thresholds(oos=0.0))
    assert not any(d[2] for d in decided)


def test_with_oos_examples_the_rule_is_never_worse_on_dev(oos_artifact: Path) -> None:
    pred = load_predictor(oos_artifact)
    cal = pred.files.calibration
    assert cal["scope"]["from_dev"] is True and cal["scope"]["target"].startswith("dev accuracy")
    cost = cal["oos_cost"]  # an off-topic message answered counts this many refusals
    rows = INTENT_ROWS + OOS_TRAIN + [(t, OOS) for t in OFF_TOPIC]
    texts, gold = [t for t, _ in rows], np.array([lab for _, lab in rows])
    probs, vectors, combined = decide_texts(pred, texts, Thresholds())
    plain_cal = {k: v for k, v in cal.items() if k != "scope"}
    plain = decide(probs, vectors, pred.intent_labels, plain_cal, Thresholds())
    weight = np.where(gold == OOS, cost, 1.0)
    acc = lambda ds: float(np.sum(weight * (np.array([d[0] for d in ds]) == gold)))  # noqa: E731
    assert acc(combined) >= acc(plain)


def test_eval_report_has_the_trust_sections(oos_artifact: Path, tmp_path: Path) -> None:
    from aimass.evaluation.evaluate import evaluate_artifact

    data = tmp_path / "test.jsonl"
    rows = [(t, lab) for t, lab in INTENT_ROWS] + [(t, OOS) for t in [*OFF_TOPIC, "tell me a joke"]]
    data.write_text(
        "".join(
            json.dumps({"text": t, "label": lab}, ensure_ascii=False) + "\n" for t, lab in rows
        ),
        encoding="utf-8",
    )
    metrics = evaluate_artifact(oos_artifact, data, tmp_path / "report")
    trust = metrics["trust"]
    cal = trust["calibration"]["intent"]
    assert cal["before"]["ece"] is not None and cal["after"]["ece"] is not None
    assert 0.0 <= trust["oos"]["auroc"] <= 1.0 and trust["oos"]["fpr_at_95_recall"] is not None
    assert trust["risk_coverage"]["aurc"] is not None
    assert trust["faithfulness"]["n"] > 0 and trust["faithfulness"]["latency_ms_p95"] > 0
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    for section in ("before and after temperature", "Out-of-scope detection", "Risk–coverage",
                    "Faithfulness"):  # fmt: skip
        assert section in html


# ------------------------------------------------------------------ the metrics themselves


def test_uncalibrated_inverts_temperature_exactly() -> None:
    z = np.random.default_rng(0).normal(size=(20, 5)) * 3

    def soft(x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    assert np.allclose(uncalibrated(soft(z / 0.4), 0.4), soft(z), atol=1e-9)
    report = calibration_before_after(soft(z / 0.4), 0.4, np.zeros(20, dtype=int))
    assert report["before"]["ece"] != report["after"]["ece"]


def test_oos_metrics() -> None:
    score = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1])
    is_oos = np.array([0, 0, 0, 0, 1, 1], dtype=bool)
    assert oos_auroc(score, is_oos) == 1.0
    assert fpr_at_recall(score, is_oos) == 0.0
    assert oos_auroc(score, ~is_oos) == 0.0
    assert fpr_at_recall(score[::-1], is_oos) == 1.0  # every OOS message outranks in-scope
    assert oos_auroc(score, np.zeros(6, dtype=bool)) is None


def test_risk_coverage_rewards_confidence_that_ranks_errors_last() -> None:
    correct = np.array([1, 1, 1, 0, 0], dtype=bool)
    good = risk_coverage(np.array([0.9, 0.8, 0.7, 0.2, 0.1]), correct)
    bad = risk_coverage(np.array([0.1, 0.2, 0.3, 0.8, 0.9]), correct)
    assert good["aurc"] < bad["aurc"]
    assert good["risk_at_full"] == bad["risk_at_full"] == pytest.approx(0.4)
    assert good["coverage"][-1] == 1.0
