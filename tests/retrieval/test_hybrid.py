from __future__ import annotations

import numpy as np
import pytest

from aimass.retrieval.dense import DenseIndex, DenseOptions
from aimass.retrieval.faq import FaqIndex
from aimass.retrieval.fusion import Fusion, fit_fusion, fit_weight, ranking_nll
from aimass.retrieval.hybrid import Entry, HybridIndex
from aimass.schemas import Faq

FAQS = [
    Faq(
        id="return", questions=["how do I return an item", "退货怎么办"], answer="Returns: 7 days."
    ),
    Faq(id="ship", questions=["when will my order ship", "什么时候发货"], answer="Within 24 h."),
    Faq(
        id="pay", questions=["which payment methods do you accept", "支持花呗吗"], answer="Alipay."
    ),
]


def split(text: str) -> list[str]:
    return text.lower().split()


def test_each_faq_is_found_by_its_own_variants(embed) -> None:
    index = FaqIndex(FAQS, embed, tokenize=split)
    for faq in FAQS:
        for q in faq.questions:
            ((top, *_),) = index.search([q], k=3)
            assert top.faq.id == faq.id
            assert top.variant == q


def test_hits_are_grouped_per_faq_and_ordered(embed) -> None:
    index = FaqIndex(FAQS, embed, tokenize=split)
    (hits,) = index.search(["return an item please"], k=3)
    ids = [h.faq.id for h in hits]
    assert len(ids) == len(set(ids)) == 3
    assert ids[0] == "return"
    fused = [h.hit.fused for h in hits]
    assert fused == sorted(fused, reverse=True)
    assert hits[0].hit.lexical > 0  # shares words with the variant


def test_upsert_and_delete_change_results_without_rebuilding(embed) -> None:
    index = FaqIndex(FAQS, embed, tokenize=split)
    index.upsert(Faq(id="gift", questions=["can I buy a gift card"], answer="Yes."))
    (hits,) = index.search(["gift card"], k=1)
    assert hits[0].faq.id == "gift"
    # editing replaces the old variants: the old wording no longer matches this FAQ best
    index.upsert(Faq(id="gift", questions=["do you sell vouchers"], answer="Yes."))
    (hits,) = index.search(["vouchers"], k=1)
    assert hits[0].faq.id == "gift" and hits[0].variant == "do you sell vouchers"
    assert index.delete("gift") and not index.delete("gift")
    (hits,) = index.search(["vouchers"], k=5)
    assert "gift" not in [h.faq.id for h in hits]
    assert len(index) == 3


def test_lexical_only_and_empty_index() -> None:
    index = FaqIndex(FAQS, None, tokenize=split)
    (hits,) = index.search(["payment methods"], k=2)
    assert hits[0].faq.id == "pay"
    assert hits[0].hit.dense == -1.0
    empty = FaqIndex([], None, tokenize=split)
    assert empty.search(["anything"]) == [[]]


def test_query_sharing_no_word_is_found_by_the_dense_leg(embed) -> None:
    index = FaqIndex(FAQS, embed, tokenize=split)
    (hits,) = index.search(["returning"], k=1)  # no whole word in common, similar n-grams
    assert hits[0].faq.id == "return"
    assert hits[0].hit.lexical == 0.0


def test_fusion_rules() -> None:
    dense = np.array([0.9, 0.8, -np.inf])
    lexical = np.array([0.0, 10.0, 5.0])
    assert Fusion("dense").fuse(dense, lexical).argmax() == 0
    assert Fusion("lexical").fuse(dense, lexical).argmax() == 1
    assert Fusion("weighted", 0.5).fuse(dense, lexical).argmax() == 1  # 0.8 + 0.5 > 0.9
    assert Fusion("weighted", 0.05).fuse(dense, lexical).argmax() == 0
    rrf = Fusion("rrf").fuse(dense, lexical)
    assert rrf[1] > rrf[0] > 0 and rrf[2] > 0
    assert Fusion.from_dict(Fusion("rrf", 0.3).to_dict()) == Fusion("rrf", 0.3)


def test_fit_weight_picks_the_weight_that_ranks_dev_best(embed) -> None:
    index = FaqIndex(FAQS, embed, tokenize=split)
    queries = ["return item", "order ship", "payment methods accept"]
    golds = ["return", "ship", "pay"]

    def rank_with(f: Fusion) -> list[list[tuple[str, float]]]:
        rows = index.search(queries, k=3, fusion=f)
        return [[(h.faq.id, h.hit.fused) for h in row] for row in rows]

    fusion, scores = fit_weight(rank_with, golds)
    assert scores[f"weighted:{fusion.weight:g}"] == max(scores.values()) or fusion.method == "rrf"
    assert "rrf" in scores and len(scores) > 5


@pytest.mark.parametrize(
    "opts",
    [
        DenseOptions(),
        DenseOptions(storage="int8"),
        DenseOptions(dim=8),
        DenseOptions(ann_threshold=10),
    ],
)
def test_dense_index_variants_agree_with_exact_search(opts: DenseOptions) -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(size=(200, 32)).astype(np.float32)
    queries = base[:20] + 0.05 * rng.normal(size=(20, 32)).astype(np.float32)
    exact = DenseIndex()
    exact.add(base)
    other = DenseIndex(opts)
    other.add(base[:100])
    other.add(base[100:])  # crossing the ANN threshold mid-way keeps every vector
    want = [p[0] for p, _ in exact.top(queries, 1)]
    got = [p[0] for p, _ in other.top(queries, 1)]
    agree = np.mean(np.array(want) == np.array(got))
    assert agree >= (0.9 if opts.dim else 1.0)
    other.delete([int(got[0])])
    assert int(got[0]) not in other.top(queries[:1], 5)[0][0]
    assert other.alive == 199


def test_int8_storage_is_four_times_smaller() -> None:
    x = np.random.default_rng(1).normal(size=(1000, 64)).astype(np.float32)
    f, q = DenseIndex(), DenseIndex(DenseOptions(storage="int8"))
    f.add(x)
    q.add(x)
    assert q.nbytes() < f.nbytes() / 3.5


def test_entries_of_a_removed_group_never_come_back(embed) -> None:
    index = HybridIndex(embed, tokenize=split)
    index.add([Entry("a", "a1", "red apple"), Entry("b", "b1", "green pear")])
    assert index.remove("a") == 1
    (hits,) = index.search(["red apple"], k=5)
    assert [h.group for h in hits] == ["b"]


def test_a_tie_on_dev_mrr_goes_to_the_fusion_under_which_gold_leads_most() -> None:
    # every weight up to 0.2 ranks dev perfectly; the gold's lead over the runner-up is
    # largest at 0.05, so the likelihood picks it over the plateau's other points
    def rank_with(f: Fusion) -> list[list[tuple[str, float]]]:
        lead = 0.3 - abs(f.weight - 0.05) if f.method == "weighted" else -0.1
        return [[("a", 0.8 + lead), ("b", 0.8)] if lead > 0 else [("b", 0.8), ("a", 0.8 + lead)]]

    fusion, scores = fit_weight(rank_with, ["a"])
    assert fusion == Fusion("weighted", 0.05)
    assert scores["weighted:0"] == scores["weighted:0.2"] == 1.0 and scores["rrf"] == 0.5


def test_a_lexical_leg_that_adds_nothing_on_dev_gets_no_weight() -> None:
    # the dense leg alone already ranks dev right and the lexical scores favour the wrong
    # group: the plateau's likelihood is best without them
    def rank_with(f: Fusion) -> list[list[tuple[str, float]]]:
        a, b = 0.9, 0.8 + 0.3 * f.weight
        return [sorted([("a", a), ("b", b)], key=lambda x: -x[1])]

    choice, _ = fit_fusion(rank_with, ["a"])
    assert choice.fusion == Fusion("weighted", 0.0) and choice.mrr == 1.0


def test_ranking_nll_prefers_a_bigger_lead_and_counts_a_missing_gold_as_last() -> None:
    rows = [[("a", 0.9), ("b", 0.85)], [("c", 0.7), ("d", 0.6)]]
    wider = [[("a", 0.9), ("b", 0.5)], [("c", 0.7), ("d", 0.6)]]
    assert ranking_nll(wider, ["a", "c"]) < ranking_nll(rows, ["a", "c"])
    assert ranking_nll([[("a", 0.9), ("b", 0.5)]], ["z"]) == pytest.approx(
        ranking_nll([[("a", 0.9), ("b", 0.5)]], ["b"])
    )
