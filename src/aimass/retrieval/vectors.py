"""A cache of embeddings keyed by text, so reloading or editing a bank re-embeds only what changed."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

Embed = Callable[[list[str]], np.ndarray]


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class VectorCache:
    def __init__(self, embed: Embed, path: Path | None = None) -> None:
        self._embed = embed
        self.path = path
        self._store: dict[str, np.ndarray] = {}
        self._dirty = False
        if path is not None and path.exists():
            try:
                with np.load(path, allow_pickle=False) as z:
                    keys, vecs = z["keys"], z["vectors"]
                self._store = {str(k): v for k, v in zip(keys, vecs, strict=True)}
            except (OSError, ValueError, KeyError):
                self._store = {}  # a damaged cache is only a cache: re-embed

    def __call__(self, texts: list[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        todo = list(
            dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in self._store)
        )
        if todo:
            vecs = self._embed(todo)
            for t, v in zip(todo, vecs, strict=True):
                self._store[text_key(t)] = np.asarray(v, dtype=np.float32)
            self._dirty = True
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._store[k] for k in keys])

    def save(self, keep: set[str] | None = None) -> None:
        """Write the cache atomically (only the texts in ``keep`` when given)."""
        if self.path is None or not self._dirty:
            return
        items = [(k, v) for k, v in self._store.items() if keep is None or k in keep]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".npz.tmp")
        os.close(fd)
        try:
            with open(tmp, "wb") as f:
                if items:
                    np.savez(
                        f,
                        keys=np.array([k for k, _ in items]),
                        vectors=np.stack([v for _, v in items]),
                    )
                else:
                    np.savez(f, keys=np.array([], dtype=str), vectors=np.zeros((0, 0), np.float32))
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self._dirty = False
