"""The dense leg: cosine search over L2-normalised embeddings.

Exact search (one matrix product) below ``ann_threshold`` entries; above it an HNSW graph
(``hnswlib``), which supports additions and deletions in place. The stored vectors can be
compressed: ``int8`` (per-vector scale, 4x smaller) and/or a PCA projection to fewer
dimensions; ``benchmarks/retrieval_scale.py`` measures what each costs in recall.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

ANN_THRESHOLD = 20_000
_BLOCK = 32_768


@dataclass(frozen=True)
class DenseOptions:
    ann_threshold: int = ANN_THRESHOLD
    storage: str = "float32"  # float32 | int8
    dim: int | None = None  # PCA to this many dimensions (None: keep)
    ef_search: int = 128
    ef_construction: int = 200
    m: int = 32


def normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(n, 1e-12)


class Pca:
    """A PCA projection fitted on the bank's own vectors (re-normalised after projecting)."""

    def __init__(self, mean: np.ndarray, components: np.ndarray) -> None:
        self.mean = mean.astype(np.float32)
        self.components = components.astype(np.float32)  # (d, H)

    @classmethod
    def fit(cls, x: np.ndarray, dim: int) -> Pca:
        mean = x.mean(axis=0)
        _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
        return cls(mean, vt[:dim])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return normalise((x - self.mean) @ self.components.T)


class DenseIndex:
    """Vectors addressed by position; deleted positions never come back from a search."""

    def __init__(self, options: DenseOptions | None = None) -> None:
        self.options = options or DenseOptions()
        self.pca: Pca | None = None
        self._vectors: np.ndarray | None = None  # (N, d) float32, or int8 with _scales
        self._scales: np.ndarray | None = None
        self._alive = np.zeros(0, dtype=bool)
        self._hnsw: Any = None

    def __len__(self) -> int:
        return len(self._alive)

    @property
    def alive(self) -> int:
        return int(self._alive.sum())

    # ------------------------------------------------------------------ building

    def add(self, vectors: np.ndarray) -> None:
        v = normalise(vectors)
        if v.ndim != 2 or len(v) == 0:
            return
        if self.options.dim and self.pca is None and len(v) > self.options.dim:
            self.pca = Pca.fit(v, self.options.dim)
        if self.pca is not None:
            v = self.pca(v)
        start = len(self._alive)
        stored, scales = self._encode(v)
        if self._vectors is None:
            self._vectors, self._scales = stored, scales
        else:
            self._vectors = np.concatenate([self._vectors, stored])
            if scales is not None and self._scales is not None:
                self._scales = np.concatenate([self._scales, scales])
        self._alive = np.concatenate([self._alive, np.ones(len(v), dtype=bool)])
        if self._hnsw is not None or len(self._alive) >= self.options.ann_threshold:
            self._hnsw_add(v, np.arange(start, start + len(v)))

    def delete(self, positions: Sequence[int]) -> None:
        for p in positions:
            if self._alive[p]:
                self._alive[p] = False
                if self._hnsw is not None:
                    self._hnsw.mark_deleted(int(p))

    def _encode(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        if self.options.storage == "int8":
            scale = np.abs(v).max(axis=1, keepdims=True) / 127.0
            scale = np.maximum(scale, 1e-12)
            return np.round(v / scale).astype(np.int8), scale.astype(np.float32)
        return v.astype(np.float32), None

    def _decoded(self) -> np.ndarray:
        assert self._vectors is not None
        if self._scales is not None:
            return self._vectors.astype(np.float32) * self._scales
        return self._vectors

    def vectors_at(self, positions: Sequence[int]) -> np.ndarray:
        """The stored (projected, decoded) vectors of some positions."""
        assert self._vectors is not None
        idx = np.asarray(positions, dtype=np.int64)
        v = self._vectors[idx].astype(np.float32)
        return v * self._scales[idx] if self._scales is not None else v

    def _hnsw_add(self, v: np.ndarray, ids: np.ndarray) -> None:
        import hnswlib

        o = self.options
        if self._hnsw is None:
            self._hnsw = hnswlib.Index(space="ip", dim=v.shape[1])
            self._hnsw.init_index(
                max_elements=max(1024, 2 * len(self._alive)),
                ef_construction=o.ef_construction,
                M=o.m,
            )
            self._hnsw.set_ef(o.ef_search)
            # everything stored so far goes in first (the index just crossed the threshold)
            before = len(self._alive) - len(v)
            if before > 0:
                old = self._decoded()[:before]
                self._hnsw.add_items(old, np.arange(before))
                for p in np.flatnonzero(~self._alive[:before]):
                    self._hnsw.mark_deleted(int(p))
        need = int(ids.max()) + 1
        if need > self._hnsw.get_max_elements():
            self._hnsw.resize_index(max(need, 2 * self._hnsw.get_max_elements()))
        self._hnsw.add_items(v, ids)

    # ------------------------------------------------------------------ searching

    def project(self, queries: np.ndarray) -> np.ndarray:
        q = normalise(queries)
        return self.pca(q) if self.pca is not None else q

    def scores(self, query_vectors: np.ndarray) -> np.ndarray:
        """Cosine of every stored vector for each query: (Q, N); deleted slots get -inf."""
        q = self.project(query_vectors)
        if self._vectors is None:
            return np.zeros((len(q), 0), dtype=np.float32)
        if self._scales is not None:
            # int8 rows are widened a block at a time: memory stays bounded at any size
            sim = np.empty((len(q), len(self._vectors)), dtype=np.float32)
            for start in range(0, len(self._vectors), _BLOCK):
                block = self._vectors[start : start + _BLOCK].astype(np.float32)
                sim[:, start : start + _BLOCK] = q @ block.T
            sim *= self._scales[:, 0][None, :]
        else:
            sim = q @ self._vectors.T
        sim = sim.astype(np.float32)
        sim[:, ~self._alive] = -np.inf
        return sim

    def top(self, query_vectors: np.ndarray, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The ``n`` nearest live positions per query: ``(positions, cosines)`` best first."""
        n = min(n, self.alive)
        if n <= 0:
            return [(np.zeros(0, np.int64), np.zeros(0, np.float32)) for _ in query_vectors]
        if self._hnsw is not None:
            q = self.project(query_vectors)
            self._hnsw.set_ef(max(self.options.ef_search, n))
            labels, dist = self._hnsw.knn_query(q, k=n)
            return [
                (lab.astype(np.int64), (1.0 - d).astype(np.float32))
                for lab, d in zip(labels, dist, strict=True)
            ]
        sim = self.scores(query_vectors)
        out = []
        for row in sim:
            idx = np.argpartition(-row, n - 1)[:n] if n < len(row) else np.arange(len(row))
            idx = idx[np.argsort(-row[idx])]
            out.append((idx.astype(np.int64), row[idx]))
        return out

    # ------------------------------------------------------------------ size

    def nbytes(self) -> int:
        total = 0 if self._vectors is None else self._vectors.nbytes
        total += 0 if self._scales is None else self._scales.nbytes
        if self.pca is not None:
            total += self.pca.components.nbytes + self.pca.mean.nbytes
        return total
