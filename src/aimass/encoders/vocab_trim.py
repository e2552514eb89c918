"""Trim a Unigram (SentencePiece) vocabulary to the pieces a bot needs.

multilingual-e5-small spends 96 M of its 118 M parameters on a 250,002 x 384 embedding
table, nearly all of it for languages a bot never sees. Keeping only

- the special tokens,
- every piece the training data actually uses,
- every single-character piece (so any text still tokenises, falling back to characters),
- and a reserve of the most probable pieces (the Unigram score is a log-probability),

makes the table a few percent of its size. Tokenisation of text whose full-vocabulary
segmentation uses only kept pieces is *identical* (Viterbi over a subset of pieces still
finds the same best path); other text degrades gracefully to shorter pieces.

Only Unigram tokenizers can be trimmed this way: a BPE tokenizer's merges refer to pieces by
name, and a WordPiece tokenizer has no scores; for those ``trim_vocabulary`` returns the
inputs unchanged (and says so in the log).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import torch
from torch import nn

if TYPE_CHECKING:
    from transformers import PreTrainedModel

log = logging.getLogger(__name__)


def is_unigram(tokenizer: Any) -> bool:
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    return bool(spec.get("model", {}).get("type") == "Unigram")


def select_pieces(tokenizer: Any, texts: Iterable[str], reserve: int) -> list[int]:
    """Ids to keep, ascending (so specials keep their order at the front)."""
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    vocab: list[list[Any]] = spec["model"]["vocab"]
    keep: set[int] = {int(t["id"]) for t in spec.get("added_tokens", [])}
    unk_id = spec["model"].get("unk_id")
    if unk_id is not None:
        keep.add(int(unk_id))
    for i, (piece, _score) in enumerate(vocab):
        body = piece[1:] if piece.startswith("\u2581") else piece
        if len(body) <= 1:  # "▁", single characters, "▁x"
            keep.add(i)
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) >= 2048:
            keep.update(_used_ids(tokenizer, batch))
            batch = []
    if batch:
        keep.update(_used_ids(tokenizer, batch))
    if reserve > 0:
        by_score = sorted(range(len(vocab)), key=lambda i: -float(vocab[i][1]))
        added = 0
        for i in by_score:
            if added >= reserve:
                break
            if i not in keep:
                keep.add(i)
                added += 1
    return sorted(keep)


def _used_ids(tokenizer: Any, texts: list[str]) -> set[int]:
    out: set[int] = set()
    for ids in tokenizer(texts, add_special_tokens=True)["input_ids"]:
        out.update(ids)
    return out


def trim_vocabulary(
    tokenizer: Any, encoder: nn.Module, texts: Iterable[str], *, reserve: int = 20000
) -> tuple[Any, nn.Module, dict[str, int]]:
    """Return a trimmed tokenizer and the encoder with a matching embedding table.

    Works in place on ``encoder`` (its input embeddings are replaced).
    """
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    if not is_unigram(tokenizer):
        log.info("vocabulary not trimmed: only Unigram (SentencePiece) vocabularies can be")
        n = len(tokenizer)
        return tokenizer, encoder, {"vocab_before": n, "vocab_after": n}

    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    old_size = len(spec["model"]["vocab"])
    kept = select_pieces(tokenizer, texts, reserve)
    remap = {old: new for new, old in enumerate(kept)}

    spec["model"]["vocab"] = [spec["model"]["vocab"][i] for i in kept]
    if spec["model"].get("unk_id") is not None:
        spec["model"]["unk_id"] = remap[int(spec["model"]["unk_id"])]
    for tok in spec.get("added_tokens", []):
        tok["id"] = remap[int(tok["id"])]
    _remap_post_processor(spec.get("post_processor"), remap)

    backend = Tokenizer.from_str(json.dumps(spec, ensure_ascii=False))
    special = {
        name: getattr(tokenizer, name)
        for name in (
            "bos_token",
            "eos_token",
            "unk_token",
            "sep_token",
            "pad_token",
            "cls_token",
            "mask_token",
        )
        if getattr(tokenizer, name, None) is not None
    }
    new_tok = PreTrainedTokenizerFast(
        tokenizer_object=backend, model_max_length=tokenizer.model_max_length, **special
    )

    hf = cast("PreTrainedModel", encoder)  # the Hugging Face encoder API
    emb = cast(nn.Embedding, hf.get_input_embeddings())
    index = torch.tensor(kept, dtype=torch.long)
    new_emb = nn.Embedding(len(kept), emb.weight.shape[1], padding_idx=_new_pad(emb, remap))
    with torch.no_grad():
        new_emb.weight.copy_(emb.weight[index])
    hf.set_input_embeddings(new_emb)
    hf.config.vocab_size = len(kept)
    if getattr(hf.config, "pad_token_id", None) is not None:
        hf.config.pad_token_id = remap.get(int(hf.config.pad_token_id), 0)
    log.info("vocabulary trimmed from %d to %d pieces", old_size, len(kept))
    return new_tok, encoder, {"vocab_before": old_size, "vocab_after": len(kept)}


def _new_pad(emb: nn.Embedding, remap: dict[int, int]) -> int | None:
    if emb.padding_idx is None:
        return None
    return remap.get(int(emb.padding_idx))


def _remap_post_processor(pp: dict[str, Any] | None, remap: dict[int, int]) -> None:
    if not pp:
        return
    if pp.get("type") == "Sequence":
        for sub in pp.get("processors", []):
            _remap_post_processor(sub, remap)
        return
    for tok in (pp.get("special_tokens") or {}).values():  # TemplateProcessing
        tok["ids"] = [remap[int(i)] for i in tok["ids"]]
    for key in ("sep", "cls"):  # RobertaProcessing / BertProcessing: [token, id]
        if key in pp and isinstance(pp[key], list):
            pp[key] = [pp[key][0], remap[int(pp[key][1])]]
