"""Question matching's served score: the pair logit fused with character overlap on dev."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from aimass.evaluation.metrics import best_threshold
from aimass.training.calibrate import (
    fit_pair_fusion,
    pair_overlap_features,
    served_pair_logits,
)


def test_overlap_features_read_chinese_english_and_width_variants() -> None:
    f = pair_overlap_features(
        ["花呗怎么还款", "ＡＢＣ Card", "退货", "refund please"],
        ["花呗怎么还款", "abc card", "物流", "借呗怎么还款"],
    )
    assert f[0].tolist() == [1.0, 1.0]  # identical
    assert f[1].tolist() == [1.0, 1.0]  # full-width and case do not count as different
    assert f[2].tolist() == [0.0, 0.0]  # nothing shared
    assert f.shape == (4, 2) and ((f >= 0) & (f <= 1)).all()


def test_fusion_learns_what_the_logit_misses() -> None:
    # Near-copies (high overlap) that the logit scores high are half the time different
    # questions: the fused score must discount overlap and beat the logit alone on new data.
    rng = np.random.default_rng(0)

    def make(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        overlap = rng.uniform(0, 1, n)
        label = rng.uniform(0, 1, n) < 0.5
        logit = 2.0 * label + 3.0 * overlap + rng.normal(0, 1, n)
        feats = np.column_stack([overlap, overlap**2])
        return logit, feats, label.astype(int)

    lg, ft, y = make(2000)
    params = fit_pair_fusion(lg, ft, y)
    assert params["fitted"] == 1.0 and params["w_overlap"][0] + params["w_overlap"][1] < 0

    lg2, ft2, y2 = make(2000)
    fused_dev = params["w_logit"] * lg + ft @ np.array(params["w_overlap"]) + params["bias"]
    fused = params["w_logit"] * lg2 + ft2 @ np.array(params["w_overlap"]) + params["bias"]
    acc_fused = np.mean((fused >= best_threshold(y, fused_dev)) == y2)
    acc_logit = np.mean((lg2 >= best_threshold(y, lg)) == y2)
    assert acc_fused > acc_logit + 0.05


def test_too_little_dev_data_leaves_the_logit_alone() -> None:
    params = fit_pair_fusion(np.array([0.1, 0.9]), np.zeros((2, 2)), np.array([0, 1]))
    cal = {"pair_fusion": params}
    lg = np.array([-1.0, 0.5, 3.0])
    assert np.allclose(served_pair_logits(cal, lg, ["a"] * 3, ["b"] * 3), lg)
    # an artifact from before pair fusion scores with the logit
    assert np.allclose(served_pair_logits({}, lg, ["a"] * 3, ["b"] * 3), lg)


PAIRS = [
    ("怎么退货", "如何退货", 1),
    ("怎么退货", "怎么退款", 0),
    ("how do i return this", "how to return an item", 1),
    ("how do i return this", "how do i reset my password", 0),
    ("花呗怎么还款", "花呗如何还钱", 1),
    ("花呗怎么还款", "借呗怎么还款", 0),
    ("where is my parcel", "track my package", 1),
    ("where is my parcel", "where is the store", 0),
    ("快递到哪了", "物流信息在哪看", 1),
    ("快递到哪了", "快递费多少", 0),
]


def test_bench_match_prints_the_product_keys(
    tiny_backbones: Callable[[str], Path], tmp_path: Path
) -> None:
    from aimass.cli.main import app

    rows = [{"text_a": a, "text_b": b, "label": y} for a, b, y in PAIRS * 3]
    for name in ("train", "dev", "test"):
        (tmp_path / f"{name}.jsonl").write_text(
            "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8"
        )
    out = tmp_path / "r.json"
    args = ["bench", "match", "--out", str(out)]
    for name in ("train", "dev", "test"):
        args += [f"--{name}", str(tmp_path / f"{name}.jsonl")]
    args += ["--set", f'backbone="{tiny_backbones("bert")}"', "--set", "epochs=40"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    m = json.loads(out.read_text())
    for key in (
        "accuracy",
        "f1",
        "auc",
        "spearman",
        "n",
        "train_seconds",
        "model_mb",
        "latency_ms_p50",
    ):
        assert key in m
    assert m["n"] == len(rows)
    assert m["pair_fusion"]["fitted"] == 1.0  # the served score is the dev-fitted fusion
    assert m["accuracy"] >= 0.9  # test = train here: the tiny model fits its pairs
