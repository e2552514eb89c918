"""What reducing the embedding dimension of the retrieval index costs in recall, measured.

The dense index can store PCA-projected vectors (``DenseOptions(dim=...)``: fitted on the
bank's own vectors, re-normalised): fewer bytes per entry and a cheaper product per query.
Whether that is free depends on the bank, so it is measured, never assumed: for each
candidate dimension the bank is projected exactly as :class:`~aimass.retrieval.dense.DenseIndex`
does it, each query ranks the groups (FAQs, intents) by their best entry, and recall@k is
compared with the full dimension. ``choose_dim`` keeps the smallest dimension whose recall@1
is within the allowed drop.

Queries can be real labelled queries, or, when a bank has none, its own variants left out
one at a time (``leave_one_out``): each variant of a group with two or more searches the
rest of the bank, as a rephrased question would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from aimass.retrieval.dense import Pca, normalise


@dataclass
class DimResult:
    dim: int  # the full dimension for the reference row
    recall: dict[int, float]  # k -> recall@k (%)
    bytes_per_vector: int
    drop_at_1: float = 0.0  # points of recall@1 lost against the full dimension

    def as_dict(self) -> dict[str, Any]:
        return {
            "dim": self.dim,
            **{f"recall_at_{k}": v for k, v in self.recall.items()},
            "bytes_per_vector": self.bytes_per_vector,
            "drop_at_1": self.drop_at_1,
        }


def _recall(
    bank: np.ndarray,
    owners: np.ndarray,
    queries: np.ndarray,
    gold: np.ndarray,
    ks: Sequence[int],
    exclude: np.ndarray | None,
) -> dict[int, float]:
    sim = queries @ bank.T  # (Q, N)
    if exclude is not None:  # leave-one-out: a query may not find itself
        sim[np.arange(len(queries)), exclude] = -np.inf
    groups = np.unique(owners)
    per_group = np.full((len(queries), len(groups)), -np.inf, dtype=np.float32)
    for j, g in enumerate(groups):
        per_group[:, j] = sim[:, owners == g].max(1)
    order = np.argsort(-per_group, axis=1)
    ranked = groups[order]  # (Q, G)
    return {k: round(100 * float((ranked[:, :k] == gold[:, None]).any(1).mean()), 2) for k in ks}


def recall_by_dim(
    bank: np.ndarray,
    owners: Sequence[str],
    queries: np.ndarray,
    gold: Sequence[str],
    dims: Sequence[int],
    *,
    ks: Sequence[int] = (1, 5),
    exclude: Sequence[int] | None = None,
) -> list[DimResult]:
    """Recall@k of the full vectors, then of each PCA dimension in ``dims`` (fitted on the
    bank, as the index does; dimensions not below the full one are skipped)."""
    bank = normalise(bank)
    queries = normalise(queries)
    own, g = np.asarray(owners), np.asarray(gold)
    ex = np.asarray(exclude) if exclude is not None else None
    full = bank.shape[1]
    ref = DimResult(full, _recall(bank, own, queries, g, ks, ex), 4 * full)
    out = [ref]
    for d in sorted({int(d) for d in dims if 0 < int(d) < full}, reverse=True):
        pca = Pca.fit(bank, d)
        res = DimResult(d, _recall(pca(bank), own, pca(queries), g, ks, ex), 4 * d)
        res.drop_at_1 = round(ref.recall[ks[0]] - res.recall[ks[0]], 2)
        out.append(res)
    return out


def leave_one_out(
    groups: dict[str, list[str]],
) -> tuple[list[str], list[str], list[int]]:
    """The bank's texts and owners, and the positions used as left-out queries (every
    text of a group that has another one to be found by)."""
    texts, owners = [], []
    for gid, variants in groups.items():
        for v in variants:
            texts.append(v)
            owners.append(gid)
    counts = {gid: len(vs) for gid, vs in groups.items()}
    queries = [i for i, o in enumerate(owners) if counts[o] >= 2]
    return texts, owners, queries


def choose_dim(results: Sequence[DimResult], max_drop: float = 1.0) -> int:
    """The smallest dimension whose recall@1 loses at most ``max_drop`` points."""
    ok = [r for r in results if r.drop_at_1 <= max_drop]
    return min(r.dim for r in ok)


def measure_bank(
    embed: Any, groups: dict[str, list[str]], dims: Sequence[int], ks: Sequence[int] = (1, 5)
) -> list[dict[str, Any]]:
    """Leave-one-out recall by dimension of a bank (``embed``: texts -> vectors)."""
    texts, owners, q = leave_one_out(groups)
    vectors = np.asarray(embed(texts), dtype=np.float32)
    res = recall_by_dim(vectors, owners, vectors[q], [owners[i] for i in q], dims, ks=ks, exclude=q)
    return [r.as_dict() for r in res]
