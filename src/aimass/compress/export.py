"""ONNX export of what the runtime needs from a trained model, and its parity check.

One graph holds the encoder, mean pooling and the heads the runtime reads: the FAQ-matching
embedding, the intent logits and the profile logits, all from one encoder pass, with
dynamic batch and sequence axes. The pair (cross-encoder) head is not exported: the runtime
does not call it.

The TorchScript exporter (``torch.onnx.export(..., dynamo=False)``) is used: for BERT-like
encoders it is the simplest and most reliable path on torch 2.13, and its graph is what
onnxruntime's dynamic quantiser expects (MatMul / Gather on constant weights).
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from aimass.compress.layout import (
    EMBEDDING,
    INPUTS,
    INTENT_LOGITS,
    ONNX_FILE,
    OPSET,
    PROFILE_LOGITS,
    TOKENIZER_FILE,
)
from aimass.errors import TrainingError
from aimass.model.multitask import MultiTaskModel
from aimass.model.textenc import TextEncoder

if TYPE_CHECKING:
    from transformers import PreTrainedModel

log = logging.getLogger(__name__)

Outputs = dict[str, np.ndarray]
Runner = Callable[[list[str]], Outputs]

# Texts a parity check always covers: Chinese and English, full-width punctuation, emoji,
# mixed scripts, a long message (truncation) and a one-character one.
PROBE_TEXTS = [
    "我想退货怎么办",
    "how do I return an item?",
    "你们支持花呗吗？！",
    "Ｃａｎ I pay with ＰａｙＰａｌ？",
    "快递到哪了😡😡",
    "thanks!! 👍",
    "我是VIP会员，太贵了，有没有优惠",
    "where is my parcel, it has not arrived yet and I am really upset about the delay " * 4,
    "好",
    "「订单」怎么取消？",
]


class ServingGraph(nn.Module):
    """The exported function: token ids and mask in, the runtime's outputs out."""

    def __init__(self, model: MultiTaskModel) -> None:
        super().__init__()
        self.model = model
        self.output_names = [EMBEDDING]
        if "intent" in model.heads:
            self.output_names.append(INTENT_LOGITS)
        if "profile" in model.heads:
            self.output_names.append(PROFILE_LOGITS)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        pooled = self.model.pool({"input_ids": input_ids, "attention_mask": attention_mask})
        heads = self.model.heads
        if "matching" in heads:
            emb = heads["matching"](pooled)
        else:  # as aimass.model.predict.embeddings: retrieval from the encoder alone
            emb = F.normalize(pooled.float(), dim=-1)
        out = [emb]
        if "intent" in heads:
            out.append(heads["intent"](pooled))
        if "profile" in heads:
            out.append(heads["profile"](pooled))
        return tuple(out)


def torch_runner(model: MultiTaskModel, enc: TextEncoder, kind: str = "query") -> Runner:
    """The torch model as a function of texts, with the same outputs as the ONNX graph."""
    graph = ServingGraph(model).eval()

    @torch.no_grad()
    def run(texts: list[str]) -> Outputs:
        batch = enc(texts, kind="passage" if kind == "passage" else "query")
        outs = graph(batch["input_ids"], batch["attention_mask"])
        return {n: o.float().numpy() for n, o in zip(graph.output_names, outs, strict=True)}

    return run


def export_onnx(model: MultiTaskModel, enc: TextEncoder, folder: Path) -> dict[str, Any]:
    """Write ``model.onnx`` and ``encoder/tokenizer.json`` into ``folder``; return the
    metadata that goes into ``onnx.json`` (outputs, tokenisation, temperatures)."""
    model = model.float().eval()
    graph = ServingGraph(model).eval()
    sample = enc(["warm-up text 你好", "hi"], kind="query")
    path = folder / ONNX_FILE
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about Python branches on shapes
            torch.onnx.export(
                graph,
                (sample["input_ids"], sample["attention_mask"]),
                str(path),
                input_names=list(INPUTS),
                output_names=graph.output_names,
                dynamic_axes={
                    **{n: {0: "batch", 1: "sequence"} for n in INPUTS},
                    **{n: {0: "batch"} for n in graph.output_names},
                },
                opset_version=OPSET,
                do_constant_folding=True,
                dynamo=False,
            )
    except Exception as e:  # the exporter raises many types; all mean "this model cannot"
        raise TrainingError(
            f"the model cannot be exported to ONNX: {type(e).__name__}: {e}",
            code="AM520",
            hint="export supports BERT, ALBERT, RoBERTa and XLM-R encoders; "
            "report the model family if this one should work",
        ) from None
    meta = tokenizer_meta(enc, folder)
    # The encoder's config as exported (a pruned or distilled student differs from the source).
    encoder = cast("PreTrainedModel", model.encoder)
    encoder.config.to_json_file(str(folder / "encoder" / "config.json"))
    meta["outputs"] = graph.output_names
    meta["opset"] = OPSET
    meta["hidden_size"] = model.hidden_size
    if "profile" in model.heads:
        meta["profile_temperature"] = float(model.heads["profile"].temperature)  # type: ignore[arg-type]
    return meta


def tokenizer_meta(enc: TextEncoder, folder: Path) -> dict[str, Any]:
    """Save the fast tokenizer's own pipeline (``backend_tokenizer``: what transformers ran
    at training, after any rebuilding it does on load) as ``tokenizer.json``, with padding
    and truncation cleared; the serving side sets them from the returned conventions."""
    tok = enc.tokenizer
    backend = getattr(tok, "backend_tokenizer", None)
    if backend is None:
        raise TrainingError(
            "the artifact's tokenizer is not a fast tokenizer; ONNX serving needs tokenizer.json",
            code="AM521",
            hint="retrain with a backbone that has a fast tokenizer (every supported family does)",
        )
    from tokenizers import Tokenizer

    pipeline = Tokenizer.from_str(backend.to_str())
    pipeline.no_padding()
    pipeline.no_truncation()
    out = folder / TOKENIZER_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    pipeline.save(str(out))
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0
    return {
        "query_prefix": enc.query_prefix,
        "passage_prefix": enc.passage_prefix,
        "max_length": int(enc.max_length),
        "pad_id": int(pad_id),
        "pad_token": str(tok.pad_token or ""),
        "padding_side": str(getattr(tok, "padding_side", "right")),
        "truncation_side": str(getattr(tok, "truncation_side", "right")),
    }


def parity(reference: Runner, candidate: Runner, texts: list[str]) -> dict[str, Any]:
    """How closely ``candidate`` reproduces ``reference`` on ``texts`` (one batch and one
    text at a time, so padding is exercised): per output the max absolute difference, the
    minimum cosine of the embeddings, the agreement of the top intent."""
    ref = _concat([reference(texts), *(reference([t]) for t in texts[:4])])
    got = _concat([candidate(texts), *(candidate([t]) for t in texts[:4])])
    out: dict[str, Any] = {"n": len(ref[EMBEDDING])}
    for name, r in ref.items():
        out[f"{name}_max_abs_diff"] = float(np.max(np.abs(r - got[name])))
    a, b = ref[EMBEDDING], got[EMBEDDING]
    cos = np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)
    out["embedding_min_cosine"] = float(cos.min())
    if INTENT_LOGITS in ref:
        agree = ref[INTENT_LOGITS].argmax(1) == got[INTENT_LOGITS].argmax(1)
        out["intent_top1_agreement"] = float(agree.mean())
    if PROFILE_LOGITS in ref:
        same = (ref[PROFILE_LOGITS] > 0) == (got[PROFILE_LOGITS] > 0)
        out["profile_decision_agreement"] = float(same.mean())
    return out


def _concat(parts: list[Outputs]) -> Outputs:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    from aimass.compress.layout import ONNX_META

    (folder / ONNX_META).write_text(
        json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8"
    )
