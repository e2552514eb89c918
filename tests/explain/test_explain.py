"""Explanations of a tiny model whose intents are each decided by one known word: both
attribution methods must find that word, the spans must land on the message's characters
(Chinese included), and deleting the top-attributed word must hurt more than deleting a
random one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aimass.errors import InputError
from aimass.evaluation.trust import deletion_scores
from aimass.explain import delete_spans, word_spans
from aimass.explain.explainer import attributions
from aimass.runtime.assistant import Assistant
from aimass.schemas.response import Explanation, Response

HELD_OUT = [
    ("hello refund please now", "refund"),
    ("my password help thanks", "password"),
    ("i need the delivery today", "delivery"),
    ("你好退款谢谢", "退款"),
    ("请问我的密码怎么", "密码"),
    ("今天快递帮忙", "快递"),
]


@pytest.fixture(scope="module")
def assistant(keyword_artifact: Path) -> Assistant:
    return Assistant.load(keyword_artifact)


def test_word_spans_are_offsets_into_the_original_text() -> None:
    text = "我想退貨 please，ＲＥＦＵＮＤ now"
    spans = word_spans(text)
    words = [text[s:e] for s, e in spans]
    assert "please" in words and "ＲＥＦＵＮＤ" in words  # full-width kept as typed
    assert any("貨" in w for w in words)  # traditional character, original offsets
    assert all(text[s:e].strip() == text[s:e] and e > s for s, e in spans)
    assert delete_spans("hello refund please", [(6, 12)]) == "hello please"


@pytest.mark.parametrize("method", ["occlusion", "ig"])
def test_the_deciding_word_is_attributed_first(assistant: Assistant, method: str) -> None:
    for text, word in HELD_OUT:
        e = assistant.explain(text, method)
        best = max(e.attributions, key=lambda a: a.score)
        assert best.text == word, (method, text, [(a.text, a.score) for a in e.attributions])
        assert text[best.start : best.end] == word


def test_explanation_record(assistant: Assistant) -> None:
    e = assistant.explain("你好退款谢谢")
    assert isinstance(e, Explanation)
    assert e.intent == "refund" and e.runner_up in {"password", "delivery"}
    assert e.gap is not None and e.gap > 0 and "lost to refund" in e.why_runner_up_lost
    assert "退款" in e.why_runner_up_lost  # the word that tipped it
    assert e.nearest and e.nearest[0].intent == "refund"
    assert e.scope_score is not None and e.scope_threshold is not None
    # It travels in a Response (the API) and round-trips as JSON.
    r = assistant.respond("你好退款谢谢").model_copy(update={"explanation": e})
    assert Response.model_validate_json(r.model_dump_json()).explanation == e


def test_unknown_method_is_a_coded_error(assistant: Assistant) -> None:
    with pytest.raises(InputError) as err:
        assistant.explain("hello refund", "shap")
    assert err.value.code == "AM560"


def test_deleting_top_attributed_words_hurts_more_than_random(assistant: Assistant) -> None:
    texts = [t for t, _ in HELD_OUT]
    for method in ("occlusion", "ig"):

        def spans(text: str, m: str = method) -> list[tuple[int, int, float]]:
            sp, scores, _, _ = attributions(assistant.predictor, text, m)
            return [(s, e, float(v)) for (s, e), v in zip(sp, scores, strict=True)]

        result = deletion_scores(
            texts, spans, assistant.predictor.intent_probabilities, k=1, seeds=range(5)
        )
        assert result["n"] == len(texts)
        # The deciding word's deletion flips the prediction; a random word is mostly filler.
        assert result["top_drop"] > 0.5, result
        assert result["margin"] > 0.3, result
        assert np.isfinite(result["aopc"])


def test_ig_spans_skip_the_backbone_prefix(assistant: Assistant) -> None:
    """E5 backbones encode "query: " + text; token offsets must still land on the message."""
    from aimass.explain.gradients import token_attributions

    pred = assistant.predictor
    text = "你好退款谢谢"
    old = pred.enc.query_prefix
    try:
        pred.enc.query_prefix = "hello: "
        spans, scores = token_attributions(pred.model, pred.enc, text, 0, steps=4)
    finally:
        pred.enc.query_prefix = old
    assert spans and len(spans) == len(scores)
    assert "".join(text[s:e] for s, e in spans) == text  # every character, none of the prefix
