"""Structured pruning by measured importance, done physically: smaller matrices, real speed.

Masking weights to zero saves nothing on a CPU; removing rows and columns does. Three kinds
of structure are removed from a BERT-layout encoder (BERT, RoBERTa, XLM-R, e5):

- **FFN neurons**: rows of ``intermediate.dense`` and the matching columns of
  ``output.dense``. The same number is kept in every layer (the most important ones of that
  layer), so ``config.intermediate_size`` still describes the model and it rebuilds from its
  config.
- **attention heads**: the head's rows of ``query``/``key``/``value`` and its columns of
  ``attention.output.dense``. Attention in transformers 5 infers the head count from the
  projection width (``view(..., -1, head_size)``), so a layer with fewer heads runs as is;
  the per-layer counts are recorded in ``config.aimass_heads_per_layer``. A head-pruned
  encoder is served through ONNX (the export traces the actual modules); it cannot be
  rebuilt from a plain ``BertConfig``.
- **whole layers**: dropped from ``encoder.layer`` (``config.num_hidden_layers`` updated).

Importance is measured on a calibration set of texts (Michel et al. 2019; Molchanov et al.
2019): for heads and neurons, the first-order Taylor estimate of the loss change when the
unit is removed, ``|sum over tokens of activation x gradient|`` per example, averaged; for
layers, how much the served outputs change when the layer is skipped (1 - cosine of the
pooled vectors, plus the KL of the intent distribution). The loss is the model's own
objective on the calibration texts: intent cross-entropy on gold labels when given (the
model's own predictions otherwise), and an in-batch retrieval loss on the embeddings (the
FAQ-matching task), so a unit that only matters for retrieval is not removed as useless.

Pruning loses accuracy; :mod:`aimass.compress.distill` recovers it (``PruneStage`` does both).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from aimass.errors import TrainingError
from aimass.model.textenc import TextEncoder

log = logging.getLogger(__name__)


@dataclass
class Importance:
    """Per layer: one score per attention head and per FFN neuron; one score per layer."""

    heads: list[np.ndarray]  # [L] of (heads_l,)
    ffn: list[np.ndarray]  # [L] of (ffn_l,)
    layers: np.ndarray  # (L,)
    n_texts: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "n_texts": self.n_texts,
            "layer_importance": [round(float(x), 5) for x in self.layers],
            "heads_per_layer": [len(h) for h in self.heads],
            "ffn_per_layer": [len(f) for f in self.ffn],
        }


@dataclass
class PruneReport:
    removed_layers: list[int] = field(default_factory=list)
    heads_before: list[int] = field(default_factory=list)
    heads_after: list[int] = field(default_factory=list)
    ffn_before: int = 0
    ffn_after: int = 0
    params_before: int = 0
    params_after: int = 0
    importance: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------ structure access


def encoder_layers(model: Any) -> Any:
    """The transformer blocks of a BERT-layout encoder; AM528 for anything else (ALBERT
    shares one block between layers, so its units cannot be removed per layer)."""
    enc = model.encoder
    layers = getattr(getattr(enc, "encoder", None), "layer", None)
    if not isinstance(layers, nn.ModuleList) or not len(layers):
        raise TrainingError(
            f"{type(enc).__name__} has no per-layer blocks that can be pruned",
            code="AM528",
            hint="pruning and layer-dropped students support BERT, RoBERTa and XLM-R "
            "encoders (e5-small is one)",
        )
    block = layers[0]
    need = ("attention.self.query", "attention.output.dense", "intermediate.dense", "output.dense")
    for path in need:
        obj: Any = block
        for part in path.split("."):
            obj = getattr(obj, part, None)
        if not isinstance(obj, nn.Linear):
            raise TrainingError(
                f"{type(enc).__name__} layers have no {path} projection",
                code="AM528",
                hint="pruning supports BERT, RoBERTa and XLM-R encoders",
            )
    return layers


def head_size(layer: Any) -> int:
    return int(layer.attention.self.attention_head_size)


def n_heads(layer: Any) -> int:
    return int(layer.attention.self.query.out_features // head_size(layer))


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ------------------------------------------------------------------ importance


def _calibration_loss(
    model: Any,
    batch: dict[str, torch.Tensor],
    labels: torch.Tensor | None,
) -> torch.Tensor:
    pooled = model.pool(batch)
    loss = pooled.new_zeros(())
    heads = model.heads
    if "intent" in heads:
        logits = heads["intent"](pooled)
        target = labels if labels is not None else logits.detach().argmax(1)
        loss = loss + F.cross_entropy(logits, target)
    if "profile" in heads:
        logits = heads["profile"](pooled)
        loss = loss + F.binary_cross_entropy_with_logits(logits, (logits.detach() > 0).float())
    if len(pooled) > 1:  # retrieval: each text must stay closest to itself, not the others
        emb = F.normalize(pooled, dim=-1)
        sim = emb @ emb.detach().T * 20.0
        loss = loss + F.cross_entropy(sim, torch.arange(len(emb)))
    return loss


def measure_importance(
    model: Any,
    enc: TextEncoder,
    texts: Sequence[str],
    labels: Sequence[str] | None = None,
    *,
    batch_size: int = 16,
    layers: bool = True,
) -> Importance:
    """Importance of every head, FFN neuron and layer of ``model`` on ``texts`` (gold
    ``labels`` for the intent loss when given; a batch holding a label the head does not
    know is scored against the model's own predictions instead)."""
    blocks = encoder_layers(model)
    texts = list(texts)
    if not texts:
        raise TrainingError("pruning needs calibration texts", code="AM529")
    index: dict[str, int] = {}
    if labels is not None and "intent" in model.heads:
        index = {n: i for i, n in enumerate(model.heads["intent"].labels)}  # type: ignore[union-attr]
    heads = [np.zeros(n_heads(b)) for b in blocks]
    ffn = [np.zeros(b.intermediate.dense.out_features) for b in blocks]
    grads: dict[tuple[str, int], torch.Tensor] = {}
    acts: dict[tuple[str, int], torch.Tensor] = {}

    def capture(kind: str, i: int) -> Any:
        def hook(_mod: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
            x = args[0]
            acts[(kind, i)] = x.detach()
            if x.requires_grad:
                x.register_hook(lambda g: grads.__setitem__((kind, i), g.detach()))

        return hook

    handles = []
    for i, b in enumerate(blocks):
        handles.append(b.attention.output.dense.register_forward_pre_hook(capture("head", i)))
        handles.append(b.output.dense.register_forward_pre_hook(capture("ffn", i)))
    was_training = model.training
    model.eval()  # no dropout: the score of the model as served
    try:
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            batch = enc(chunk)
            y = None
            if index and labels is not None:
                ys = [index.get(lab, -1) for lab in labels[start : start + batch_size]]
                if min(ys) >= 0:
                    y = torch.tensor(ys)
            model.zero_grad(set_to_none=True)
            _calibration_loss(model, batch, y).backward()
            mask = batch["attention_mask"].unsqueeze(-1).float()  # (B, T, 1)
            for i, b in enumerate(blocks):
                hs = head_size(b)
                xg = acts[("head", i)] * grads[("head", i)] * mask  # (B, T, A)
                per = xg.sum(1).reshape(len(chunk), -1, hs).sum(-1)  # (B, heads)
                heads[i] += per.abs().sum(0).numpy()
                xg = acts[("ffn", i)] * grads[("ffn", i)] * mask  # (B, T, F)
                ffn[i] += xg.sum(1).abs().sum(0).numpy()
            acts.clear()
            grads.clear()
    finally:
        for h in handles:
            h.remove()
        model.zero_grad(set_to_none=True)
        model.train(was_training)
    n = len(texts)
    layer_scores = (
        layer_importance(model, enc, texts, batch_size=batch_size)
        if layers
        else np.zeros(len(blocks))
    )
    return Importance([h / n for h in heads], [f / n for f in ffn], layer_scores, n)


@torch.no_grad()
def _served(model: Any, enc: TextEncoder, texts: list[str], bs: int) -> dict[str, Any]:
    out: dict[str, list[torch.Tensor]] = {"pooled": [], "intent": []}
    for s in range(0, len(texts), bs):
        pooled = model.pool(enc(texts[s : s + bs]))
        out["pooled"].append(F.normalize(pooled, dim=-1))
        if "intent" in model.heads:
            out["intent"].append(F.log_softmax(model.heads["intent"](pooled), -1))
    return {k: torch.cat(v) for k, v in out.items() if v}


@torch.no_grad()
def layer_importance(
    model: Any,
    enc: TextEncoder,
    texts: list[str],
    *,
    batch_size: int = 16,
    reference: dict[str, Any] | None = None,
) -> np.ndarray:
    """For each layer, how much the served outputs change when it is skipped: mean
    (1 - cosine) of the pooled vectors plus the mean KL of the intent distribution, against
    ``reference`` outputs (``served_outputs`` of another model: the teacher) or the
    model's own."""
    blocks = encoder_layers(model)
    was_training = model.training
    model.eval()
    ref = reference if reference is not None else _served(model, enc, texts, batch_size)
    scores = np.zeros(len(blocks))
    try:
        for i in range(len(blocks)):
            model.encoder.encoder.layer = nn.ModuleList([b for j, b in enumerate(blocks) if j != i])
            got = _served(model, enc, texts, batch_size)
            change = float((1 - (got["pooled"] * ref["pooled"]).sum(-1)).mean())
            if "intent" in ref:
                p = ref["intent"].exp()
                change += float((p * (ref["intent"] - got["intent"])).sum(-1).mean())
            scores[i] = change
    finally:
        model.encoder.encoder.layer = blocks
        model.train(was_training)
    return scores


def served_outputs(model: Any, enc: TextEncoder, texts: list[str], bs: int = 16) -> dict[str, Any]:
    """Normalised pooled vectors and intent log-probabilities (what layer importance
    compares), with the model in eval mode."""
    was_training = model.training
    model.eval()
    try:
        return _served(model, enc, texts, bs)
    finally:
        model.train(was_training)


def choose_layers(model: Any, enc: TextEncoder, texts: Sequence[str], keep: int) -> list[int]:
    """``keep`` layer indices chosen greedily: drop the layer whose removal changes the
    outputs least (against the full model's), measure again without it, repeat. Layers of
    a fine-tuned encoder differ a lot in what they carry (in e5 the first and the last
    three matter most), which evenly spaced choices ignore."""
    blocks = encoder_layers(model)
    if keep < 1 or keep > len(blocks):
        raise TrainingError(
            f"a student cannot keep {keep} of {len(blocks)} layers",
            code="AM529",
            hint=f"choose --layers between 1 and {len(blocks)}",
        )
    texts = list(texts)
    reference = served_outputs(model, enc, texts)
    work = copy.deepcopy(model)
    kept = list(range(len(blocks)))
    while len(kept) > keep:
        scores = layer_importance(work, enc, texts, reference=reference)
        worst = int(np.argmin(scores))
        drop_layers(work, [i for i in range(len(kept)) if i != worst])
        del kept[worst]
    return kept


# ------------------------------------------------------------------ physical removal


def _slice_linear(lin: nn.Linear, index: torch.Tensor, dim: int) -> nn.Linear:
    """A new Linear keeping ``index`` of the output (dim 0) or input (dim 1) features."""
    w = lin.weight.detach().index_select(dim, index).clone()
    bias = lin.bias is not None
    out_f, in_f = w.shape
    new = nn.Linear(in_f, out_f, bias=bias, dtype=w.dtype, device=w.device)
    with torch.no_grad():
        new.weight.copy_(w)
        if bias:
            b = lin.bias.detach()  # type: ignore[union-attr]
            new.bias.copy_(b.index_select(0, index) if dim == 0 else b)  # type: ignore[union-attr]
    return new


def _count(keep: float | int, total: int) -> int:
    """``keep`` as a fraction (0 < x <= 1) or a count; at least 1, at most ``total``."""
    n = round(keep * total) if isinstance(keep, float) and keep <= 1.0 else int(keep)
    return max(1, min(total, n))


def prune_ffn(model: Any, keep: float | int, importance: Importance) -> None:
    """Keep the ``keep`` most important FFN neurons of every layer (a fraction or a count,
    the same number per layer so the config still describes the model); in place."""
    blocks = encoder_layers(model)
    for i, b in enumerate(blocks):
        total = b.intermediate.dense.out_features
        k = _count(keep, total)
        idx = torch.from_numpy(np.sort(np.argsort(-importance.ffn[i], kind="stable")[:k]))
        b.intermediate.dense = _slice_linear(b.intermediate.dense, idx, 0)
        b.output.dense = _slice_linear(b.output.dense, idx, 1)
    model.encoder.config.intermediate_size = int(blocks[0].intermediate.dense.out_features)


def prune_heads(model: Any, keep: float | int, importance: Importance) -> None:
    """Keep the ``keep`` most important attention heads of every layer (a fraction or a
    count); in place. The per-layer counts go into ``config.aimass_heads_per_layer``."""
    blocks = encoder_layers(model)
    for i, b in enumerate(blocks):
        hs, total = head_size(b), n_heads(b)
        k = _count(keep, total)
        kept = np.sort(np.argsort(-importance.heads[i], kind="stable")[:k])
        idx = torch.from_numpy(np.concatenate([np.arange(h * hs, (h + 1) * hs) for h in kept]))
        att = b.attention.self
        for name in ("query", "key", "value"):
            setattr(att, name, _slice_linear(getattr(att, name), idx, 0))
        b.attention.output.dense = _slice_linear(b.attention.output.dense, idx, 1)
        att.num_attention_heads = int(k)
        att.all_head_size = int(k * hs)
    model.encoder.config.aimass_heads_per_layer = [n_heads(b) for b in blocks]


def drop_layers(model: Any, keep: Sequence[int]) -> None:
    """Keep only the layers ``keep`` (indices into the current layers), in order; in place."""
    blocks = encoder_layers(model)
    keep = sorted(set(int(i) for i in keep))
    if not keep or keep[0] < 0 or keep[-1] >= len(blocks):
        raise TrainingError(
            f"layers {list(keep)} do not exist (the encoder has {len(blocks)})",
            code="AM529",
            hint=f"choose layer indices between 0 and {len(blocks) - 1}",
        )
    model.encoder.encoder.layer = nn.ModuleList([blocks[i] for i in keep])
    model.encoder.config.num_hidden_layers = len(keep)
    per_layer = getattr(model.encoder.config, "aimass_heads_per_layer", None)
    if per_layer:
        model.encoder.config.aimass_heads_per_layer = [per_layer[i] for i in keep]


def least_important_layers(importance: Importance, n_drop: int) -> list[int]:
    """The ``n_drop`` layers whose removal changes the outputs least (never all of them)."""
    n_drop = max(0, min(n_drop, len(importance.layers) - 1))
    return sorted(np.argsort(importance.layers, kind="stable")[:n_drop].tolist())


def prune(
    model: Any,
    enc: TextEncoder,
    texts: Sequence[str],
    labels: Sequence[str] | None = None,
    *,
    ffn_keep: float | int | None = None,
    heads_keep: float | int | None = None,
    drop: int = 0,
    importance: Importance | None = None,
) -> tuple[Any, PruneReport]:
    """A pruned copy of ``model`` (the original is untouched): importance measured on
    ``texts`` (unless given), then ``drop`` least important layers removed, then the FFN
    and heads of the remaining layers cut to ``ffn_keep`` / ``heads_keep``."""
    pruned = copy.deepcopy(model)
    blocks = encoder_layers(pruned)
    rep = PruneReport(
        heads_before=[n_heads(b) for b in blocks],
        ffn_before=int(blocks[0].intermediate.dense.out_features),
        params_before=n_params(pruned),
    )
    imp = importance or measure_importance(pruned, enc, texts, labels, layers=drop > 0)
    rep.importance = imp.summary()
    if drop:
        rep.removed_layers = least_important_layers(imp, drop)
        kept = [i for i in range(len(blocks)) if i not in rep.removed_layers]
        drop_layers(pruned, kept)
        imp = Importance(
            [imp.heads[i] for i in kept], [imp.ffn[i] for i in kept], imp.layers[kept], imp.n_texts
        )
    if ffn_keep is not None:
        prune_ffn(pruned, ffn_keep, imp)
    if heads_keep is not None:
        prune_heads(pruned, heads_keep, imp)
    blocks = encoder_layers(pruned)
    rep.heads_after = [n_heads(b) for b in blocks]
    rep.ffn_after = int(blocks[0].intermediate.dense.out_features)
    rep.params_after = n_params(pruned)
    log.info(
        "pruned: layers removed %s, heads %s -> %s, FFN %d -> %d, params %d -> %d",
        rep.removed_layers,
        rep.heads_before,
        rep.heads_after,
        rep.ffn_before,
        rep.ffn_after,
        rep.params_before,
        rep.params_after,
    )
    return pruned, rep
