"""Intent experts: n-grams of Chinese and English, save/load round trips with identical
logits, and a fusion that reduces to the transformer alone at weight 0."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aimass.errors import ArtifactError
from aimass.model.experts import FrozenEncoderExpert, LexicalExpert, char_ngrams, fuse, load_expert
from aimass.training.calibrate import fit_fusion
from modelkit import INTENT_ROWS

TEXTS = [t for t, _ in INTENT_ROWS]
LABELS = [lab for _, lab in INTENT_ROWS]
ORDER = sorted(set(LABELS))


def test_char_ngrams_normalise_width_and_case() -> None:
    assert char_ngrams("ＡＢ") == char_ngrams("ab")  # full-width letters fold to ASCII
    assert {"花呗", " 花", "呗 ", "ok", " ok"} <= set(char_ngrams("花呗 OK"))


def test_lexical_expert_learns_and_round_trips(tmp_path: Path) -> None:
    model = LexicalExpert.fit(TEXTS * 3, LABELS * 3, ORDER, TEXTS, LABELS, min_df=1)
    assert [ORDER[i] for i in model.logits(TEXTS).argmax(1)] == LABELS
    model.save(tmp_path / "lex")
    loaded = load_expert(tmp_path / "lex")
    np.testing.assert_allclose(loaded.logits(TEXTS), model.logits(TEXTS), atol=1e-4)
    assert loaded.logits(["☃"]).shape == (1, len(ORDER))  # no known n-gram: prior only


@pytest.mark.slow
def test_frozen_use_expert_learns_and_round_trips(tmp_path: Path) -> None:
    model = FrozenEncoderExpert.fit("use", TEXTS * 2, LABELS * 2, ORDER, TEXTS, LABELS)
    assert np.mean([ORDER[i] for i in model.logits(TEXTS).argmax(1)] == np.array(LABELS)) >= 0.9
    model.save(tmp_path / "use")
    np.testing.assert_allclose(
        load_expert(tmp_path / "use").logits(TEXTS), model.logits(TEXTS), atol=1e-3
    )


def test_unknown_expert_type_is_refused(tmp_path: Path) -> None:
    model = LexicalExpert.fit(TEXTS, LABELS, ORDER, TEXTS, LABELS, min_df=1)
    model.save(tmp_path / "x")
    (tmp_path / "x" / "expert.json").write_text('{"type": "from-the-future.v9"}')
    with pytest.raises(ArtifactError) as err:
        load_expert(tmp_path / "x")
    assert err.value.code == "AM401"


def test_fusion_weight_zero_is_the_transformer_alone() -> None:
    rng = np.random.default_rng(0)
    nn = rng.normal(size=(8, 3))
    lex = rng.normal(size=(8, 3))
    alone = np.exp(nn / 2.0) / np.exp(nn / 2.0).sum(1, keepdims=True)
    np.testing.assert_allclose(fuse(nn, [(0.0, lex)], 2.0), alone, atol=1e-9)
    np.testing.assert_allclose(fuse(nn, [], 2.0), alone, atol=1e-9)


def test_fit_fusion_uses_an_expert_only_when_it_knows_better() -> None:
    rng = np.random.default_rng(1)
    targets = rng.integers(0, 4, size=200)
    clueless = rng.normal(size=(200, 4))
    informed = np.eye(4)[targets] * 4 + rng.normal(size=(200, 4)) * 0.5
    weights, temperature = fit_fusion(clueless, [informed, rng.normal(size=(200, 4))], targets)
    assert weights[0] > 0 and weights[1] <= 0.25 and temperature > 0
