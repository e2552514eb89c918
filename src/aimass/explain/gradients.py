"""Integrated gradients (Sundararajan et al. 2017) of the intent log-odds with respect to
the encoder's input embeddings, with captum; summed per sub-word token, then per word span.

The baseline keeps the special tokens and the backbone's query prefix and replaces every
token of the message with padding, so the attribution is the message's words' share of the
difference to an empty message. It explains the fine-tuned transformer (with its temperature);
the served probability may also include the lexical experts (occlusion covers those).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aimass.errors import InputError, require
from aimass.explain.units import Span


def token_attributions(
    model: Any, enc: Any, text: str, target: int, *, steps: int = 32
) -> tuple[list[Span], np.ndarray]:
    """``(spans, scores)`` per sub-word token of ``text`` (spans into ``text``; tokens of the
    prefix and special tokens are left out)."""
    require("captum", "explain")
    import torch
    from captum.attr import LayerIntegratedGradients

    if "intent" not in model.heads:
        raise InputError(
            "the model has no intent head to explain", code="AM561", hint="use a model with intents"
        )
    prefix = enc.query_prefix
    batch = enc.tokenizer(
        [prefix + text],
        truncation=True,
        max_length=enc.max_length,
        return_offsets_mapping=True,
        return_special_tokens_mask=True,
        return_tensors="pt",
    )
    offsets = batch["offset_mapping"][0].tolist()
    special = batch["special_tokens_mask"][0].tolist()
    ids, mask = batch["input_ids"], batch["attention_mask"]
    in_text = [
        not sp and e > s and e > len(prefix) for (s, e), sp in zip(offsets, special, strict=True)
    ]
    pad = enc.tokenizer.pad_token_id if enc.tokenizer.pad_token_id is not None else 0
    baseline = ids.clone()
    baseline[0, torch.tensor(in_text, dtype=torch.bool)] = pad
    head = model.heads["intent"]

    def forward(input_ids: Any, attention_mask: Any) -> Any:
        pooled = model.pool({"input_ids": input_ids, "attention_mask": attention_mask})
        # Log-odds of each class, z_c - logsumexp_{j≠c} z_j: a saturated softmax (or its
        # log) has no gradient left to integrate, the log-odds still move.
        z = head(pooled) / head.temperature  # (B, C)
        eye = torch.eye(z.shape[-1], dtype=torch.bool, device=z.device)
        others = z.unsqueeze(1).expand(-1, z.shape[-1], -1).masked_fill(eye, float("-inf"))
        return z - torch.logsumexp(others, dim=-1)

    was_training = model.training
    model.eval()
    try:
        lig = LayerIntegratedGradients(forward, model.encoder.get_input_embeddings())
        attr = lig.attribute(
            ids,
            baselines=baseline,
            target=int(target),
            additional_forward_args=(mask,),
            n_steps=steps,
            internal_batch_size=steps,
        )
    finally:
        model.train(was_training)
    scores = attr.sum(-1)[0].detach().float().numpy()
    spans = [
        (max(0, s - len(prefix)), e - len(prefix))
        for (s, e), keep in zip(offsets, in_text, strict=True)
        if keep
    ]
    return spans, scores[np.array(in_text, dtype=bool)]


def to_words(token_spans: list[Span], token_scores: np.ndarray, words: list[Span]) -> np.ndarray:
    """Sum token scores into the word spans they overlap (a token split across two words
    is shared equally); tokens outside every word (punctuation) are dropped."""
    out = np.zeros(len(words))
    for (ts, te), v in zip(token_spans, token_scores, strict=True):
        hit = [i for i, (ws, we) in enumerate(words) if ts < we and ws < te]
        for i in hit:
            out[i] += float(v) / len(hit)
    return out
