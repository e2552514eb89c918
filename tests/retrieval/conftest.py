"""Retrieval tests index with a real but cheap embedder: hashed character n-grams.

The transformer's embeddings are what production uses; these tests are about the index
mechanics (fusion, grouping, updates, compression), which do not depend on which vectors.
"""

from __future__ import annotations

import numpy as np
import pytest


def char_ngram_embed(texts: list[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import HashingVectorizer

    hv = HashingVectorizer(analyzer="char_wb", ngram_range=(1, 3), n_features=256, norm="l2")
    return hv.transform([t.lower() for t in texts]).toarray().astype(np.float32)


@pytest.fixture
def embed():
    return char_ngram_embed
