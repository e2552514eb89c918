"""The lexical leg: BM25 (the ``bm25s`` library) over the text layer's terms.

Terms come from :mod:`aimass.text` (NFKC, case, traditional->simplified, jieba words plus CJK
character n-grams, stemmed English), so "退貨", "退货" and "ＲＥＴＵＲＮ" meet "return"/"退货"
in the same index. bm25s builds an immutable sparse matrix; additions and deletions mark the
index stale and it is rebuilt on the next search (milliseconds for a bot's bank, seconds at a
million entries; ``benchmarks/retrieval_scale.py`` measures it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

Tokenize = Callable[[str], list[str]]


def default_tokenize() -> Tokenize:
    from aimass.text import default_analyzer

    return default_analyzer().terms


class LexicalIndex:
    """BM25 over a list of texts addressed by position; ``None`` slots are deleted entries."""

    def __init__(
        self, *, tokenize: Tokenize | None = None, k1: float = 1.2, b: float = 0.75
    ) -> None:
        self.tokenize = tokenize or default_tokenize()
        self.k1 = k1
        self.b = b
        self._tokens: list[list[str] | None] = []
        self._bm25: Any = None
        self._stale = True

    def __len__(self) -> int:
        return len(self._tokens)

    def add(self, texts: Sequence[str]) -> None:
        self._tokens.extend(self.tokenize(t) for t in texts)
        self._stale = True

    def add_tokens(self, tokens: Sequence[list[str]]) -> None:
        self._tokens.extend(list(t) for t in tokens)
        self._stale = True

    def delete(self, positions: Sequence[int]) -> None:
        for p in positions:
            self._tokens[p] = None
        self._stale = True

    def _ensure(self) -> None:
        if not self._stale:
            return
        import bm25s

        # bm25s sets its logger to DEBUG on import and logs every index build: one line per
        # FAQ edit is noise in a service's log (and garbles a CLI's --json output)
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        # an empty list keeps the slot (positions stay aligned) and matches nothing
        corpus = [t if t else [] for t in self._tokens]
        bm25 = bm25s.BM25(k1=self.k1, b=self.b)
        if any(corpus):
            bm25.index(corpus, show_progress=False)
            self._bm25 = bm25
        else:
            self._bm25 = None
        self._stale = False

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every slot for ``query`` (0 for deleted slots and unmatched ones)."""
        return self.scores_tokens(self.tokenize(query))

    def scores_tokens(self, tokens: list[str]) -> np.ndarray:
        self._ensure()
        if self._bm25 is None or not tokens:
            return np.zeros(len(self._tokens), dtype=np.float32)
        known = [t for t in tokens if t in self._bm25.vocab_dict]
        if not known:
            return np.zeros(len(self._tokens), dtype=np.float32)
        out = np.asarray(self._bm25.get_scores(known), dtype=np.float32)
        if len(out) != len(self._tokens):  # defensive: never misalign positions
            raise RuntimeError("lexical index out of step with its entries")
        return out
