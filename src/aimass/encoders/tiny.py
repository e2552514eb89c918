"""Tiny random checkpoints of every supported backbone family, for fast tests.

Unit tests must run in seconds on a CPU and offline, yet prove that "any local Hugging Face
checkpoint of the BERT, ALBERT, RoBERTa and XLM-R families works as a backbone". So each
family gets a checkpoint laid out exactly as a real one (config.json with its
``model_type``, safetensors weights with a pooler, the family's own tokenizer class saved by
transformers), only 2 layers of width 32 and a vocabulary of a few hundred entries:

=============  ===========================================  ===========================
family         tokenizer (class, model)                     vocabulary from
=============  ===========================================  ===========================
bert           ``BertTokenizer``, WordPiece                 characters of the texts, ``##``
                                                            continuations, English words
albert         ``AlbertTokenizer``, Unigram (as real ALBERT)  trained on the texts
roberta        ``RobertaTokenizer``, byte-level BPE         trained on the texts
xlm-roberta    ``XLMRobertaTokenizer``, Unigram             trained on the texts
=============  ===========================================  ===========================

Weights are random (seeded, so a fixture is reproducible) and produce meaningless but
well-formed embeddings.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from aimass.errors import BackboneError, require

__all__ = ["DEFAULT_TEXTS", "TINY_FAMILIES", "build_tiny_backbone"]

TINY_FAMILIES = ("bert", "albert", "roberta", "xlm-roberta")

# Enough Chinese and English customer-service text for the trainers to find pieces.
DEFAULT_TEXTS = [
    "How do I reset my password?",
    "I want a refund for my order.",
    "Where is my package? It has not arrived yet.",
    "Can I change the delivery address?",
    "The app crashes when I open it.",
    "Please cancel my subscription.",
    "What are your opening hours?",
    "Thank you, that solved my problem!",
    "你好，请问怎么退款？",
    "我的订单什么时候到？",
    "密码忘记了，怎么重置密码？",
    "可以修改收货地址吗？",
    "这个商品有优惠券吗？",
    "客服电话是多少？",
    "我要投诉，快递太慢了！",
    "谢谢，问题已经解决了。",
]

# Common English words, so WordPiece vocabularies hold whole words, not only characters.
_ENGLISH_WORDS = (  # noqa: SIM905 (one string reads better than 64 list items)
    "the a an and or not no yes is are was be to of in on at for with my your you i we it this "
    "that what where when how why can do does please thank thanks hello hi order refund "
    "password reset account delivery address package app open cancel subscription hours "
    "price pay payment card help problem change want need time today"
).split()

_HIDDEN, _LAYERS, _HEADS, _FFN, _MAX_LEN = 32, 2, 2, 64, 64


def _bert_vocab(texts: list[str]) -> dict[str, int]:
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars: set[str] = set()
    words: set[str] = set(_ENGLISH_WORDS)
    for text in texts:
        low = text.lower()
        chars.update(c for c in low if not c.isspace())
        words.update(re.findall(r"[a-z0-9]+", low))
    chars.update("abcdefghijklmnopqrstuvwxyz0123456789.,!?'\"-:;()")
    cont = {"##" + c for c in chars if not _is_cjk(c)}
    tokens = specials + sorted(chars) + sorted(cont) + sorted(words - chars)
    return {tok: i for i, tok in enumerate(dict.fromkeys(tokens))}


def _is_cjk(char: str) -> bool:
    return "CJK" in unicodedata.name(char, "")


def _unigram_vocab(texts: list[str], specials: list[str], unk: str, albert: bool) -> list[Any]:
    """A small SentencePiece-style Unigram vocabulary: ``[(piece, log-probability), ...]``.

    The ``tokenizers`` trainer chooses the pieces; their scores are then recomputed from
    piece frequencies and sorted, because the trainer's own scores differ in the low digits
    from run to run (parallel sums, hash-map order) and a test fixture must be reproducible.
    """
    import math

    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.Unigram())
    # Train on text normalised the way the family's tokenizer class will normalise it.
    if albert:  # AlbertTokenizer: NFKD, accents stripped, lowercase
        tok.normalizer = normalizers.Sequence(
            [normalizers.NFKD(), normalizers.StripAccents(), normalizers.Lowercase()]
        )
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=400,
        special_tokens=specials,
        unk_token=unk,
        shrinking_factor=0.75,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    pieces = [p for p in tok.get_vocab() if p not in specials]
    corpus = [
        "\u2581" + (tok.normalizer.normalize_str(t) if tok.normalizer else t).replace(" ", "\u2581")
        for t in texts
    ]
    total = sum(len(t) for t in corpus)
    scored = [
        (p, round(math.log((sum(t.count(p) for t in corpus) + 1) / total), 6)) for p in pieces
    ]
    scored.sort(key=lambda ps: (-ps[1], ps[0]))
    return [(s, 0.0) for s in specials] + scored


def _build_tokenizer(family: str, texts: list[str]) -> Any:
    """The family's own transformers tokenizer class, built from a small vocabulary."""
    if family == "bert":
        from transformers import BertTokenizer

        return BertTokenizer(vocab=_bert_vocab(texts), model_max_length=_MAX_LEN)
    if family == "albert":
        from transformers import AlbertTokenizer

        specials = ["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"]  # ALBERT's order
        vocab = _unigram_vocab(texts, specials, "<unk>", albert=True)
        return AlbertTokenizer(vocab=vocab, model_max_length=_MAX_LEN)
    if family == "xlm-roberta":
        from transformers import XLMRobertaTokenizer

        specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # unk must be id 3
        vocab = _unigram_vocab(texts, specials, "<unk>", albert=False)
        return XLMRobertaTokenizer(vocab=vocab, model_max_length=_MAX_LEN)
    if family == "roberta":
        import json

        from tokenizers import Tokenizer, models, pre_tokenizers, trainers
        from transformers import RobertaTokenizer

        bpe = Tokenizer(models.BPE())
        bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        trainer = trainers.BpeTrainer(
            vocab_size=400,
            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        bpe.train_from_iterator(texts, trainer=trainer)
        model = json.loads(bpe.to_str())["model"]
        merges: Any = [
            tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]
        ]
        return RobertaTokenizer(vocab=model["vocab"], merges=merges, model_max_length=_MAX_LEN)
    raise BackboneError(
        f"no tiny backbone for family {family!r}",
        code="AM302",
        hint="choose one of: " + ", ".join(TINY_FAMILIES),
    )


def _config(family: str, tokenizer: Any) -> Any:
    from transformers import AutoConfig

    common: dict[str, Any] = {
        "vocab_size": len(tokenizer),
        "hidden_size": _HIDDEN,
        "num_hidden_layers": _LAYERS,
        "num_attention_heads": _HEADS,
        "intermediate_size": _FFN,
        "pad_token_id": tokenizer.pad_token_id,
    }
    if family in ("roberta", "xlm-roberta"):
        # RoBERTa positions start after padding_idx, so two rows more than the max length.
        common.update(
            max_position_embeddings=_MAX_LEN + tokenizer.pad_token_id + 1,
            type_vocab_size=1,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    else:
        common.update(max_position_embeddings=_MAX_LEN, type_vocab_size=2)
    if family == "albert":
        common.update(embedding_size=16, num_hidden_groups=1, inner_group_num=1)
    return AutoConfig.for_model(family, **common)


def build_tiny_backbone(
    family: str, out_dir: Path, vocab_texts: list[str] | None = None, *, seed: int = 0
) -> Path:
    """Write a tiny random checkpoint of ``family`` into ``out_dir`` and return the folder.

    ``vocab_texts`` shape the vocabulary (defaults to :data:`DEFAULT_TEXTS`); pass the texts
    a test encodes so that they tokenise into real pieces rather than unknowns. The global
    torch RNG is left untouched.
    """
    if family not in TINY_FAMILIES:
        raise BackboneError(
            f"no tiny backbone for family {family!r}",
            code="AM302",
            hint="choose one of: " + ", ".join(TINY_FAMILIES),
        )
    require("torch", "train")
    require("transformers", "train")
    import torch
    from transformers import AutoModel

    texts = list(vocab_texts) if vocab_texts else []
    texts += DEFAULT_TEXTS
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = _build_tokenizer(family, texts)
    config = _config(family, tokenizer)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = AutoModel.from_config(config)  # with a pooler, as real checkpoints have
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    return out_dir
