"""Knowledge-base search: documents split into passages (``aimass.kb``), searched hybrid.

Each passage is indexed with its document title and heading path in front of the text, so a
question that names only the section ("七天无理由退货") still finds it; a hit links back to the
document and section (``path#anchor``) and marks its best sentence.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aimass.retrieval.dense import DenseOptions
from aimass.retrieval.fusion import Fusion
from aimass.retrieval.hybrid import Embed, Entry, GroupHit, HybridIndex
from aimass.retrieval.lexical import Tokenize
from aimass.schemas import KbDocument

if TYPE_CHECKING:
    from aimass.kb.document import Passage

Splitter = Callable[[KbDocument], "list[Passage]"]


def default_splitter(doc: KbDocument) -> list[Passage]:
    from aimass.kb import parse_kb_document, split_passages

    return split_passages(parse_kb_document(doc))


@dataclass
class KbHit:
    passage: Passage
    hit: GroupHit
    best_sentence: list[tuple[int, int]]  # span(s) in passage.text

    @property
    def source(self) -> str:
        return self.passage.link


class KbIndex:
    """Passages grouped by passage id (a hit is a passage); documents add and leave whole."""

    def __init__(
        self,
        docs: Sequence[KbDocument],
        embed: Embed | None,
        *,
        fusion: Fusion | None = None,
        tokenize: Tokenize | None = None,
        dense: DenseOptions | None = None,
        splitter: Splitter | None = None,
    ) -> None:
        self.index = HybridIndex(embed, tokenize=tokenize, dense=dense, fusion=fusion)
        self.splitter = splitter or default_splitter
        self.docs: dict[str, KbDocument] = {}
        self.passages: dict[str, Passage] = {}
        self._of_doc: dict[str, list[str]] = {}
        for d in docs:
            self.upsert(d)

    def __len__(self) -> int:
        return len(self.passages)

    def documents(self) -> list[KbDocument]:
        return list(self.docs.values())

    def upsert(self, doc: KbDocument) -> int:
        """Add or replace a document; returns its number of passages."""
        self.delete(doc.id)
        passages = self.splitter(doc)
        self.docs[doc.id] = doc
        self._of_doc[doc.id] = [p.passage_id for p in passages]
        entries = []
        for p in passages:
            self.passages[p.passage_id] = p
            entries.append(Entry(group=p.passage_id, key=p.passage_id, text=_indexed_text(p)))
        self.index.add(entries)
        return len(passages)

    def delete(self, doc_id: str) -> bool:
        if doc_id not in self.docs:
            return False
        for pid in self._of_doc.pop(doc_id, []):
            self.index.remove(pid)
            self.passages.pop(pid, None)
        del self.docs[doc_id]
        return True

    def search(
        self,
        texts: Sequence[str],
        k: int = 3,
        *,
        query_vectors: np.ndarray | None = None,
        fusion: Fusion | None = None,
    ) -> list[list[KbHit]]:
        rows = self.index.search(texts, k, query_vectors=query_vectors, fusion=fusion)
        out = []
        for text, row in zip(texts, rows, strict=True):
            hits = []
            for h in row:
                p = self.passages[h.group]
                hits.append(KbHit(p, h, _best_sentence(text, p)))
            out.append(hits)
        return out


def _indexed_text(p: Passage) -> str:
    context = p.context
    return f"{context}\n{p.text}" if context else p.text


def _best_sentence(query: str, p: Passage) -> list[tuple[int, int]]:
    """The passage sentence sharing the most terms with the query (the first if none does)."""
    from aimass.text import terms

    q = set(terms(query))
    best = max(_sentence_terms(p.text), key=lambda s: (len(q & s[1]), -s[0][0]))
    return [best[0]]


@functools.lru_cache(maxsize=1024)
def _sentence_terms(text: str) -> tuple[tuple[tuple[int, int], frozenset[str]], ...]:
    """A passage's sentences (as ``Passage.sentence_spans``) and their terms: the same
    passages come back for many messages, and splitting and analysing them took most of a
    KB answer's time (bounded cache, keyed by the passage text)."""
    from aimass.text import terms
    from aimass.text.sentences import split_sentences

    spans = split_sentences(text) or [(0, len(text))]
    return tuple(((s, e), frozenset(terms(text[s:e]))) for s, e in spans)
