"""Pruning by measured importance is physical: smaller matrices, fewer heads and layers, the
same outputs' shapes; the pruned model runs, exports to ONNX with parity and serves; the
units it removes first are the ones that matter least."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from aimass.errors import TrainingError
from modelkit import INTENT_ROWS

# The compression artifact's intent rows (tests/compress/conftest.py).
ROWS = [
    *INTENT_ROWS,
    ("what's the weather on Mars", "oos"),
    ("tell me a joke", "oos"),
    ("今天股市怎么样", "oos"),
    ("转人工", "human_agent"),
    ("I want to talk to a person", "human_agent"),
]
TEXTS = [t for t, _ in ROWS]
LABELS = [lab for _, lab in ROWS]


@pytest.fixture(scope="module")
def loaded(torch_artifact: Path) -> tuple[Any, Any]:
    from aimass.model.io import load_model

    model, enc, _ = load_model(torch_artifact)
    return model, enc


def _outputs(model: Any, enc: Any) -> dict[str, np.ndarray]:
    from aimass.compress.export import torch_runner

    return torch_runner(model, enc)(TEXTS)


def test_pruned_model_has_smaller_matrices_and_the_same_outputs(loaded: tuple[Any, Any]) -> None:
    from aimass.compress.prune import n_heads, n_params, prune

    model, enc = loaded
    before = _outputs(model, enc)
    pruned, rep = prune(model, enc, TEXTS, LABELS, ffn_keep=0.5, heads_keep=1, drop=1)
    layers = pruned.encoder.encoder.layer
    assert len(layers) == 1 and pruned.encoder.config.num_hidden_layers == 1
    block = layers[0]
    hs = block.attention.self.attention_head_size
    assert block.attention.self.query.weight.shape == (hs, 32)  # one head of two
    assert block.attention.output.dense.weight.shape == (32, hs)
    assert block.intermediate.dense.weight.shape == (32, 32)  # FFN 64 -> 32
    assert block.output.dense.weight.shape == (32, 32)
    assert n_heads(block) == 1 and pruned.encoder.config.intermediate_size == 32
    assert rep.params_after == n_params(pruned) < rep.params_before == n_params(model)
    after = _outputs(pruned, enc)
    assert {k: v.shape for k, v in after.items()} == {k: v.shape for k, v in before.items()}
    assert all(np.isfinite(v).all() for v in after.values())
    # the source model is untouched
    assert len(model.encoder.encoder.layer) == 2 and n_heads(model.encoder.encoder.layer[0]) == 2


def test_the_least_important_units_matter_least(loaded: tuple[Any, Any]) -> None:
    """Removing the half of the FFN neurons (and the head) scored least important changes
    the served outputs less than removing the half scored most important."""
    from aimass.compress.prune import Importance, measure_importance, prune

    model, enc = loaded
    imp = measure_importance(model, enc, TEXTS, LABELS)
    assert [len(h) for h in imp.heads] == [2, 2] and [len(f) for f in imp.ffn] == [64, 64]
    assert all((f >= 0).all() and f.sum() > 0 for f in imp.ffn)
    assert imp.layers.shape == (2,) and (imp.layers > 0).all()
    ref = _outputs(model, enc)
    flipped = Importance([-h for h in imp.heads], [-f for f in imp.ffn], -imp.layers, imp.n_texts)

    def change(importance: Importance, **cut: Any) -> float:
        pruned, _ = prune(model, enc, TEXTS, LABELS, importance=importance, **cut)
        got = _outputs(pruned, enc)
        emb = float((1 - (got["embedding"] * ref["embedding"]).sum(1)).mean())
        p = torch.softmax(torch.from_numpy(ref["intent_logits"]), -1)
        logq = torch.log_softmax(torch.from_numpy(got["intent_logits"]), -1)
        kl = float((p * (torch.log(p) - logq)).sum(-1).mean())
        return emb + kl

    assert change(imp, ffn_keep=0.5) < change(flipped, ffn_keep=0.5)
    assert change(imp, heads_keep=1) < change(flipped, heads_keep=1)


def test_layers_chosen_by_importance_stay_closest_to_the_model(loaded: tuple[Any, Any]) -> None:
    from aimass.compress.prune import choose_layers, layer_importance
    from aimass.compress.student import build_student

    model, enc = loaded
    assert choose_layers(model, enc, TEXTS, 2) == [0, 1]
    chosen = choose_layers(model, enc, TEXTS, 1)
    other = [1 - chosen[0]]
    scores = layer_importance(model, enc, TEXTS)
    assert scores[other[0]] <= scores[chosen[0]]  # the one dropped changes the outputs least
    ref = _outputs(model, enc)

    def change(keep: list[int]) -> float:
        got = _outputs(build_student(model, layers=keep)[0], enc)
        return float((1 - (got["embedding"] * ref["embedding"]).sum(1)).mean())

    assert change(chosen) <= change(other)
    student, rep = build_student(
        model, layers=1, layer_choice="importance", calibration=(TEXTS, LABELS), enc=enc
    )
    assert rep.importance["layers_kept"] == chosen and len(student.encoder.encoder.layer) == 1


def test_pruned_student_exports_with_parity_and_serves(
    torch_artifact: Path, dev_file: Path, tmp_path: Path
) -> None:
    """The prune stage in the chain: measured like every stage, exported (the chain
    refuses an export without parity, AM525), calibrated for itself, and it answers."""
    from aimass.compress.chain import compress
    from aimass.compress.distill import DistillConfig
    from aimass.compress.student import PruneStage, StageData
    from aimass.runtime.assistant import Assistant

    stage = PruneStage(
        StageData((TEXTS, LABELS), (TEXTS, LABELS)),
        ffn_keep=0.5,
        heads_keep=1,
        recover=True,
        config=DistillConfig(epochs=10, batch_size=8, lr=3e-3, head_lr=1e-2),
        artifact=torch_artifact,
    )
    out = tmp_path / "pruned"
    report = compress(
        torch_artifact, out, dev=dev_file, threads=1, int8=False, max_accuracy_drop=100.0,
        stages=[stage],
    )  # fmt: skip
    assert [s["name"] for s in report["stages"]] == ["torch-fp32", "prune", "onnx-fp32"]
    parity = report["stages"][2]["parity"]
    assert parity["embedding_min_cosine"] >= 0.999 and parity["intent_top1_agreement"] >= 0.99
    assert report["stages"][1]["model_mb"] < report["stages"][0]["model_mb"]
    assert report["stage_reports"]["prune"]["heads"] == [1, 1]
    assert report["stage_reports"]["prune"]["ffn"] == 32
    served = json.loads((out / "encoder" / "config.json").read_text(encoding="utf-8"))
    assert served["intermediate_size"] == 32 and served["aimass_heads_per_layer"] == [1, 1]
    cal = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    assert cal == stage.calibration and "intent_temperature" in cal
    # refitted in the pruned model's own embedding space, not the source model's
    assert {"scope", "examples", "faq_confidence"} <= cal.keys()
    reply = Assistant.load(out).respond("我想退货怎么办")
    assert reply.intents and reply.intents[0].name in set(LABELS)


def test_unsupported_layouts_and_bad_options_get_codes(
    loaded: tuple[Any, Any], tiny_backbones: Any
) -> None:
    from aimass.compress.prune import drop_layers, measure_importance
    from aimass.compress.student import pick_layers
    from aimass.encoders.backbone import load_backbone
    from aimass.heads import IntentHead
    from aimass.model.multitask import MultiTaskModel
    from aimass.model.textenc import TextEncoder

    model, _ = loaded
    with pytest.raises(TrainingError) as e:
        drop_layers(model, [5])
    assert e.value.code == "AM529"
    with pytest.raises(TrainingError) as e:
        pick_layers(2, 3)
    assert e.value.code == "AM529"
    assert pick_layers(12, 6) == [0, 2, 4, 7, 9, 11] and pick_layers(12, 1) == [11]
    albert, tok, _ = load_backbone(tiny_backbones("albert"))
    shared = MultiTaskModel(albert, {"intent": IntentHead(["a", "b"], 32)})
    with pytest.raises(TrainingError) as e:
        measure_importance(shared, TextEncoder(tok), TEXTS)
    assert e.value.code == "AM528"


def test_index_dimension_reduction_reports_its_recall_cost() -> None:
    """PCA to the bank's intrinsic dimension keeps recall; far below it recall is lost,
    and the measurement says so (``choose_dim`` then refuses that dimension)."""
    from aimass.retrieval.reduce import choose_dim, leave_one_out, recall_by_dim

    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(64, 8)))[0].T  # an 8-d subspace of 64-d space
    centres = rng.normal(size=(30, 8)) * 3
    groups = {f"faq{i}": [f"q{i}-{j}" for j in range(4)] for i in range(30)}
    texts, owners, q = leave_one_out(groups)
    assert len(texts) == 120 and q == list(range(120))
    latent = np.stack([centres[int(o[3:])] for o in owners]) + rng.normal(size=(120, 8)) * 0.6
    vectors = latent @ basis + rng.normal(size=(120, 64)) * 0.05
    res = recall_by_dim(vectors, owners, vectors[q], [owners[i] for i in q], [32, 8, 2], exclude=q)
    full, d32, d8, d2 = res
    assert [r.dim for r in res] == [64, 32, 8, 2]
    assert full.recall[1] > 90 and full.bytes_per_vector == 256 and d8.bytes_per_vector == 32
    assert d32.drop_at_1 <= 1.0 and d8.drop_at_1 <= 2.0
    assert d2.drop_at_1 > 10.0
    assert choose_dim(res, max_drop=2.0) == 8
