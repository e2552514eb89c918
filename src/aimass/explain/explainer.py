"""The ``Explanation`` of one message: word attributions for the intent, the runner-up and
why it lost, the nearest training examples, and the FAQ/KB word matches.

Everything is computed through the assistant's own predictor and the response it serves, so
the explanation is of the decision the customer got, not of a re-implementation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from aimass.errors import InputError
from aimass.explain.occlusion import occlusion
from aimass.explain.units import word_spans
from aimass.schemas.response import (
    Explanation,
    MatchExplanation,
    NearestExample,
    Response,
    TokenAttribution,
)

if TYPE_CHECKING:  # pragma: no cover
    from aimass.runtime.assistant import Assistant

METHODS = ("occlusion", "ig")


def attributions(
    predictor: Any, text: str, method: str = "occlusion", *, target: int | None = None
) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray, np.ndarray]:
    """``(spans, scores, base, deleted)``: word spans of ``text``, each span's attribution to
    the ``target`` intent (default: the top one) by ``method``, the class probabilities of
    ``text`` and those with each word deleted (occlusion is always run: it also says which
    words tipped the runner-up)."""
    if method not in METHODS:
        raise InputError(
            f"unknown explanation method {method!r}",
            code="AM560",
            hint=f"use one of: {', '.join(METHODS)}",
        )
    spans, base, deleted = occlusion(predictor.intent_probabilities, text)
    c = int(np.argmax(base)) if target is None else int(target)
    if method == "occlusion":
        # In log-odds: a confident model's probability barely moves when one of two
        # telling words goes, its log-odds still do, so the ranking stays informative.
        return spans, log_odds(base[None, :], c)[0] - log_odds(deleted, c), base, deleted
    model = getattr(predictor, "model", None)
    enc = getattr(predictor, "enc", None)
    if model is None or enc is None:
        raise InputError(
            "integrated gradients need the torch model; this artifact is served with ONNX",
            code="AM562",
            hint="use --method occlusion (it explains the served model as it is)",
        )
    from aimass.explain.gradients import to_words, token_attributions

    tok_spans, tok_scores = token_attributions(model, enc, text, c)
    return spans, to_words(tok_spans, tok_scores, spans), base, deleted


def log_odds(probs: np.ndarray, c: int) -> np.ndarray:
    """``log p_c - log Σ_{j≠c} p_j`` per row: the other classes' mass is summed, not taken
    as ``1 - p_c``, which rounds to 0 for a confident model."""
    p = np.asarray(probs, dtype=np.float64).reshape(-1, probs.shape[-1])
    rest = p.sum(1) - p[:, c] if p.shape[1] < 2 else np.delete(p, c, axis=1).sum(1)
    return np.log(np.maximum(p[:, c], 1e-300)) - np.log(np.maximum(rest, 1e-300))


def nearest_examples(
    predictor: Any, calibration: dict[str, Any], text: str, k: int = 3
) -> list[NearestExample]:
    """The ``k`` training examples most similar to ``text`` among those the artifact keeps
    (``calibration["examples"]``, a bounded sample); none for older artifacts."""
    bank = calibration.get("examples")
    if not isinstance(bank, dict) or not bank.get("texts"):
        return []
    from aimass.runtime.scope import unpack

    vectors = unpack(bank["vectors"])
    q = np.asarray(predictor.embed([text]))[0]
    sims = vectors @ q
    order = np.argsort(-sims)[:k]
    return [
        NearestExample(
            text=bank["texts"][i], intent=bank["labels"][i], similarity=round(float(sims[i]), 4)
        )
        for i in order
    ]


def explain(
    assistant: Assistant,
    text: str,
    method: str = "occlusion",
    *,
    response: Response | None = None,
    nearest: int = 3,
) -> Explanation:
    """The explanation of ``text`` as ``assistant`` answers it."""
    from aimass.runtime.assistant import check_message
    from aimass.runtime.scope import ScopeRule

    clean = check_message(text)
    response = response or assistant.respond(clean)
    predictor = assistant.predictor
    out = Explanation(text=clean, method=method, out_of_scope=response.out_of_scope)
    if predictor.has("intent"):
        labels = predictor.intent_labels
        spans, scores, base, deleted = attributions(predictor, clean, method)
        order = np.argsort(-base)
        top, second = int(order[0]), (int(order[1]) if len(order) > 1 else None)
        out.intent, out.confidence = labels[top], round(float(base[top]), 4)
        out.attributions = [
            TokenAttribution(start=s, end=e, text=clean[s:e], score=round(float(v), 5))
            for (s, e), v in zip(spans, scores, strict=True)
        ]
        if second is not None:
            out.runner_up = labels[second]
            out.runner_up_confidence = round(float(base[second]), 4)
            out.gap = round(float(base[top] - base[second]), 4)
            out.why_runner_up_lost = _why_lost(
                clean, spans, base, deleted, top, second, labels, assistant
            )
        rule = ScopeRule.from_calibration(assistant.calibration)
        if rule is not None:
            vec = predictor.embed([clean]) if rule.needs_vectors else None
            out.scope_score = round(float(rule.score(base[None, :], vec, labels)[0]), 4)
            out.scope_threshold = round(rule.threshold, 4)
    out.nearest = nearest_examples(predictor, assistant.calibration, clean, nearest)
    out.matches = [
        MatchExplanation(
            kind="faq",
            id=f.faq_id,
            matched_text=f.matched_question,
            confidence=f.confidence,
            highlights=f.highlights,
            matched_highlights=f.matched_highlights,
        )
        for f in response.faqs[:3]
    ] + [_kb_match(clean, m) for m in response.kb[:2]]
    return out


def _why_lost(
    text: str,
    spans: list[tuple[int, int]],
    base: np.ndarray,
    deleted: np.ndarray,
    top: int,
    second: int,
    labels: list[str],
    assistant: Assistant,
) -> str:
    """One sentence: the gap, whether it is close enough to clarify, and the words whose
    deletion would narrow the gap most (they tipped the decision)."""
    gap = float(base[top] - base[second])
    sentence = (
        f"{labels[second]} ({base[second]:.2f}) lost to {labels[top]} ({base[top]:.2f}) "
        f"by {gap:.2f}"
    )
    if gap < assistant.thresholds.ambiguity_margin:
        sentence += "; that is within the ambiguity margin, so both may be offered"
    if len(spans):
        # Deleting a tipping word lowers the winner and raises the runner-up.
        # In log space (log p_top - log p_second), which a saturated softmax keeps.
        lb = np.log(np.maximum(np.asarray(base, dtype=np.float64), 1e-300))
        ld = np.log(np.maximum(np.asarray(deleted, dtype=np.float64), 1e-300))
        narrowing = (lb[top] - lb[second]) - (ld[:, top] - ld[:, second])
        best = [i for i in np.argsort(-narrowing)[:2] if narrowing[i] > 0.05]
        if best:
            words = ", ".join(f"'{text[spans[i][0] : spans[i][1]]}'" for i in best)
            sentence += f"; the words that tipped it: {words}"
    return sentence + "."


def _kb_match(text: str, m: Any) -> MatchExplanation:
    from aimass.runtime.assistant import _spans

    mine, theirs = _spans(text, m.text)
    return MatchExplanation(
        kind="kb",
        id=f"{m.doc_id}#{m.passage_id}",
        matched_text=m.text,
        confidence=m.confidence,
        highlights=mine,
        matched_highlights=theirs,
    )


__all__ = ["METHODS", "attributions", "explain", "nearest_examples", "word_spans"]
