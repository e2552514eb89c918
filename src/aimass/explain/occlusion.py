"""Occlusion: how much the predicted intent's probability drops when a word is deleted.

Model-agnostic (only ``intent_probabilities`` is called), so it explains exactly the served
model, ONNX included, experts and temperature included; one batched call per message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from aimass.explain.units import Span, word_spans


def delete_spans(text: str, spans: Sequence[Sequence[int]]) -> str:
    """``text`` without the characters of ``spans``; the whitespace left around a deleted
    Latin word collapses to one space."""
    drop = sorted((int(s), int(e)) for s, e in spans)
    parts, pos = [], 0
    for s, e in drop:
        if s >= pos:
            parts.append(text[pos:s])
            pos = e
    parts.append(text[pos:])
    return " ".join("".join(parts).split())


def occlusion(
    score: Callable[[list[str]], np.ndarray],
    text: str,
    *,
    spans: list[Span] | None = None,
    base: np.ndarray | None = None,
) -> tuple[list[Span], np.ndarray, np.ndarray]:
    """``(spans, base, deleted)``: the word spans, the class probabilities of ``text`` and
    those of ``text`` with each span deleted ``(len(spans), C)``. The attribution of span
    ``i`` to class ``c`` is ``base[c] - deleted[i, c]``."""
    spans = word_spans(text) if spans is None else spans
    variants = [delete_spans(text, [sp]) for sp in spans]
    if base is None:
        probs = score([text, *variants])
        base, deleted = probs[0], probs[1:]
    else:
        deleted = score(variants) if variants else np.zeros((0, len(base)))
    return spans, np.asarray(base), np.asarray(deleted).reshape(len(spans), len(base))
