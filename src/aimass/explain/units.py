"""The units an explanation attributes to: words (jieba words for Chinese, whole words for
Latin scripts, numbers), as spans of the original message."""

from __future__ import annotations

import functools

from aimass.text.analyze import Analyzer

Span = tuple[int, int]


@functools.lru_cache(maxsize=1)
def _analyzer() -> Analyzer:
    # No character n-grams (they overlap) and no stopword removal (every word is a unit):
    # what is left is a segmentation into non-overlapping words.
    return Analyzer(cjk_ngrams=(), stopwords=False, stem=False)


def word_spans(text: str, *, chars: bool = False) -> list[Span]:
    """Non-overlapping ``(start, end)`` spans of the words of ``text`` in order; with
    ``chars`` every Chinese character is its own unit (finer, more forward passes).
    Punctuation, emoji and whitespace belong to no unit."""
    spans: list[Span] = []
    for tok in _analyzer().analyze(text):
        if chars and tok.kind == "word" and tok.end - tok.start > 1:
            spans.extend((k, k + 1) for k in range(tok.start, tok.end))
        else:
            spans.append((tok.start, tok.end))
    out: list[Span] = []
    for s, e in sorted(set(spans)):
        if out and s < out[-1][1]:  # one original character that expanded: keep the first
            continue
        out.append((s, e))
    return out
