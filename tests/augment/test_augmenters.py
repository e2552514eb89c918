"""Augmenters: seeded, never return the input unchanged, and change what they say they change
(Chinese really changes, meaning-bearing words stay, homophones keep the pinyin, traditional
forms really differ)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from aimass.augment import AUGMENTERS, AugmentContext, build_augmenters, rng_for
from aimass.augment.eda import ZH_FILLERS
from aimass.augment.typos import readings
from aimass.augment.words import shape_groups, split
from aimass.errors import TrainingError

ZH = [
    "我想退货怎么办",
    "我的快递到哪了，怎么还没到？",
    "可以用微信支付吗",
    "请问我想买iPhone 15的优惠券",
]
EN = [
    "how do I return an item",
    "My card payment was declined, why?",
    "where is my parcel please",
    "I am still waiting for my refund",
]
SLOTS = {"lookup:product": ["iPhone 15", "MacBook Air", "AirPods Pro"]}


def _vectors() -> tuple[list[str], np.ndarray]:
    """Four words in two tight pairs: refund~reimbursement, parcel~package."""
    words = ["package", "parcel", "refund", "reimbursement"]
    base = {"parcel": [1.0, 0.0, 0.0], "refund": [0.0, 1.0, 0.0]}
    rows = [base["parcel"], base["parcel"], base["refund"], base["refund"]]
    noise = np.array([[0, 0, 0.1], [0, 0, -0.1], [0, 0, 0.1], [0, 0, -0.1]])
    v = np.asarray(rows) + noise
    return words, v / np.linalg.norm(v, axis=1, keepdims=True)


CONTEXT = AugmentContext(slot_values=SLOTS, word_vectors=_vectors())


def _all() -> list:
    """Every rule-based augmenter (``llm`` needs an endpoint: test_llm_augment.py)."""
    return build_augmenters(sorted(set(AUGMENTERS) - {"llm"}), CONTEXT)


def test_every_augmenter_is_deterministic_by_seed_and_never_returns_its_input() -> None:
    augs = _all()
    assert {a.name for a in augs} >= {
        "synonym", "eda_swap", "eda_insert", "eda_delete", "homophone", "shape",
        "keyboard", "width", "traditional", "slot_swap", "neighbour",
    }  # fmt: skip
    produced = set()
    for aug in augs:
        for text in ZH + EN:
            first = aug(text, rng_for(3, aug.name, text))
            again = aug(text, rng_for(3, aug.name, text))
            assert first == again, aug.name
            assert text not in first, aug.name  # nothing unchanged is passed off as augmented
            assert len(set(first)) == len(first)
            if first:
                produced.add(aug.name)
        # a fresh augmenter object with the same seed gives the same output too
        fresh = build_augmenters([aug.name], CONTEXT)[0]
        assert fresh(ZH[0], rng_for(3, aug.name, ZH[0])) == aug(ZH[0], rng_for(3, aug.name, ZH[0]))
    assert produced == {a.name for a in augs}  # every augmenter changes some of these texts


def test_seeds_vary_the_output() -> None:
    (aug,) = build_augmenters(["homophone"])
    outputs = {tuple(aug(ZH[1], rng_for(seed, "homophone", ZH[1]))) for seed in range(6)}
    assert len(outputs) > 1


def test_chinese_synonyms_change_the_text_and_keep_the_rest() -> None:
    (aug,) = build_augmenters(["synonym"])
    out = aug("可以用微信支付吗", random.Random(0))
    assert out and all(o != "可以用微信支付吗" for o in out)
    for o in out:
        assert "微信" in o  # the product the customer names is not in the lexicon: kept
    assert any("能" in o or "行吗" in o or "付钱" in o or "付款" in o for o in out)


def test_chinese_deletion_removes_only_fillers_never_meaning_bearing_words() -> None:
    (aug,) = build_augmenters(["eda_delete"])
    text = "请问我的快递到哪了呢"
    pieces = split(text, "zh")
    content = [p for p in pieces if p not in ZH_FILLERS]
    seen = 0
    for seed in range(10):
        for out in aug(text, rng_for(seed, "eda_delete", text)):
            seen += 1
            assert out != text
            for word in content:
                assert word in out  # 快递, 到, 哪 ... all still there
    assert seen
    assert aug("退货", random.Random(0)) == []  # nothing deletable: no output, not the input


def test_homophone_typos_change_one_character_and_keep_its_pinyin() -> None:
    from pypinyin import Style, pinyin

    (aug,) = build_augmenters(["homophone"])
    checked = 0
    for text in ZH:
        before = readings(text)
        for seed in range(5):
            for out in aug(text, rng_for(seed, "homophone", text)):
                assert len(out) == len(text)
                diff = [i for i, (a, b) in enumerate(zip(text, out, strict=True)) if a != b]
                assert len(diff) == 1
                i = diff[0]
                options = pinyin(out[i], style=Style.TONE3, heteronym=True)[0]
                assert before[i] in options, (text, out, before[i], options)
                checked += 1
    assert checked >= 10


def test_shape_typos_use_a_look_alike() -> None:
    (aug,) = build_augmenters(["shape"])
    out = aug("我想退货", random.Random(1))
    assert out == ["我想退贷"]
    assert "贷" in shape_groups()["货"]


def test_traditional_variants_really_differ_and_convert_back() -> None:
    from opencc import OpenCC

    (aug,) = build_augmenters(["traditional"])
    for text in ZH:
        (out,) = aug(text, random.Random(0))
        assert out != text
        assert OpenCC("t2s").convert(out) == text
    assert aug("我想退貨怎麼辦", random.Random(0)) == ["我想退货怎么办"]
    assert aug("how do I return an item", random.Random(0)) == []


def test_keyboard_typos_touch_one_english_word() -> None:
    (aug,) = build_augmenters(["keyboard"])
    text = "where is my parcel please"
    outs = [o for s in range(5) for o in aug(text, rng_for(s, "keyboard", text))]
    assert outs
    for out in outs:
        changed = [a for a, b in zip(text.split(), out.split(), strict=True) if a != b]
        assert len(changed) == 1 and len(changed[0]) >= 4
    assert aug("我想退货", random.Random(0)) == []


def test_width_variants_toggle_full_and_half_width() -> None:
    (aug,) = build_augmenters(["width"])
    assert aug("我想买iPhone 15", random.Random(0)) == ["我想买ｉＰｈｏｎｅ １５"]
    assert aug("我的快递到哪了，怎么还没到？", random.Random(0)) == ["我的快递到哪了,怎么还没到?"]


def test_slot_swap_puts_another_value_of_the_same_slot() -> None:
    (aug,) = build_augmenters(["slot_swap"], AugmentContext(slot_values=SLOTS))
    outs = aug("我想退iPhone 15", random.Random(0))
    assert outs and set(outs) <= {"我想退MacBook Air", "我想退AirPods Pro"}
    # a Latin value must stand as a word of its own
    (aug2,) = build_augmenters(["slot_swap"], AugmentContext(slot_values={"s": ["pro", "max"]}))
    assert aug2("I have a problem", random.Random(0)) == []
    assert aug2("I have a pro", random.Random(0)) == ["I have a max"]


def test_unknown_augmenter_is_a_coded_error() -> None:
    with pytest.raises(TrainingError) as err:
        build_augmenters(["synonym", "backtranslate"])
    assert err.value.code == "AM540" and "backtranslate" in err.value.message


def test_neighbour_swaps_a_word_for_its_nearest_neighbour_and_needs_vectors() -> None:
    (aug,) = build_augmenters(["neighbour"], CONTEXT)
    out = aug("where is my parcel please", random.Random(0))
    assert out == ["where is my package please"]
    assert aug("Refund me", random.Random(0)) == ["Reimbursement me"]
    with pytest.raises(TrainingError) as err:
        build_augmenters(["neighbour"])
    assert err.value.code == "AM541"
