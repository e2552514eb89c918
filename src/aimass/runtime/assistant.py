"""``Assistant``: loads an artifact once, turns messages into typed responses."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from aimass.config.project import Replies, Thresholds
from aimass.errors import InputError
from aimass.runtime.decide import IntentInfo, decide
from aimass.runtime.faq_bank import FaqBank
from aimass.runtime.predictor import Predictor, TorchPredictor
from aimass.runtime.scope import classify, oos_threshold
from aimass.schemas import Faq, FaqMatch, IntentScore, Response, TagScore

log = logging.getLogger(__name__)

MAX_CHARS = 2000  # the same limit validation applies to training examples (AM114)


class Assistant:
    def __init__(self, predictor: Predictor) -> None:
        self.predictor = predictor
        files = predictor.files
        rt: dict[str, Any] = files.runtime
        self.thresholds = Thresholds.model_validate(rt.get("thresholds", {}))
        self.replies = Replies.model_validate(rt.get("replies", {}))
        self.handoff_intents: list[str] = list(rt.get("handoff_intents", ["human_agent"]))
        self.intent_info = {
            name: IntentInfo(
                responses=dict(v.get("responses", {})), description=v.get("description")
            )
            for name, v in rt.get("intents", {}).items()
        }
        self.calibration = files.calibration
        self.model_version = str(files.manifest.get("model_version", ""))
        faqs = [Faq.model_validate(f) for f in rt.get("faqs", [])]
        self.faq_bank = self._build_faq_bank(faqs)

    @classmethod
    def load(cls, path: str | Path, *, threads: int | None = None) -> Assistant:
        from aimass.model.artifact import model_format_of

        predictor: Predictor
        if model_format_of(Path(path)) == "onnx":  # `aimass compress` output: no torch
            from aimass.runtime.onnx_predictor import OnnxPredictor

            predictor = OnnxPredictor(Path(path), threads=threads)
        else:
            predictor = TorchPredictor(Path(path), threads=threads)
        return cls(predictor)

    # ------------------------------------------------------------------ public

    def respond(
        self, text: str, *, user_id: str | None = None, session_id: str | None = None
    ) -> Response:
        return self.respond_many([text], user_ids=[user_id], session_ids=[session_id])[0]

    def respond_many(
        self,
        texts: list[str],
        *,
        user_ids: list[str | None] | None = None,
        session_ids: list[str | None] | None = None,
    ) -> list[Response]:
        """Several messages at once: one batched model call (the service's micro-batching)."""
        started = time.perf_counter()
        clean = [check_message(t) for t in texts]
        n = len(clean)
        user_ids = user_ids or [None] * n
        session_ids = session_ids or [None] * n
        intent_probs = (
            self.predictor.intent_probabilities(clean) if self.predictor.has("intent") else None
        )
        tag_probs = (
            self.predictor.tag_probabilities(clean) if self.predictor.has("profile") else None
        )
        faq_hits = (
            self.faq_bank.search(self.predictor.embed(clean), k=5)
            if len(self.faq_bank)
            else [[] for _ in clean]
        )
        elapsed = (time.perf_counter() - started) * 1000 / max(n, 1)
        out = []
        for i, text in enumerate(clean):
            language = language_of(text)
            intents, oos = self._intents(intent_probs[i] if intent_probs is not None else None)
            faqs = self._faq_matches(faq_hits[i], language)
            decision = decide(
                intents=intents,
                out_of_scope=oos,
                faqs=faqs,
                language=language,
                thresholds=self.thresholds,
                replies=self.replies,
                intent_info=self.intent_info,
                handoff_intents=self.handoff_intents,
                faq_titles={h.faq.id: _title(h.faq, language) for h in faq_hits[i]},
            )
            out.append(
                Response(
                    text=text,
                    language=language,
                    intents=intents,
                    out_of_scope=oos,
                    tags=self._tags(tag_probs[i] if tag_probs is not None else None),
                    faqs=faqs,
                    decision=decision,
                    user_id=user_ids[i],
                    session_id=session_ids[i],
                    model_version=self.model_version,
                    latency_ms=round(elapsed, 2),
                )
            )
        return out

    # ------------------------------------------------------------------ parts

    def _build_faq_bank(self, faqs: list[Faq]) -> FaqBank:
        faqs = [f for f in faqs if f.questions]
        if not faqs:
            return FaqBank([], np.zeros((0, 1), dtype=np.float32))
        variants = [q for f in faqs for q in f.questions]
        return FaqBank(faqs, self.predictor.embed(variants))

    def _intents(self, probs: np.ndarray | None, k: int = 5) -> tuple[list[IntentScore], bool]:
        if probs is None:
            return [], False
        labels = self.predictor.intent_labels
        order = np.argsort(-probs)[:k]
        scores = [
            IntentScore(name=labels[j], confidence=float(np.clip(probs[j], 0, 1))) for j in order
        ]
        _, _, oos = classify(probs, labels, oos_threshold(self.calibration, self.thresholds))
        return scores, oos

    def _tags(self, probs: np.ndarray | None) -> list[TagScore]:
        if probs is None:
            return []
        labels = self.predictor.tag_labels
        tags = [
            TagScore(name=labels[j], confidence=float(p))
            for j, p in enumerate(probs)
            if p >= self.thresholds.tag
        ]
        return sorted(tags, key=lambda t: -t.confidence)

    def _faq_matches(self, hits: list[Any], language: str) -> list[FaqMatch]:
        if not hits:
            return []
        from aimass.training.calibrate import match_confidence

        params = self.calibration.get("faq_confidence") or {
            "w_score": 25.0,
            "w_margin": 0.0,
            "bias": -21.25,
        }
        scores = np.array([h.score for h in hits])
        others = np.array(
            [np.max(np.delete(scores, i)) if len(scores) > 1 else 0.0 for i in range(len(scores))]
        )
        conf = match_confidence(params, scores, scores - others)
        return [
            FaqMatch(
                faq_id=h.faq.id,
                score=round(h.score, 4),
                confidence=float(np.clip(c, 0, 1)),
                matched_question=h.variant,
                answer=h.faq.answer_for(language),
                category=h.faq.category,
            )
            for h, c in zip(hits, conf, strict=True)
        ]


def check_message(text: Any) -> str:
    if not isinstance(text, str):
        raise InputError("a message must be text", code="AM602", hint="send a string")
    clean = text.strip()
    if not clean:
        raise InputError("the message is empty", code="AM600", hint="type a question")
    if len(clean) > MAX_CHARS:
        raise InputError(
            f"the message is {len(clean)} characters long; the limit is {MAX_CHARS}",
            code="AM601",
            hint="shorten the message or split it into several",
        )
    return clean


def language_of(text: str) -> str:
    from aimass.data.language import language_of as detect

    return detect(text)


def _title(faq: Faq, language: str) -> str:
    """The FAQ's first question in the user's language, for clarification buttons."""
    for q in faq.questions:
        if language_of(q) == language:
            return q
    return faq.questions[0]
