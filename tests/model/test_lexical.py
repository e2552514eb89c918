"""The lexical intent model: n-grams of Chinese and English, a save/load round trip with
identical logits, and fusion that reduces to the transformer alone at weight 0."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aimass.model.lexical import LexicalClassifier, char_ngrams, fuse
from aimass.training.calibrate import fit_fusion
from modelkit import INTENT_ROWS

TEXTS = [t for t, _ in INTENT_ROWS]
LABELS = [lab for _, lab in INTENT_ROWS]
ORDER = sorted(set(LABELS))


def test_char_ngrams_normalise_width_and_case() -> None:
    assert char_ngrams("ＡＢ") == char_ngrams("ab")  # full-width letters fold to ASCII
    grams = char_ngrams("花呗 OK")
    assert {"花呗", " 花", "呗 ", "ok", " ok"} <= set(grams)


def test_fit_learns_and_round_trips(tmp_path: Path) -> None:
    model = LexicalClassifier.fit(TEXTS * 3, LABELS * 3, ORDER, TEXTS, LABELS, min_df=1)
    pred = [ORDER[i] for i in model.logits(TEXTS).argmax(1)]
    assert pred == LABELS
    model.save(tmp_path / "lex")
    loaded = LexicalClassifier.load(tmp_path / "lex")
    np.testing.assert_allclose(loaded.logits(TEXTS), model.logits(TEXTS), atol=1e-4)
    # text with no known n-gram still gets a (prior-only) prediction, not an error
    assert loaded.logits(["☃"]).shape == (1, len(ORDER))


def test_fusion_weight_zero_is_the_transformer_alone() -> None:
    rng = np.random.default_rng(0)
    nn = rng.normal(size=(8, 3))
    lex = rng.normal(size=(8, 3))
    alone = np.exp(nn / 2.0) / np.exp(nn / 2.0).sum(1, keepdims=True)
    np.testing.assert_allclose(fuse(nn, lex, 0.0, 2.0), alone, atol=1e-9)
    np.testing.assert_allclose(fuse(nn, None, 0.7, 2.0), alone, atol=1e-9)


def test_fit_fusion_uses_the_lexical_model_when_it_knows_better() -> None:
    rng = np.random.default_rng(1)
    targets = rng.integers(0, 4, size=200)
    nn = rng.normal(size=(200, 4))  # an uninformed transformer
    lex = np.eye(4)[targets] * 4 + rng.normal(size=(200, 4)) * 0.5  # an informed lexical model
    weight, temperature = fit_fusion(nn, lex, targets)
    assert weight > 0 and temperature > 0
    weight, _ = fit_fusion(lex, nn, targets)  # and the other way round, it is (nearly) ignored
    assert weight <= 0.25
