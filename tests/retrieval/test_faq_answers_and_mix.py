"""An FAQ's answer lends its words to the lexical leg only; a second encoder mixes into the
dense leg by concatenation (aimass.retrieval.mix)."""

from __future__ import annotations

import numpy as np
import pytest

from aimass.retrieval.faq import FaqIndex
from aimass.retrieval.fusion import Fusion
from aimass.retrieval.mix import DenseMix, mix, mixed_embed
from aimass.schemas import Faq

FAQS = [
    Faq(id="strike", questions=["strikethrough in markdown"], answer="Use ~~tildes~~ around it."),
    Faq(id="refund", questions=["how do I get my money back"], answer="Refunds take 3 days."),
    Faq(id="ship", questions=["when will my order ship"], answer="Within 24 h."),
]


def split(text: str) -> list[str]:
    return text.lower().replace("~", " ").split()


def test_a_query_in_the_answers_words_finds_the_faq(embed) -> None:
    with_answers = FaqIndex(FAQS, embed, tokenize=split)
    (hits,) = with_answers.search(["tildes"], k=3, fusion=Fusion("lexical"))
    assert hits[0].faq.id == "strike"
    assert hits[0].variant == "strikethrough in markdown"  # a way of asking, never the answer
    questions_only = FaqIndex(FAQS, embed, tokenize=split, answers=False)
    (hits,) = questions_only.search(["tildes"], k=3, fusion=Fusion("lexical"))
    assert not hits or hits[0].hit.lexical == 0.0


def test_answers_stay_out_of_the_dense_leg(embed) -> None:
    index = FaqIndex(FAQS, embed, tokenize=split)
    # the answer's exact text: the dense leg scores the FAQ by its question, not the answer
    text = FAQS[1].answer
    (hits,) = index.search([text], k=3, fusion=Fusion("dense"))
    refund = next(h for h in hits if h.faq.id == "refund")
    expected = float(embed([text])[0] @ embed([FAQS[1].questions[0]])[0])
    assert refund.hit.dense == pytest.approx(expected, abs=1e-5)
    assert refund.variant == FAQS[1].questions[0]


def test_editing_and_deleting_an_faq_moves_its_answer_too(embed) -> None:
    index = FaqIndex(FAQS, embed, tokenize=split)
    index.upsert(Faq(id="strike", questions=["strikethrough in markdown"], answer="Use dashes."))
    (hits,) = index.search(["tildes"], k=3, fusion=Fusion("lexical"))
    assert all(h.faq.id != "strike" or h.hit.lexical == 0.0 for h in hits)
    assert index.delete("refund")
    (hits,) = index.search(["refunds"], k=3, fusion=Fusion("lexical"))
    assert "refund" not in [h.faq.id for h in hits]


def test_mixed_vectors_give_the_weighted_mean_cosine() -> None:
    rng = np.random.default_rng(0)

    def unit(n: int, d: int) -> np.ndarray:
        x = rng.normal(size=(n, d))
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)

    a, b = unit(4, 8), unit(4, 5)
    for w in (0.0, 0.3, 1.0):
        m = mix(a, b, w)
        assert np.allclose(np.linalg.norm(m, axis=1), 1.0, atol=1e-5)
        assert np.allclose(m @ m.T, (1 - w) * (a @ a.T) + w * (b @ b.T), atol=1e-5)
    with pytest.raises(ValueError):
        mix(a, b, 1.5)


def test_an_inactive_mix_leaves_the_model_alone(embed) -> None:
    def by_kind(texts: list[str], kind: str = "query") -> np.ndarray:
        return embed(texts)

    assert mixed_embed(by_kind, embed, DenseMix()) is by_kind
    assert DenseMix.from_dict(None) == DenseMix()
    m = DenseMix.from_dict({"expert": "minilm", "weight": 0.25})
    assert m.active and m.tag == "minilm0.25"
    out = mixed_embed(by_kind, embed, m)(["hello"], kind="query")
    assert out.shape == (1, 512)
