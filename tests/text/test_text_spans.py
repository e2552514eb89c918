"""Highlighting why an FAQ or passage matched: the shared terms, on the typed characters."""

from __future__ import annotations

import itertools

import pytest
from textcases import TRICKY

from aimass.text import Analyzer, matching_spans, merge_spans


def pieces(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[s:e] for s, e in spans]


def test_chinese_paraphrase_highlights_the_shared_word() -> None:
    query, faq = "我想退货怎么办", "怎么申请退货退款"
    q, f = matching_spans(query, faq)
    assert pieces(query, q) == ["退货怎么"]
    assert pieces(faq, f) == ["怎么", "退货"]


def test_traditional_and_full_width_query_highlights_its_own_characters() -> None:
    query, faq = "ｉＰｈｏｎｅ　１５怎麼退貨", "iPhone 15 退货政策"
    q, f = matching_spans(query, faq)
    assert pieces(query, q) == ["ｉＰｈｏｎｅ　１５", "退貨"]
    assert pieces(faq, f) == ["iPhone 15 退货"]


def test_english_stems_match_across_word_forms() -> None:
    query, faq = "how do I return shoes?", "What is your returns policy for shoe orders"
    q, f = matching_spans(query, faq)
    assert pieces(query, q) == ["return shoes"]
    assert pieces(faq, f) == ["returns", "shoe"]


def test_single_characters_inside_other_words_do_not_light_up() -> None:
    # '么' of 怎么 and of 什么, '是' …: nothing in common but characters of different words
    query, faq = "会员积分怎么用", "退货政策是什么"
    assert matching_spans(query, faq) == ([], [])
    # … unless single characters are all the two texts share
    q, f = matching_spans("退货", "退款")
    assert pieces("退货", q) == ["退"] and pieces("退款", f) == ["退"]


def test_nothing_shared_and_empty_text() -> None:
    assert matching_spans("😊", "你好") == ([], [])
    assert matching_spans("", "退货") == ([], [])
    assert matching_spans("hello", "") == ([], [])


def test_custom_analyzer_is_used() -> None:
    analyzer = Analyzer(user_words=["小蜜商城"], cjk_ngrams=())
    q, f = matching_spans("小蜜商城在哪", "小蜜商城总部地址", analyzer=analyzer)
    assert q == [(0, 4)] and f == [(0, 4)]


def test_merge_spans() -> None:
    assert merge_spans([(5, 7), (0, 2), (2, 3), (6, 9), (12, 12)]) == [(0, 3), (5, 9)]
    assert merge_spans([]) == []
    assert merge_spans([(0, 6), (7, 9)], text="iPhone 15") == [(0, 9)]
    assert merge_spans([(0, 2), (5, 7)], text="ab, cde") == [(0, 2), (5, 7)]


@pytest.mark.parametrize("text", TRICKY)
def test_span_invariants_on_tricky_text(text: str) -> None:
    for other in (text, "我的iPhone 15 Pro怎么退货", "return refund 退款"):
        for spans, source in zip(matching_spans(text, other), (text, other), strict=True):
            assert all(0 <= s < e <= len(source) for s, e in spans)
            assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))
