"""Which characters made two texts match, for highlighting FAQ and passage hits.

The spans come from the same analyzer that feeds BM25, so a highlight shows exactly the
terms that the lexical leg scored on, placed on the characters the customer typed (the
analyzer's offsets point into the original text, full-width and traditional included).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from aimass.text.analyze import Analyzer, Token

__all__ = ["matching_spans", "merge_spans"]

Span = tuple[int, int]


def merge_spans(spans: Iterable[Span], *, text: str | None = None) -> list[Span]:
    """Sort ``spans`` and merge those that overlap or touch.

    With ``text`` (the string the spans index), spans separated only by whitespace merge
    too, so 'iPhone 15 Pro' highlights as one stretch rather than three.
    """
    ordered = sorted((int(s), int(e)) for s, e in spans if e > s)
    merged: list[Span] = []
    for start, end in ordered:
        if merged:
            last_start, last_end = merged[-1]
            if start <= last_end or (
                text is not None and text[last_end:start].strip() == "" and start <= len(text)
            ):
                merged[-1] = (last_start, max(last_end, end))
                continue
        merged.append((start, end))
    return merged


def _highlight(tokens: Iterable[Token], shared: set[str], chars_too: bool, text: str) -> list[Span]:
    return merge_spans(
        (
            (t.start, t.end)
            for t in tokens
            if t.term in shared and (chars_too or t.kind != "cjk_char")
        ),
        text=text,
    )


def matching_spans(
    query: str, other: str, analyzer: Analyzer | None = None
) -> tuple[list[Span], list[Span]]:
    """The spans of ``query`` and of ``other`` whose terms the two texts share, merged.

    Single Chinese characters that are only part of longer words ('么' in 怎么 and 什么)
    match between unrelated questions all the time, so they are highlighted only when
    nothing longer is shared; a character that jieba segments as a word of its own counts
    like any word.
    """
    if analyzer is None:
        from aimass.text.analyze import default_analyzer

        analyzer = default_analyzer()
    query_tokens = analyzer.analyze(query)
    other_tokens = _analyzed(analyzer, other)
    shared = {t.term for t in query_tokens} & {t.term for t in other_tokens}
    if not shared:
        return [], []
    strong = {t.term for t in query_tokens if t.kind != "cjk_char"} | {
        t.term for t in other_tokens if t.kind != "cjk_char"
    }
    chars_too = not (shared & strong)
    return (
        _highlight(query_tokens, shared, chars_too, query),
        _highlight(other_tokens, shared, chars_too, other),
    )


@functools.lru_cache(maxsize=512)
def _analyzed(analyzer: Analyzer, text: str) -> tuple[Token, ...]:
    """The same FAQ questions and KB passages are highlighted against every message (a
    passage takes milliseconds to analyse): remember the most recent ones (bounded: a few
    tens of MB at most for long passages). Tokens are immutable and an analyzer hashes by
    its configuration, so sharing them is safe."""
    return tuple(analyzer.analyze(text))
