"""Chinese retrieval on the demo bot's own FAQs and knowledge base, lexical leg only (no model):
paraphrases, traditional characters and full-width text find the right entry, and the text
layer finds what an English-style whitespace tokenizer cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

import aimass
from aimass.data.project import load_project
from aimass.retrieval.faq import FaqIndex
from aimass.retrieval.kb import KbIndex
from aimass.retrieval.lexical import LexicalIndex

DEMO = Path(aimass.__file__).parent / "demo" / "shopmate"


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    return load_project(DEMO)


@pytest.fixture(scope="module")
def faqs(demo) -> FaqIndex:  # type: ignore[no-untyped-def]
    return FaqIndex(demo.faqs, None)


@pytest.mark.parametrize(
    ("query", "faq_id"),
    [
        ("请问退款几天能到账", "refund-timeline"),  # paraphrase
        ("退款幾天能到賬", "refund-timeline"),  # traditional characters
        ("满９９元包邮吗", "shipping-fee"),  # full-width digits
        ("可以指定ＳＦ顺丰快递吗", "shipping-couriers"),  # full-width letters
        ("衣服尺碼不合適可以換嗎", "exchange-policy"),  # traditional paraphrase
        ("收到货发现破损了", "order-damaged"),
        ("订单被自动取消是怎么回事", "order-unpaid-timeout"),
    ],
)
def test_paraphrased_chinese_questions_find_their_faq(
    faqs: FaqIndex, query: str, faq_id: str
) -> None:
    # the lexical leg alone: the right FAQ among the top 3 (the hybrid with the trained
    # model's embeddings ranks it first: see tests/test_demo_bot.py)
    (hits,) = faqs.search([query], k=3)
    assert faq_id in [h.faq.id for h in hits], [(h.faq.id, round(h.hit.lexical, 2)) for h in hits]


def test_chinese_bm25_finds_what_a_whitespace_tokenizer_misses(demo) -> None:  # type: ignore[no-untyped-def]
    questions = [q for f in demo.faqs for q in f.questions]
    query = "退款多久能到"
    english_style = LexicalIndex(tokenize=lambda t: t.lower().split())
    english_style.add(questions)
    assert english_style.scores(query).max() == 0.0  # a Chinese sentence is one "word"
    ours = LexicalIndex()
    ours.add(questions)
    best = questions[int(ours.scores(query).argmax())]
    assert "退款" in best


@pytest.mark.parametrize(
    ("query", "doc_id_part", "section_part"),
    [
        ("七天无理由退货需要满足什么条件", "returns-and-refunds", "退货"),
        ("花呗分期手續費怎麼算", "payments-and-instalments", "花呗"),
        ("发票怎么开", "invoices", ""),
    ],
)
def test_chinese_questions_find_the_kb_section(
    demo,
    query: str,
    doc_id_part: str,
    section_part: str,  # type: ignore[no-untyped-def]
) -> None:
    kb = KbIndex(demo.kb, None)
    (hits,) = kb.search([query], k=3)
    top = hits[0]
    assert doc_id_part in top.passage.doc_id, [h.source for h in hits]
    assert section_part in " ".join(top.passage.heading_path) + top.passage.title
    assert top.source.startswith("kb/") and top.best_sentence
