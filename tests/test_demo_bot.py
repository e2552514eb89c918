"""The bundled demo bot, trained for real on the packaged backbone: it validates clean and
answers the questions the README promises (slow tier: a few minutes on 2 cores)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aimass.cli.demo_cmd import demo_project
from aimass.data.project import validate_project
from aimass.schemas import DecisionKind


def test_demo_bot_validates_clean() -> None:
    problems = validate_project(demo_project())
    assert problems == [], [str(p) for p in problems[:5]]


@pytest.mark.slow
def test_demo_bot_answers_sensibly(tmp_path: Path) -> None:
    from aimass.runtime.assistant import Assistant
    from aimass.training.from_project import train_project

    # One epoch: the linear-probe start already answers these; the full demo trains longer.
    # (Three epochs took 7 minutes on a 2-core machine without bf16, half of `make test`.)
    train_project(demo_project(), tmp_path / "model", overrides={"epochs": 1}, progress=False)
    bot = Assistant.load(tmp_path / "model")

    for text in ("我想退货怎么办", "how do I return an item"):
        r = bot.respond(text)
        assert r.decision.kind is DecisionKind.ANSWER, r.decision
        assert r.decision.source in {"faq:return-policy", "intent:return_item"}, r.decision
        assert r.intent is not None and r.intent.name == "return_item"

    r = bot.respond("你们支持花呗吗")
    assert r.decision.kind is DecisionKind.ANSWER, r.decision
    assert r.decision.source in {
        "faq:payment-huabei",
        "faq:payment-methods",
        "intent:payment_methods",
    }
    assert "花呗" in r.decision.reply

    r = bot.respond("what's the weather on Mars")
    assert r.out_of_scope
    assert r.decision.kind is DecisionKind.FALLBACK

    # unseen paraphrases, in both languages
    assert bot.respond("东西坏了能退吗").intent.name in {"return_item", "damaged_item"}  # type: ignore[union-attr]
    assert bot.respond("can I pay in instalments with huabei").faqs[0].faq_id.startswith("payment")

    # hybrid retrieval on Chinese paraphrases, traditional characters and full-width text
    for query, faq_id in [
        ("请问退款几天能到账", "refund-timeline"),
        ("退款幾天能到賬", "refund-timeline"),
        ("满９９元包邮吗", "shipping-fee"),
        ("衣服尺碼不合適可以換嗎", "exchange-policy"),
    ]:
        assert bot.search_faqs(query)[0].faq_id == faq_id, query
    kb = bot.search_kb("花呗分期手續費怎麼算")[0]
    assert kb.source == "kb/payments-and-instalments.md#花呗分期手续费"
    assert kb.best_sentence is not None
