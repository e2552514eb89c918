"""FAQ matching: every way an FAQ is asked is an entry; hits are FAQs with their best variant.

The answer text (every language of it) is a lexical-only entry as well: customers ask in the
answer's words as often as in the question's ("how do I cross out text" against an answer that
says "use ~~tildes~~"), and the dense leg stays on the ways of asking, which it was trained on.
``answers=False`` indexes the questions alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aimass.retrieval.dense import DenseOptions
from aimass.retrieval.fusion import Fusion
from aimass.retrieval.hybrid import Embed, Entry, GroupHit, HybridIndex
from aimass.retrieval.lexical import Tokenize
from aimass.schemas import Faq


@dataclass
class FaqHit:
    faq: Faq
    hit: GroupHit

    @property
    def variant(self) -> str:
        return self.hit.entry.text


class FaqIndex:
    def __init__(
        self,
        faqs: Sequence[Faq],
        embed: Embed | None,
        *,
        fusion: Fusion | None = None,
        tokenize: Tokenize | None = None,
        dense: DenseOptions | None = None,
        answers: bool = True,
    ) -> None:
        self.index = HybridIndex(embed, tokenize=tokenize, dense=dense, fusion=fusion)
        self.answers = answers
        self.faqs: dict[str, Faq] = {}
        self.add_many(faqs)

    def __len__(self) -> int:
        return len(self.faqs)

    def __contains__(self, faq_id: str) -> bool:
        return faq_id in self.faqs

    @property
    def fusion(self) -> Fusion:
        return self.index.fusion

    @fusion.setter
    def fusion(self, value: Fusion) -> None:
        self.index.fusion = value

    def add_many(self, faqs: Sequence[Faq]) -> None:
        entries = []
        for f in faqs:
            if f.id in self.faqs:
                self.index.remove(f.id)
            self.faqs[f.id] = f
            entries.extend(_entries(f, self.answers))
        self.index.add(entries)

    def upsert(self, faq: Faq) -> None:
        """Add or replace one FAQ (its variants are re-indexed; nothing is retrained)."""
        self.index.remove(faq.id)
        self.faqs[faq.id] = faq
        self.index.add(_entries(faq, self.answers))

    def delete(self, faq_id: str) -> bool:
        if faq_id not in self.faqs:
            return False
        self.index.remove(faq_id)
        del self.faqs[faq_id]
        return True

    def search(
        self,
        texts: Sequence[str],
        k: int = 5,
        *,
        query_vectors: np.ndarray | None = None,
        fusion: Fusion | None = None,
    ) -> list[list[FaqHit]]:
        rows = self.index.search(texts, k, query_vectors=query_vectors, fusion=fusion)
        return [[FaqHit(self.faqs[h.group], h) for h in row] for row in rows]


def _entries(faq: Faq, answers: bool = True) -> list[Entry]:
    seen: set[str] = set()
    out: list[Entry] = []
    for q in faq.questions:
        if q and q not in seen:
            seen.add(q)
            out.append(Entry(group=faq.id, key=f"{faq.id}:{len(out)}", text=q))
    if answers and out:  # an FAQ nobody can ask (no question) is not searchable by its answer
        texts = dict.fromkeys(t for t in (faq.answer, *faq.answers.values()) if t.strip())
        for i, t in enumerate(texts):
            out.append(Entry(group=faq.id, key=f"{faq.id}:answer:{i}", text=t, dense=False))
    return out
