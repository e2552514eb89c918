"""Inference with the torch model, batched; the same code serves evaluation and production.

Texts are sorted by length before batching so a batch pads to similar lengths (a large
saving on CPU), then results are put back in the caller's order.
"""

from __future__ import annotations

import numpy as np
import torch

from aimass.model.multitask import MultiTaskModel
from aimass.model.textenc import Kind, TextEncoder


def device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def to_device(x: object, device: torch.device) -> object:
    """Move a batch (a tensor, a dict of tensors or a tuple of those) to ``device``."""
    if isinstance(x, torch.Tensor):
        return x.to(device)
    if isinstance(x, dict):
        return {k: to_device(v, device) for k, v in x.items()}
    if isinstance(x, tuple):
        return tuple(to_device(v, device) for v in x)
    return x


def _by_length(texts: list[str]) -> list[int]:
    return sorted(range(len(texts)), key=lambda i: len(texts[i]))


@torch.no_grad()
def pooled_vectors(
    model: MultiTaskModel,
    enc: TextEncoder,
    texts: list[str],
    *,
    kind: Kind = "query",
    batch_size: int = 64,
) -> torch.Tensor:
    """Mean-pooled encoder vectors ``(N, H)`` in input order, float32."""
    # train()/eval() walk every module (milliseconds a call): switch only when needed, since
    # a served model is in eval mode already and this runs on every request
    was_training = model.training
    if was_training:
        model.eval()
    device = device_of(model)
    order = _by_length(texts)
    out = torch.empty(len(texts), model.hidden_size)
    for start in range(0, len(texts), batch_size):
        idx = order[start : start + batch_size]
        batch = to_device(enc([texts[i] for i in idx], kind=kind), device)
        out[idx] = model.pool(batch).float().cpu()  # type: ignore[arg-type]
    if was_training:
        model.train()
    return out


def head_outputs(
    model: MultiTaskModel,
    enc: TextEncoder,
    task: str,
    texts: list[str],
    *,
    kind: Kind = "query",
    batch_size: int = 64,
    pooled: torch.Tensor | None = None,
) -> torch.Tensor:
    """One head's outputs for ``texts``; ``pooled`` (their pooled vectors, already computed)
    saves the encoder pass."""
    if pooled is None:
        pooled = pooled_vectors(model, enc, texts, kind=kind, batch_size=batch_size)
    head = model.heads[task]
    was_training = head.training
    head.eval()
    with torch.no_grad():
        out = head(pooled.to(device_of(model))).float().cpu()
    head.train(was_training)
    return out


def intent_probabilities(
    model: MultiTaskModel, enc: TextEncoder, texts: list[str], batch_size: int = 64
) -> np.ndarray:
    head = model.heads["intent"]
    logits = head_outputs(model, enc, "intent", texts, batch_size=batch_size)
    return head.probabilities(logits.to(device_of(model))).cpu().numpy()  # type: ignore[operator]


def tag_probabilities(
    model: MultiTaskModel, enc: TextEncoder, texts: list[str], batch_size: int = 64
) -> np.ndarray:
    head = model.heads["profile"]
    logits = head_outputs(model, enc, "profile", texts, batch_size=batch_size)
    return head.probabilities(logits.to(device_of(model))).cpu().numpy()  # type: ignore[operator]


def embeddings(
    model: MultiTaskModel,
    enc: TextEncoder,
    texts: list[str],
    *,
    kind: Kind = "query",
    batch_size: int = 64,
) -> np.ndarray:
    """L2-normalised matching embeddings ``(N, H)`` (the pooled vector when the model has no
    matching head: retrieval still works zero-shot from the encoder)."""
    if "matching" in model.heads:
        return head_outputs(model, enc, "matching", texts, kind=kind, batch_size=batch_size).numpy()
    pooled = pooled_vectors(model, enc, texts, kind=kind, batch_size=batch_size)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


@torch.no_grad()
def pair_logits(
    model: MultiTaskModel,
    enc: TextEncoder,
    a: list[str],
    b: list[str],
    batch_size: int = 64,
) -> np.ndarray:
    head = model.heads["pair"]
    if head.input_kind == "bi":  # embed each distinct question once, score by cosine
        texts = list(dict.fromkeys([*a, *b]))
        at = {t: i for i, t in enumerate(texts)}
        vec = head(pooled_vectors(model, enc, texts, batch_size=batch_size).to(device_of(model)))
        ia = torch.tensor([at[t] for t in a], dtype=torch.long)
        ib = torch.tensor([at[t] for t in b], dtype=torch.long)
        return head.pair_logits(vec[ia], vec[ib]).float().cpu().numpy()  # type: ignore[operator,no-any-return]
    was_training = model.training
    if was_training:
        model.eval()
    order = sorted(range(len(a)), key=lambda i: len(a[i]) + len(b[i]))
    out = np.empty(len(a), dtype=np.float32)
    device = device_of(model)
    for start in range(0, len(a), batch_size):
        idx = order[start : start + batch_size]
        batch = to_device(enc.pairs([a[i] for i in idx], [b[i] for i in idx]), device)
        out[idx] = head(model.pool(batch)).float().cpu().numpy()  # type: ignore[arg-type]
    if was_training:
        model.train()
    return out
