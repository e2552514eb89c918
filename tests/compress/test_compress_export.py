"""ONNX export and int8: the ONNX model reproduces the torch model (embeddings, intents,
tags) on Chinese and English with full-width punctuation and emoji, at any batch size and
length; the tokenizer served without transformers gives the same ids; int8 stays close."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aimass.compress.export import PROBE_TEXTS, parity, torch_runner
from aimass.compress.layout import EMBEDDING, INTENT_LOGITS, PROFILE_LOGITS
from modelkit import INTENT_ROWS

TEXTS = [*PROBE_TEXTS, *(t for t, _ in INTENT_ROWS), "ＶＩＰ会员，。！？", "🙂🙃", "a"]


@pytest.fixture(scope="module")
def torch_model(torch_artifact: Path):  # type: ignore[no-untyped-def]
    from aimass.model.io import load_model

    model, enc, _ = load_model(torch_artifact)
    return model, enc


def test_tokenizer_json_gives_the_training_tokenizer_ids(torch_model, onnx_fp32: Path) -> None:  # type: ignore[no-untyped-def]
    from aimass.runtime.onnx_predictor import OnnxPredictor

    _, enc = torch_model
    served = OnnxPredictor(onnx_fp32).encode(TEXTS)
    trained = enc(TEXTS)
    np.testing.assert_array_equal(served["input_ids"], trained["input_ids"].numpy())
    np.testing.assert_array_equal(served["attention_mask"], trained["attention_mask"].numpy())


def test_fp32_onnx_matches_torch_on_zh_en_punctuation_and_emoji(
    torch_model,
    onnx_fp32: Path,  # type: ignore[no-untyped-def]
) -> None:
    from aimass.runtime.onnx_predictor import OnnxPredictor

    model, enc = torch_model
    pred = OnnxPredictor(onnx_fp32)
    p = parity(torch_runner(model, enc), lambda t: pred.outputs(t, cache=False), TEXTS)
    assert p["embedding_min_cosine"] >= 0.9999
    assert p["intent_top1_agreement"] == 1.0
    assert p["profile_decision_agreement"] == 1.0
    assert p[f"{INTENT_LOGITS}_max_abs_diff"] < 1e-3
    assert p[f"{PROFILE_LOGITS}_max_abs_diff"] < 1e-3


def test_dynamic_batch_and_sequence_axes(torch_model, onnx_fp32: Path) -> None:  # type: ignore[no-untyped-def]
    """Any batch size and length, including truncation past max_length, one graph."""
    from aimass.runtime.onnx_predictor import OnnxPredictor

    model, enc = torch_model
    pred = OnnxPredictor(onnx_fp32, batch_size=5)  # several batches of mixed lengths
    texts = [*TEXTS, "退货 " * 200]
    ref = torch_runner(model, enc)(texts)
    got = pred.outputs(texts, cache=False)
    assert got[EMBEDDING].shape == ref[EMBEDDING].shape
    np.testing.assert_allclose(got[EMBEDDING], ref[EMBEDDING], atol=1e-5)
    np.testing.assert_allclose(got[INTENT_LOGITS], ref[INTENT_LOGITS], atol=1e-3)
    assert pred.outputs([])[EMBEDDING].shape[0] == 0


def test_predictor_interface_equals_torch_predictor(torch_artifact: Path, onnx_fp32: Path) -> None:
    """Fused intent probabilities (lexical expert weight 0.5), tags, embeddings of both kinds."""
    from aimass.runtime.onnx_predictor import OnnxPredictor
    from aimass.runtime.predictor import TorchPredictor

    ref, got = TorchPredictor(torch_artifact), OnnxPredictor(onnx_fp32)
    assert got.experts.keys() == ref.experts.keys() == {"lexical"}
    assert got.intent_labels == ref.intent_labels and got.tag_labels == ref.tag_labels
    for task in ("intent", "profile", "matching", "pair"):
        assert got.has(task) == ref.has(task) or task == "pair"
    np.testing.assert_allclose(
        got.intent_probabilities(TEXTS), ref.intent_probabilities(TEXTS), atol=1e-4
    )
    np.testing.assert_allclose(
        got.tag_probabilities(TEXTS), ref.tag_probabilities(TEXTS), atol=1e-4
    )
    for kind in ("query", "passage"):
        np.testing.assert_allclose(got.embed(TEXTS, kind), ref.embed(TEXTS, kind), atol=1e-5)


def test_int8_stays_close_to_fp32(onnx_fp32: Path, tmp_path: Path) -> None:
    import shutil

    from aimass.compress.layout import ONNX_FILE
    from aimass.compress.quantize import CANDIDATES, quantize_int8
    from aimass.runtime.onnx_predictor import OnnxPredictor

    fp32 = OnnxPredictor(onnx_fp32)
    ref = fp32.outputs(TEXTS)
    for cand in CANDIDATES:
        folder = tmp_path / cand.name
        shutil.copytree(onnx_fp32, folder)
        quantize_int8(onnx_fp32 / ONNX_FILE, folder / ONNX_FILE, cand)
        assert (folder / ONNX_FILE).stat().st_size < (onnx_fp32 / ONNX_FILE).stat().st_size
        got = OnnxPredictor(folder).outputs(TEXTS)
        agreement = float(np.mean(got[INTENT_LOGITS].argmax(1) == ref[INTENT_LOGITS].argmax(1)))
        cos = np.sum(got[EMBEDDING] * ref[EMBEDDING], 1)
        print(f"{cand.name}: top-intent agreement {agreement:.3f}, min cosine {cos.min():.5f}")
        assert agreement >= 0.8
        assert cos.min() >= 0.98
