"""Recognising a message: word lists (Aho-Corasick), exact phrases, patterns, embeddings.

Everything matches on the normalised message (``aimass.policy.normalize``), so ``ＶＩＰ``,
``Vip`` and ``vip`` are one word and ``轉人工`` is ``转人工``. Word lists use pyahocorasick: one
pass over the message whatever the size of the list (sensitive-word lists run to thousands).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aimass.policy.config import Match
from aimass.policy.normalize import Normalized, normalize_plain

__all__ = ["Hit", "PhraseMatcher", "WordMatcher"]

_END_PUNCT = " \t\r\n?？!！.。,，~～…、;；:："


@dataclass(frozen=True)
class Hit:
    start: int  # in the normalised text
    end: int
    word: str  # the list entry as written


class WordMatcher:
    """All occurrences of any listed word; a word that starts or ends with a Latin letter or
    digit only matches at a word boundary there (``ass`` does not fire on ``class``)."""

    def __init__(self, words: list[str]) -> None:
        import ahocorasick

        self.size = 0
        self._automaton: Any = ahocorasick.Automaton()
        for word in words:
            key = normalize_plain(word).strip()
            if key:
                self._automaton.add_word(key, (len(key), word))
                self.size += 1
        if self.size:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[Hit]:
        if not self.size:
            return []
        hits = []
        for end_index, (length, word) in self._automaton.iter(text):
            start, end = end_index - length + 1, end_index + 1
            if _bounded(text, start, end):
                hits.append(Hit(start, end, word))
        return hits


def _bounded(text: str, start: int, end: int) -> bool:
    def wordish(c: str) -> bool:
        return c.isascii() and c.isalnum()

    if wordish(text[start]) and start > 0 and wordish(text[start - 1]):
        return False
    return not (wordish(text[end - 1]) and end < len(text) and wordish(text[end]))


@dataclass
class PhraseMatcher:
    """A compiled ``Match``: exact phrases, keywords, regular expressions, semantic examples."""

    match: Match
    exact: set[str] = field(init=False)
    keywords: WordMatcher = field(init=False)
    patterns: list[re.Pattern[str]] = field(init=False)
    vectors: np.ndarray | None = None  # (E, H) example embeddings, once prepared

    def __post_init__(self) -> None:
        self.exact = {normalize_plain(p).strip(_END_PUNCT) for p in self.match.exact}
        self.keywords = WordMatcher(self.match.keywords)
        self.patterns = [re.compile(p, re.IGNORECASE) for p in self.match.regex]

    def prepare(self, embed: Callable[[list[str]], np.ndarray]) -> None:
        if self.match.semantic is not None:
            self.vectors = np.asarray(embed(list(self.match.semantic.examples)), dtype=np.float32)

    def find(self, norm: Normalized, vector: Callable[[], np.ndarray | None]) -> str | None:
        """What matched (for the trace), or ``None``. ``vector`` embeds the message lazily:
        only a rule that gets as far as its semantic examples pays for the encoder."""
        text = norm.text
        if text.strip(_END_PUNCT) in self.exact:
            return "exact phrase"
        hits = self.keywords.find(text)
        if hits:
            return f"keyword {hits[0].word!r}"
        for p in self.patterns:
            if p.search(text):
                return f"pattern {p.pattern!r}"
        sem = self.match.semantic
        if sem is not None and self.vectors is not None and len(self.vectors):
            v = vector()
            if v is not None:
                sims = self.vectors @ v  # (E,) cosines: both sides are L2-normalised
                best = int(np.argmax(sims))
                if float(sims[best]) >= sem.threshold:
                    return f"semantic {float(sims[best]):.2f} to {sem.examples[best]!r}"
        return None
