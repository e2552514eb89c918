"""Metrics against small cases computed by hand (the numbers in comments are the working)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from aimass.evaluation.metrics import (
    best_threshold,
    confusion,
    expected_calibration_error,
    faq_metrics,
    intent_metrics,
    match_metrics,
    per_label_metrics,
    reliability_bins,
)

PRODUCT_INTENT_KEYS = {
    "accuracy",
    "macro_f1",
    "in_scope_accuracy",
    "oos_recall",
    "oos_precision",
    "ece",
    "n",
}


def test_intent_metrics_hand_computed() -> None:
    gold = ["a", "a", "b", "b", "oos", "oos"]
    pred = ["a", "oos", "b", "a", "oos", "b"]
    m = intent_metrics(gold, pred)
    assert set(m) >= PRODUCT_INTENT_KEYS
    assert m["n"] == 6
    assert m["accuracy"] == pytest.approx(3 / 6)
    # in scope: a,a,b,b -> a ok, oos (wrong), b ok, a (wrong) = 2/4
    assert m["in_scope_accuracy"] == pytest.approx(2 / 4)
    # oos: gold oos 2, predicted oos 2, both oos 1
    assert m["oos_recall"] == pytest.approx(1 / 2)
    assert m["oos_precision"] == pytest.approx(1 / 2)
    # per label: a P=1/2 R=1/2 F=1/2; b P=1/2 R=1/2 F=1/2; oos P=1/2 R=1/2 F=1/2
    assert m["macro_f1"] == pytest.approx(0.5)
    assert m["ece"] is None


def test_macro_f1_over_union_of_gold_and_predicted() -> None:
    # "c" is only predicted: it counts in the macro average with F1 0.
    m = intent_metrics(["a", "a", "b"], ["a", "c", "b"])
    # a: P=1 R=1/2 F=2/3; b: F=1; c: F=0 -> (2/3 + 1 + 0) / 3
    assert m["macro_f1"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert set(m["per_label"]) == {"a", "b", "c"}


def test_no_oos_in_data_gives_null_not_nan() -> None:
    m = intent_metrics(["a", "b"], ["a", "a"])
    assert m["oos_recall"] is None
    assert m["oos_precision"] is None
    assert m["in_scope_accuracy"] == pytest.approx(0.5)
    json.dumps(m, allow_nan=False)  # would fail on NaN


def test_oos_never_predicted_has_zero_precision() -> None:
    m = intent_metrics(["oos", "a"], ["a", "a"])
    assert m["oos_recall"] == 0.0
    assert m["oos_precision"] == 0.0


def test_custom_oos_label() -> None:
    m = intent_metrics(["none", "a"], ["none", "none"], oos_label="none")
    assert m["oos_recall"] == 1.0
    assert m["oos_precision"] == 0.5
    assert m["in_scope_accuracy"] == 0.0


def test_per_label_and_confusion() -> None:
    pl = per_label_metrics(["a", "a", "b"], ["a", "b", "b"])
    assert pl["a"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert pl["b"]["precision"] == 0.5 and pl["b"]["support"] == 1
    labels, m = confusion(["a", "a", "b"], ["a", "b", "b"])
    assert labels == ["a", "b"]
    assert m.tolist() == [[1, 1], [0, 1]]
    labels, m = confusion(["a"], ["a"], labels=["b", "a"])
    assert m.tolist() == [[0, 0], [0, 1]]


def test_ece_known_example() -> None:
    # 15 bins. conf 0.95 x2 (bin 14: one right, one wrong -> acc 0.5, conf 0.95, gap 0.45)
    # conf 0.25 x2 (bin 3: both right -> acc 1, conf 0.25, gap 0.75)
    # ECE = 2/4 * 0.45 + 2/4 * 0.75 = 0.6
    conf = [0.95, 0.95, 0.25, 0.25]
    correct = [True, False, True, True]
    assert expected_calibration_error(conf, correct) == pytest.approx(0.6)
    m = intent_metrics(["a", "b", "a", "a"], ["a", "a", "a", "a"], conf)
    assert m["ece"] == pytest.approx(0.6)


def test_ece_perfectly_calibrated_is_zero_and_bins_are_right_closed() -> None:
    assert expected_calibration_error([1.0, 1.0], [True, True]) == pytest.approx(0.0)
    bins = reliability_bins([0.0, 1 / 15, 1.0], [False, False, True], n_bins=15)
    assert len(bins) == 15
    assert bins[0]["count"] == 2  # 0 and exactly 1/15 both in the first bin (0, 1/15]
    assert bins[14]["count"] == 1
    assert bins[5]["confidence"] is None
    assert expected_calibration_error([], []) is None
    with pytest.raises(ValueError):
        reliability_bins([1.5], [True])


def test_match_metrics_hand_computed() -> None:
    y = [0, 0, 1, 1]
    s = [0.1, 0.6, 0.4, 0.9]
    m = match_metrics(y, s, threshold=0.5)
    # predictions 0,1,0,1 -> accuracy 1/2; tp 1 fp 1 fn 1 -> F1 = 2/(2+1+1) = 0.5
    assert m["accuracy"] == 0.5
    assert m["f1"] == 0.5
    # AUC: positive/negative pairs (0.4>0.1 yes, 0.4>0.6 no, 0.9>both yes) = 3/4
    assert m["auc"] == pytest.approx(0.75)
    # Spearman of ranks s=(1,3,2,4) vs y ranks (1.5,1.5,3.5,3.5):
    rs = np.array([1, 3, 2, 4.0])
    ry = np.array([1.5, 1.5, 3.5, 3.5])
    expected = np.corrcoef(rs, ry)[0, 1]
    assert m["spearman"] == pytest.approx(expected)
    assert m["n"] == 4


def test_match_metrics_single_class_is_null() -> None:
    m = match_metrics([1, 1], [0.2, 0.8], threshold=0.5)
    assert m["auc"] is None and m["spearman"] is None
    assert m["accuracy"] == 0.5


def test_best_threshold_maximises_accuracy() -> None:
    y = [0, 0, 1, 1]
    s = [0.1, 0.3, 0.6, 0.8]
    t = best_threshold(y, s)
    assert 0.3 < t < 0.6
    assert match_metrics(y, s, t)["accuracy"] == 1.0
    # all positive: any threshold at or below the lowest score is best
    t = best_threshold([1, 1, 1], [0.2, 0.5, 0.9])
    assert t <= 0.2
    # all negative: above the highest
    t = best_threshold([0, 0], [0.2, 0.5])
    assert t > 0.5
    # ties in score are never split
    t = best_threshold([0, 1, 1], [0.5, 0.5, 0.9])
    assert not math.isclose(t, 0.5)


def test_faq_metrics_hand_computed() -> None:
    ranked = [
        ["f1", "f2", "f3"],  # gold f1 at 1
        ["f2", "f1", "f3"],  # gold f1 at 2
        ["a", "b", "c", "d", "e", "f"],  # gold f at 6
        ["x"],  # gold missing
    ]
    gold = ["f1", "f1", "f", "y"]
    m = faq_metrics(ranked, gold)
    assert m["p_at_1"] == pytest.approx(1 / 4)
    assert m["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 6 + 0) / 4)
    assert m["recall_at_5"] == pytest.approx(2 / 4)
    assert m["n"] == 4


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError):
        intent_metrics(["a"], ["a", "b"])
    with pytest.raises(ValueError):
        faq_metrics([["a"]], [])
