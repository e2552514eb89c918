"""The label-preservation filter and the evaluation-driven pipeline: a rewrite the model reads
as another intent is rejected, duplicates and unchanged rewrites never count, the report says
why, and the same seed gives the same augmented set."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from aimass.augment import build_augmenters
from aimass.augment.filter import (
    CallableScorer,
    Candidate,
    LabelFilter,
    as_scorer,
    normalise,
)
from aimass.augment.pipeline import augment_examples
from aimass.augment.select import IntentScore, choose_intents, cross_validated_scores, score_intents
from aimass.errors import TrainingError
from modelkit import INTENT_ROWS, tiny_config

LABELS = ["return_item", "track_order", "payment"]
KEYWORDS = {
    "return_item": ("退", "return", "send this back", "send back"),
    "track_order": ("快递", "物流", "parcel", "track", "package"),
    "payment": ("支付", "花呗", "pay", "card"),
}


def keyword_model(texts: list[str]) -> np.ndarray:
    """A transparent stand-in for a model: the intent whose keywords the text contains."""
    out = np.full((len(texts), len(LABELS)), 0.1)
    for row, text in enumerate(texts):
        for col, name in enumerate(LABELS):
            if any(k in text.lower() for k in KEYWORDS[name]):
                out[row, col] = 5.0
    return out / out.sum(axis=1, keepdims=True)


SCORER = CallableScorer(keyword_model, LABELS)


def _cand(text: str, intent: str, source: str = "我想退货怎么办") -> Candidate:
    return Candidate(text=text, intent=intent, source=source, augmenter="test")


def test_filter_rejects_changed_label_and_low_confidence_and_keeps_the_rest() -> None:
    cands = [
        _cand("我打算退回商品怎么办", "return_item"),  # still a return: kept
        _cand("我的快递怎么办", "return_item"),  # the model now reads track_order
        _cand("怎么办", "return_item"),  # no keyword: uniform, below the threshold... and argmax
    ]
    LabelFilter(SCORER, threshold=0.5).apply(cands)
    assert cands[0].kept and cands[0].confidence is not None and cands[0].confidence > 0.9
    assert cands[1].reason == "changed_label" and cands[1].predicted == "track_order"
    # uniform probabilities: argmax is the first label, return_item, but far below 0.5
    assert cands[2].reason == "low_confidence"


def test_filter_rejects_unchanged_and_duplicates_of_examples_and_of_each_other() -> None:
    cands = [
        _cand("我想退货怎么办。", "return_item"),  # only punctuation added: unchanged
        _cand("How do I return an item", "return_item", source="how can i return an item"),
        _cand("我想退掉怎么办", "return_item"),
        _cand("我想退掉  怎么办", "return_item"),  # the same after normalising spaces
    ]
    LabelFilter(SCORER).apply(cands, existing=["how do I return an item", "我想退货怎么办"])
    assert [c.reason for c in cands] == ["unchanged", "duplicate", None, "duplicate"]
    assert normalise("  Hello, World?! ") == "hello, world"


def test_filter_threshold_out_of_range_is_coded() -> None:
    with pytest.raises(TrainingError) as err:
        LabelFilter(SCORER, threshold=1.5)
    assert err.value.code == "AM541"


def test_pipeline_counts_nothing_unchanged_reports_reasons_and_is_seeded() -> None:
    augs = build_augmenters(["synonym", "eda_swap", "eda_delete", "homophone", "keyboard"])
    rows = list(INTENT_ROWS)
    result = augment_examples(rows, augs, per_example=2, seed=5, scorer=SCORER, threshold=0.5)
    report = result.report()
    assert report["candidates"] == len(result.candidates) > 0
    assert report["rejected"] == sum(report["by_reason"].values())
    assert report["rejected_share"] == pytest.approx(
        report["rejected"] / report["candidates"], abs=1e-4
    )
    existing = {normalise(t) for t, _ in rows}
    keys = [normalise(c.text) for c in result.selected]
    assert len(keys) == len(set(keys))  # no duplicates among the kept
    for c in result.selected:
        assert c.kept and normalise(c.text) != normalise(c.source)
        assert normalise(c.text) not in existing
        assert c.predicted == c.intent and c.confidence is not None and c.confidence >= 0.5
    assert all(sum(c.source == t for c in result.selected) <= 2 for t, _ in rows)
    again = augment_examples(rows, augs, per_example=2, seed=5, scorer=SCORER)
    assert [(c.text, c.augmenter) for c in again.selected] == [
        (c.text, c.augmenter) for c in result.selected
    ]
    # an example's augmentations do not depend on the other examples in the set
    alone = augment_examples(
        rows[:1], augs, per_example=2, seed=5, scorer=SCORER, existing=[t for t, _ in rows]
    )
    assert [c.text for c in alone.selected] == [
        c.text for c in result.selected if c.source == rows[0][0]
    ]


def test_pipeline_only_touches_chosen_intents() -> None:
    augs = build_augmenters(["synonym", "traditional"])
    result = augment_examples(INTENT_ROWS, augs, intents=["payment"], scorer=SCORER)
    assert result.selected and {c.intent for c in result.selected} == {"payment"}
    with pytest.raises(TrainingError) as err:
        augment_examples(INTENT_ROWS, augs, intents=["nope"], scorer=SCORER)
    assert err.value.code == "AM546"


def test_choose_intents_worst_first_with_confusion_breaking_ties() -> None:
    scores = {
        "a": IntentScore("a", 0.9, 10, 1),
        "b": IntentScore("b", 0.5, 10, 2),
        "c": IntentScore("c", 0.5, 10, 7),
        "oos": IntentScore("oos", 0.0, 10, 9),
    }
    names = ["a", "b", "c", "oos"]
    assert choose_intents("worst:2", names, scores) == ["c", "b"]
    assert choose_intents("all", names) == ["a", "b", "c"]
    assert choose_intents("b, a", names) == ["b", "a"]
    for spec, code in (("worst:0", "AM541"), ("worst:x", "AM541"), ("a,zzz", "AM543")):
        with pytest.raises(TrainingError) as err:
            choose_intents(spec, names, scores)
        assert err.value.code == code


def test_dev_scores_and_cross_validated_scores_find_the_weak_intent() -> None:
    texts = ["退货", "return it", "快递", "parcel", "pay", "支付"]
    gold = ["return_item", "return_item", "track_order", "track_order", "payment", "payment"]
    scores = score_intents(SCORER, [*texts, "my card"], [*gold, "track_order"])
    assert scores["track_order"].f1 < scores["return_item"].f1
    rng = np.random.default_rng(0)
    centres = {"a": rng.normal(size=8), "b": rng.normal(size=8), "c": rng.normal(size=8)}
    labels = [lab for lab in "abc" for _ in range(6)]
    noise = {"a": 0.05, "b": 0.05, "c": 3.0}  # c is all over the place

    def embed(ts: list[str]) -> np.ndarray:
        return np.stack([centres[t[0]] + noise[t[0]] * rng.normal(size=8) for t in ts])

    cv = cross_validated_scores(embed, [f"{lab}{i}" for i, lab in enumerate(labels)], labels)
    assert choose_intents("worst:1", ["a", "b", "c"], cv) == ["c"]


@pytest.fixture(scope="module")
def tiny_predictor(tiny_backbones: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory):
    from aimass.runtime.predictor import TorchPredictor
    from aimass.training.data import IntentData, TaskData
    from aimass.training.save import save_artifact
    from aimass.training.trainer import train

    data = TaskData(intent=IntentData([t for t, _ in INTENT_ROWS], [i for _, i in INTENT_ROWS]))
    result = train(data, tiny_config(tiny_backbones("bert"), epochs=60), data, progress=False)
    path = tmp_path_factory.mktemp("augment-model") / "model"
    save_artifact(result, path, config={"train": {}}, runtime={})
    return TorchPredictor(path)


def test_filter_with_a_trained_model_rejects_a_rewrite_read_as_another_intent(
    tiny_predictor,
) -> None:
    scorer = as_scorer(tiny_predictor)
    # "where is my parcel" is a track_order example; offered as a return_item rewrite, the
    # trained model reads it as track_order and the filter refuses it.
    cands = [
        _cand("where is my parcel ?!", "return_item", source="how do I return an item"),
        _cand("how do I return an item please", "return_item", source="how do I return an item"),
    ]
    LabelFilter(scorer, threshold=0.3).apply(cands)
    assert cands[0].reason == "changed_label" and cands[0].predicted == "track_order"
    assert cands[1].kept and cands[1].predicted == "return_item"


def test_an_ensemble_of_teachers_averages_and_must_agree_on_labels() -> None:
    def flipped(texts: list[str]) -> np.ndarray:
        return keyword_model(texts)[:, ::-1]

    ensemble = as_scorer([SCORER, CallableScorer(flipped, LABELS[::-1])])
    probs = ensemble.intent_probabilities(["我想退货"])
    assert np.allclose(probs, keyword_model(["我想退货"]))  # same teacher twice, relabelled
    with pytest.raises(TrainingError) as err:
        as_scorer([SCORER, CallableScorer(keyword_model, ["a", "b", "c"])])
    assert err.value.code == "AM544"


def test_chinese_augmentation_changes_the_text_and_keeps_its_meaning() -> None:
    rows = [
        ("我想退货怎么办", "return_item"),
        ("这个东西我不想要了能退吗", "return_item"),
        ("请问我的快递到哪了呢", "track_order"),
        ("物流怎么一直不更新", "track_order"),
        ("可以用微信支付吗", "payment"),
        ("你们支持花呗吗", "payment"),
    ]
    augs = build_augmenters(
        ["synonym", "eda_swap", "eda_insert", "eda_delete", "homophone", "shape", "traditional"]
    )
    result = augment_examples(rows, augs, per_example=4, seed=0, scorer=SCORER, threshold=0.5)
    assert len(result.selected) >= 15
    assert len({c.augmenter for c in result.selected}) >= 5
    for c in result.selected:
        # really changed: not the example with a comma or a space moved
        assert normalise(c.text) != normalise(c.source)
        # meaning kept: a model that reads intents from their key words still reads the same
        assert c.predicted == c.intent and c.confidence is not None and c.confidence >= 0.5
        assert sum(ch >= "\u4e00" for ch in c.text) >= 3  # still Chinese
    report = result.report()
    assert report["selected"] == len(result.selected)
    # nothing unchanged is counted: unchanged rewrites are rejected and named as such
    assert all(
        c.reason == "unchanged"
        for c in result.candidates
        if normalise(c.text) == normalise(c.source)
    )


def test_neighbour_vectors_come_from_the_trained_backbone(tiny_predictor) -> None:
    from aimass.augment.neighbours import NeighbourSwap, token_word_vectors

    words, vectors = token_word_vectors(tiny_predictor, vocabulary=[t for t, _ in INTENT_ROWS])
    assert "parcel" in words and "track" in words and "carte" not in words
    assert vectors.shape[0] == len(words)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    swap = NeighbourSwap(words, vectors)
    swap.min_similarity = -1.0  # a random tiny backbone: any neighbour will do here
    out = swap("where is my parcel", __import__("random").Random(0))
    assert out and all(o != "where is my parcel" for o in out)
