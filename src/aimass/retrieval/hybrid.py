"""Hybrid search over entries that belong to groups (FAQ variants -> FAQs, passages -> documents).

Each leg scores entries; a group's score in a leg is its best entry's; the legs are fused per
group (:mod:`aimass.retrieval.fusion`). Candidates are the union of each leg's top entries, so
a query that shares no word with an entry can still find it by meaning and vice versa.
Entries can be added and whole groups removed at any time; both legs follow in place.

An entry can be lexical-only (``dense=False``): an FAQ's answer lends its words to the lexical
leg (a question about "tildes" finds the FAQ whose answer says to use them) without standing
in for a way of asking in the dense leg or being shown as the matched question.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from aimass.retrieval.dense import DenseIndex, DenseOptions
from aimass.retrieval.fusion import Fusion
from aimass.retrieval.lexical import LexicalIndex, Tokenize

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Entry:
    group: str  # what a hit is about: an FAQ id, a document id
    key: str  # this entry: a question variant, a passage id
    text: str
    dense: bool = True  # False: searched by the lexical leg only (an FAQ's answer)


@dataclass
class GroupHit:
    group: str
    fused: float
    dense: float  # best cosine among the group's candidate entries (-1 when the leg is off)
    lexical: float  # best BM25 among the group's entries (0 when no term is shared)
    entry: Entry  # the entry that matched best (by meaning when there is a dense leg)
    legs: dict[str, int] = field(default_factory=dict)  # rank of the group in each leg (1-based)


class HybridIndex:
    def __init__(
        self,
        embed: Embed | None = None,
        *,
        tokenize: Tokenize | None = None,
        dense: DenseOptions | None = None,
        fusion: Fusion | None = None,
    ) -> None:
        self.embed = embed
        self.fusion = fusion or Fusion()
        self.lexical = LexicalIndex(tokenize=tokenize)
        self.dense = DenseIndex(dense) if embed is not None else None
        self._entries: list[Entry | None] = []
        self._by_group: dict[str, list[int]] = {}

    # ------------------------------------------------------------------ content

    def __len__(self) -> int:
        return len(self._by_group)

    @property
    def groups(self) -> list[str]:
        return list(self._by_group)

    @property
    def entries(self) -> int:
        return sum(len(v) for v in self._by_group.values())

    def add(self, entries: Sequence[Entry], vectors: np.ndarray | None = None) -> None:
        entries = list(entries)
        if not entries:
            return
        if self.dense is not None:
            if vectors is None:
                assert self.embed is not None
                on = [i for i, e in enumerate(entries) if e.dense]
                # (one text is embedded even when none is dense, for the vectors' width)
                got = self.embed([entries[i].text for i in on] or [entries[0].text])
                # lexical-only entries hold a zero vector, so positions stay aligned across
                # the legs, and are deleted from the dense leg at once
                vectors = np.zeros((len(entries), got.shape[1]), dtype=np.float32)
                vectors[on] = got[: len(on)]
            if len(vectors) != len(entries):
                raise ValueError("one vector per entry")
            self.dense.add(vectors)
            self.dense.delete(
                [len(self._entries) + i for i, e in enumerate(entries) if not e.dense]
            )
        start = len(self._entries)
        self._entries.extend(entries)
        self.lexical.add([e.text for e in entries])
        for i, e in enumerate(entries):
            self._by_group.setdefault(e.group, []).append(start + i)

    def remove(self, group: str) -> int:
        """Remove every entry of ``group``; returns how many there were."""
        positions = self._by_group.pop(group, [])
        for p in positions:
            self._entries[p] = None
        if positions:
            self.lexical.delete(positions)
            if self.dense is not None:
                self.dense.delete(positions)
        return len(positions)

    def replace(
        self, group: str, entries: Sequence[Entry], vectors: np.ndarray | None = None
    ) -> None:
        self.remove(group)
        self.add(entries, vectors)

    # ------------------------------------------------------------------ search

    def search(
        self,
        queries: Sequence[str],
        k: int = 5,
        *,
        query_vectors: np.ndarray | None = None,
        fusion: Fusion | None = None,
        candidates: int = 100,
    ) -> list[list[GroupHit]]:
        """The ``k`` best groups per query, best first."""
        fusion = fusion or self.fusion
        if not self._by_group:
            return [[] for _ in queries]
        use_dense = self.dense is not None and fusion.method != "lexical"
        if use_dense and query_vectors is None:
            assert self.embed is not None
            query_vectors = self.embed(list(queries))
        return [
            self._search_one(
                q,
                query_vectors[i] if use_dense and query_vectors is not None else None,
                k,
                fusion,
                candidates,
            )
            for i, q in enumerate(queries)
        ]

    def _search_one(
        self, query: str, qv: np.ndarray | None, k: int, fusion: Fusion, candidates: int
    ) -> list[GroupHit]:
        n = len(self._entries)
        lex_all = (
            self.lexical.scores(query) if fusion.method != "dense" else np.zeros(n, np.float32)
        )
        pos: set[int] = set()
        # lexical candidates
        matched = np.flatnonzero(lex_all > 0)
        if len(matched) > candidates:
            matched = matched[np.argpartition(-lex_all[matched], candidates - 1)[:candidates]]
        pos.update(int(p) for p in matched)
        dense_of: dict[int, float] = {}
        if qv is not None and self.dense is not None:
            ((idx, sims),) = self.dense.top(qv[None, :], candidates)
            for p, s in zip(idx, sims, strict=True):
                dense_of[int(p)] = float(s)
            pos.update(dense_of)
            # a group found through a lexical-only entry is scored by meaning on its own
            # dense entries (its ways of asking), not on the zero vector
            for p in list(pos):
                e = self._entries[p]
                if e is not None and not e.dense:
                    pos.update(q for q in self._by_group.get(e.group, ()) if self._dense_at(q))
            missing = [p for p in pos if p not in dense_of and self._dense_at(p)]
            if missing:  # lexical-only candidates still get their true cosine
                sims = self._cosines(qv, missing)
                dense_of.update(zip(missing, sims.tolist(), strict=True))
        live = [p for p in pos if self._entries[p] is not None]
        if not live:
            return []
        # per group: best entry in each leg, and the best way of asking to show
        best: dict[str, list] = {}  # group -> [dense, dense_pos, lexical, lexical_pos, shown]
        for p in live:
            e = self._entries[p]
            assert e is not None
            d = dense_of.get(p, -1.0) if e.dense else -np.inf
            lx = float(lex_all[p])
            b = best.get(e.group)
            if b is None:
                best[e.group] = [max(d, -1.0), p, lx, p, (lx if e.dense else -np.inf, p)]
                continue
            if d > b[0]:
                b[0], b[1] = d, p
            if lx > b[2]:
                b[2], b[3] = lx, p
            if e.dense and lx > b[4][0]:
                b[4] = (lx, p)
        groups = list(best)
        dense = np.array([best[g][0] for g in groups], dtype=np.float64)
        lexical = np.array([best[g][2] for g in groups], dtype=np.float64)
        if qv is None:
            dense = np.full(len(groups), -np.inf)
        fused = fusion.fuse(dense, lexical)
        order = np.argsort(-fused, kind="stable")[:k]
        d_rank = _ranks(dense)
        l_rank = _ranks(lexical)
        out = []
        for j in order:
            g = groups[j]
            b = best[g]
            entry_pos = b[1] if qv is not None and self._dense_at(b[1]) else b[4][1]
            if not self._dense_at(entry_pos):  # found by its answer alone: show how it is asked
                entry_pos = next((q for q in self._by_group[g] if self._dense_at(q)), entry_pos)
            e = self._entries[entry_pos]
            assert e is not None
            out.append(
                GroupHit(
                    group=g,
                    fused=float(fused[j]),
                    dense=float(b[0]) if qv is not None else -1.0,
                    lexical=float(b[2]),
                    entry=e,
                    legs={"dense": int(d_rank[j]), "lexical": int(l_rank[j])},
                )
            )
        return out

    def _dense_at(self, p: int) -> bool:
        e = self._entries[p]
        return e is not None and e.dense

    def _cosines(self, qv: np.ndarray, positions: list[int]) -> np.ndarray:
        assert self.dense is not None
        q = self.dense.project(qv[None, :])[0]
        return self.dense.vectors_at(positions) @ q


def _ranks(scores: np.ndarray) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    r = np.empty(len(scores), dtype=np.int64)
    r[order] = np.arange(1, len(scores) + 1)
    return r
