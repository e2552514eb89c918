"""Vocabulary trimming keeps tokenisation identical inside the kept vocabulary and degrades
gracefully (shorter pieces, never an error) outside it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from aimass.encoders.backbone import load_backbone
from aimass.encoders.vocab_trim import is_unigram, trim_vocabulary

KEPT = ["我想退货怎么办", "how do I return an item", "你们支持花呗吗", "退货要多久"]
OUTSIDE = ["photosynthesis in chloroplasts", "量子纠缠的贝尔不等式", "🙂 emoji 😀"]


def check_trim(path: Path, reserve: int) -> None:
    encoder, tok, _ = load_backbone(path)
    assert is_unigram(tok)
    full = [tok(t)["input_ids"] for t in KEPT]
    full_pieces = [tok.convert_ids_to_tokens(ids) for ids in full]
    emb_before = encoder.get_input_embeddings().weight.detach().clone()
    new_tok, encoder, stats = trim_vocabulary(tok, encoder, KEPT, reserve=reserve)
    assert stats["vocab_after"] < stats["vocab_before"]
    assert encoder.get_input_embeddings().weight.shape[0] == stats["vocab_after"]
    for text, pieces, ids in zip(KEPT, full_pieces, full, strict=True):
        new_ids = new_tok(text)["input_ids"]
        assert new_tok.convert_ids_to_tokens(new_ids) == pieces  # identical segmentation
        # ... and each piece keeps its pre-trained vector
        emb = encoder.get_input_embeddings().weight
        for old, new in zip(ids, new_ids, strict=True):
            assert torch.equal(emb[new], emb_before[old])
    for text in OUTSIDE:
        ids = new_tok(text)["input_ids"]
        assert ids and max(ids) < stats["vocab_after"]
        assert new_tok.decode(ids, skip_special_tokens=True).replace(" ", "") != ""


def test_trim_tiny_unigram(tiny_backbones: Callable[[str], Path]) -> None:
    check_trim(tiny_backbones("xlm-roberta"), reserve=10)


@pytest.mark.slow
def test_trim_real_e5_vocabulary() -> None:
    from aimass.encoders.backbone import resolve_backbone

    check_trim(resolve_backbone("e5-small"), reserve=1000)
