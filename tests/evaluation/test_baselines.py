"""Baselines learn separable toy data and return every key `aimass bench` reports.

The frozen-encoder path runs on a fake encoder (hashed character trigrams) so that these
tests need no model; the real encoders are covered in tests/encoders/test_frozen.py.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest

from aimass.encoders.frozen import CachedEncoder, FrozenEncoder
from aimass.evaluation.baselines import (
    baseline_faq,
    baseline_intent,
    baseline_match,
    choose_oos_threshold,
)
from aimass.evaluation.benchdata import FaqEntry, FaqQuery, IntentExample, PairExample

COMMON = {"train_seconds", "model_mb", "latency_ms_p50"}
INTENT_KEYS = {
    "accuracy",
    "macro_f1",
    "in_scope_accuracy",
    "oos_recall",
    "oos_precision",
    "ece",
    "n",
}
MATCH_KEYS = {"accuracy", "f1", "auc", "spearman", "n"}
FAQ_KEYS = {"p_at_1", "mrr", "recall_at_5", "n"}


class HashEncoder(FrozenEncoder):
    """Bag of hashed character trigrams: similar strings get similar unit vectors."""

    def __init__(self, name: str = "e5", dim: int = 64) -> None:
        self.name = name
        self.dim = dim
        self.calls = 0

    def _encode_batch(self, texts: list[str], kind: str) -> np.ndarray:  # type: ignore[override]
        self.calls += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            t = f"  {t.lower()} "
            for j in range(len(t) - 2):
                out[i, zlib.crc32(t[j : j + 3].encode()) % self.dim] += 1.0
        return out

    def weight_files(self) -> list[Path]:
        return []


TOPICS = {
    "weather": ["rain", "sunny", "forecast", "cloudy", "temperature", "storm"],
    "balance": ["money", "account", "balance", "savings", "funds", "deposit"],
    "music": ["song", "playlist", "guitar", "album", "melody", "band"],
    "oos": ["zebra", "quantum", "volcano", "pyramid", "glacier", "nebula"],
}


def _intent_split(start: int, n: int) -> list[IntentExample]:
    rows = []
    for label, words in TOPICS.items():
        for i in range(start, start + n):
            a, b = words[i % 6], words[(i * 5 + 1) % 6]
            rows.append(IntentExample(f"{a} {b} {a}", label))
    return rows


def _json_safe(result: dict) -> None:
    json.dumps(result, allow_nan=False)


def test_tfidf_intent_learns_separable_data() -> None:
    train, dev, test = _intent_split(0, 12), _intent_split(12, 6), _intent_split(18, 6)
    r = baseline_intent("tfidf", train, dev, test)
    assert set(r) >= INTENT_KEYS | COMMON
    assert r["accuracy"] == 1.0
    assert r["in_scope_accuracy"] == 1.0
    assert r["oos_recall"] == 1.0 and r["oos_precision"] == 1.0
    assert r["n"] == len(test)
    assert r["model_mb"] > 0 and r["latency_ms_p50"] > 0 and r["train_seconds"] >= 0
    _json_safe(r)


def test_oos_threshold_chosen_on_dev_when_train_has_no_oos() -> None:
    train = [r for r in _intent_split(0, 12) if r.label != "oos"]
    dev, test = _intent_split(12, 6), _intent_split(18, 6)
    r = baseline_intent("tfidf", train, dev, test)
    assert r["selected"]["oos_threshold"] > 0
    assert r["oos_recall"] > 0.5


def test_frozen_intent_path_with_cache() -> None:
    enc = HashEncoder("e5")
    cache = CachedEncoder(enc)
    train, dev, test = _intent_split(0, 12), _intent_split(12, 6), _intent_split(18, 6)
    r = baseline_intent("e5", train, dev, test, cache=cache)
    assert set(r) >= INTENT_KEYS | COMMON
    assert r["accuracy"] == 1.0
    n_distinct = len({x.text for x in train + dev + test})
    # every distinct text encoded once by the cache; the rest are live batch-1 latency calls
    assert enc.calls == n_distinct + len(test) + 1
    with pytest.raises(ValueError):
        baseline_intent("use", train, dev, test, cache=cache)


def test_unknown_baseline_name() -> None:
    with pytest.raises(ValueError):
        baseline_intent("bm25", _intent_split(0, 2), _intent_split(2, 2), _intent_split(4, 2))


def _pairs(start: int, n: int) -> list[PairExample]:
    words = [w for ws in TOPICS.values() for w in ws]
    rows = []
    for i in range(start, start + n):
        a = f"{words[i % len(words)]} {words[(i + 3) % len(words)]}"
        same = f"{words[(i + 3) % len(words)]} {words[i % len(words)]}"
        other = f"{words[(i + 11) % len(words)]} {words[(i + 17) % len(words)]}"
        rows += [PairExample(a, same, 1), PairExample(a, other, 0)]
    return rows


@pytest.mark.parametrize("name", ["tfidf", "e5"])
def test_match_learns_separable_pairs(name: str) -> None:
    cache = CachedEncoder(HashEncoder(name)) if name != "tfidf" else None
    r = baseline_match(name, _pairs(0, 40), _pairs(40, 20), _pairs(60, 20), cache=cache)
    assert set(r) >= MATCH_KEYS | COMMON
    assert r["accuracy"] == 1.0
    assert r["auc"] == 1.0
    assert r["n"] == 40
    _json_safe(r)


def _faq() -> tuple[list[FaqEntry], list[FaqQuery], list[FaqQuery], list[FaqQuery]]:
    bank = [
        FaqEntry(f"f{i}", f"how do I {verb} my {thing}?", f"To {verb} it, press {verb}.")
        for i, (verb, thing) in enumerate(
            [
                ("reset", "password"),
                ("close", "account"),
                ("track", "parcel"),
                ("change", "address"),
            ]
        )
    ]
    phr = {
        "f0": ["forgot password, reset it", "password reset please", "reset my password now"],
        "f1": ["close account for good", "I want to close my account", "account closing"],
        "f2": ["where is my parcel, track it", "track parcel status", "parcel tracking"],
        "f3": ["change my address", "new address, change it", "address change please"],
    }
    train = [FaqQuery(t, f) for f, ts in phr.items() for t in ts[:1]]
    dev = [FaqQuery(ts[1], f) for f, ts in phr.items()]
    test = [FaqQuery(ts[2], f) for f, ts in phr.items()]
    return bank, train, dev, test


@pytest.mark.parametrize("name", ["tfidf", "e5"])
def test_faq_ranks_the_right_entry(name: str) -> None:
    bank, train, dev, test = _faq()
    cache = CachedEncoder(HashEncoder(name)) if name != "tfidf" else None
    r = baseline_faq(name, bank, train, dev, test, cache=cache)
    assert set(r) >= FAQ_KEYS | COMMON
    assert r["p_at_1"] == 1.0 and r["mrr"] == 1.0 and r["recall_at_5"] == 1.0
    _json_safe(r)


def test_faq_zero_shot() -> None:
    bank, _, _, test = _faq()
    r = baseline_faq("tfidf", bank, None, None, test)
    assert r["n"] == len(test)
    assert r["selected"]["answers_as_variants"] is False


def test_choose_oos_threshold() -> None:
    conf = np.array([0.2, 0.3, 0.8, 0.9])
    pred = ["a", "b", "a", "b"]
    gold = ["oos", "oos", "a", "b"]
    t = choose_oos_threshold(conf, pred, gold)
    assert 0.3 < t < 0.8
    assert choose_oos_threshold(conf, pred, ["a", "b", "a", "b"]) == 0.0
    # falling back would cost more than it gains -> no threshold
    assert choose_oos_threshold(conf, ["a", "b", "a", "b"], ["a", "b", "oos", "b"]) <= 0.2 + 1e-9


def test_oos_cost_moves_the_threshold_towards_refusing() -> None:
    """Counting an off-topic message answered as worse than an in-scope one refused moves
    the threshold up: messages the even trade kept are refused."""
    from aimass.training.calibrate import choose_oos_threshold as choose

    labels = ["a", "b", "oos"]
    # top in-scope confidences: two in-scope messages at 0.6, one off-topic at 0.55,
    # two in-scope at 0.5
    probs = np.array(
        [[0.6, 0.3, 0.1], [0.3, 0.6, 0.1], [0.55, 0.35, 0.1], [0.5, 0.4, 0.1], [0.4, 0.5, 0.1]]
    )
    gold = ["a", "b", "oos", "a", "b"]
    even = choose(probs, labels, gold, default=0.0, oos_cost=1.0)
    costly = choose(probs, labels, gold, default=0.0, oos_cost=3.0)
    assert even <= 0.5  # refusing the off-topic one would cost two in-scope answers
    assert 0.55 < costly <= 0.6  # at 3x, it is worth them
