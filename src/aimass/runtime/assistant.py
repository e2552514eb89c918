"""``Assistant``: loads an artifact once, turns messages into typed responses."""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from aimass.config.project import Replies, Thresholds
from aimass.errors import InputError
from aimass.learning.serving import FaqRanker
from aimass.policy import Policy, Turn
from aimass.runtime.content import ContentStore, content_dir_for
from aimass.runtime.decide import IntentInfo, decide
from aimass.runtime.predictor import Predictor, TorchPredictor
from aimass.runtime.scope import decide as decide_scope
from aimass.runtime.scope import needs_vectors
from aimass.schemas import (
    Decision,
    Faq,
    FaqChoice,
    FaqMatch,
    Highlight,
    IntentScore,
    KbDocument,
    KbMatch,
    Response,
    TagScore,
)
from aimass.schemas.response import Explanation

log = logging.getLogger(__name__)

MAX_CHARS = 2000  # the same limit validation applies to training examples (AM114)


class Assistant:
    def __init__(
        self,
        predictor: Predictor,
        *,
        content_dir: Path | None = None,
        ranker: FaqRanker | None = None,
    ) -> None:
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
        # Edited content (admin console, API) wins over what was trained with.
        self.content = ContentStore(content_dir) if content_dir is not None else None
        edited = self.content.faqs() if self.content is not None else None
        faqs = edited if edited is not None else [Faq.model_validate(f) for f in rt.get("faqs", [])]
        edited_kb = self.content.kb() if self.content is not None else None
        docs = (
            edited_kb
            if edited_kb is not None
            else [KbDocument.model_validate(d) for d in rt.get("kb", [])]
        )
        self._build_indexes(faqs, docs)
        # The bot's rules (policy.yaml, stored at training or by `aimass policy apply`).
        self.policy = Policy.from_runtime(rt.get("policy"), handoff_reply=self.replies.handoff)
        self.policy.prepare(self.predictor.embed)
        # Which FAQ a confident FAQ answer shows (the learned re-ranking policy, if promoted).
        self.ranker = ranker or FaqRanker(None)

    @classmethod
    def load(
        cls, path: str | Path, *, threads: int | None = None, explore: bool = False
    ) -> Assistant:
        """Load an artifact folder. ``explore``: let a promoted bandit policy explore within
        its caps (the service does, so feedback can judge the next policy); off, it always
        shows its best FAQ."""
        from aimass.model.artifact import model_format_of

        predictor: Predictor
        if model_format_of(Path(path)) == "onnx":  # `aimass compress` output: no torch
            from aimass.runtime.onnx_predictor import OnnxPredictor

            predictor = OnnxPredictor(Path(path), threads=threads)
        else:
            predictor = TorchPredictor(Path(path), threads=threads)
        return cls(
            predictor,
            content_dir=content_dir_for(Path(path)),
            ranker=FaqRanker.beside(Path(path), explore=explore),
        )

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
        query_vectors = (
            self.predictor.embed(clean)
            if len(self.faq_index)
            or len(self.kb_index)
            or (intent_probs is not None and needs_vectors(self.calibration))
            else None
        )
        scope = (
            decide_scope(
                intent_probs,
                query_vectors,
                self.predictor.intent_labels,
                self.calibration,
                self.thresholds,
            )
            if intent_probs is not None
            else None
        )
        faq_hits = (
            self.faq_index.search(
                clean, k=5, query_vectors=self._faq_query_vectors(clean, query_vectors)
            )
            if len(self.faq_index)
            else [[] for _ in clean]
        )
        kb_hits = (
            self.kb_index.search(clean, k=3, query_vectors=query_vectors)
            if len(self.kb_index)
            else [[] for _ in clean]
        )
        elapsed = (time.perf_counter() - started) * 1000 / max(n, 1)
        out = []
        for i, text in enumerate(clean):
            language = language_of(text)
            intents, oos = self._intents(
                intent_probs[i] if intent_probs is not None else None,
                scope[i][2] if scope is not None else False,
            )
            faqs = self._faq_matches(text, faq_hits[i], language)
            tags = self._tags(tag_probs[i] if tag_probs is not None else None)
            # The policy's rules run first; decide() is its last, default step.
            ruled = self.policy.decide(
                Turn(
                    text=text,
                    language=language,
                    intents=intents,
                    out_of_scope=oos,
                    tags=tags,
                    faqs=faqs,
                    session_id=session_ids[i],
                    user_id=user_ids[i],
                    vector=query_vectors[i] if query_vectors is not None else None,
                    default=functools.partial(
                        decide,
                        intents=intents,
                        out_of_scope=oos,
                        faqs=faqs,
                        language=language,
                        thresholds=self.thresholds,
                        replies=self.replies,
                        intent_info=self.intent_info,
                        handoff_intents=self.handoff_intents,
                        faq_titles={h.faq.id: _title(h.faq, language) for h in faq_hits[i]},
                    ),
                )
            )
            decision, choice = self._show_faq(
                ruled.decision, faqs, tags, ruled.redacted_text or text, language
            )
            out.append(
                Response(
                    text=text,
                    language=language,
                    intents=intents,
                    out_of_scope=oos,
                    tags=tags,
                    faqs=faqs,
                    kb=self._kb_matches(text, kb_hits[i]),
                    decision=decision,
                    redacted_text=ruled.redacted_text,
                    user_id=user_ids[i],
                    session_id=session_ids[i],
                    model_version=self.model_version,
                    latency_ms=round(elapsed, 2),
                    faq_choice=choice,
                )
            )
        return out

    def _show_faq(
        self,
        decision: Decision,
        faqs: list[FaqMatch],
        tags: list[TagScore],
        stored_text: str,
        language: str,
    ) -> tuple[Decision, FaqChoice | None]:
        """A confident FAQ answer shows the FAQ the ranking policy chooses among the
        candidates (the retrieval's top-1 unless a learned policy was promoted). Answers that
        a rule (pinned, blocked, ...) or the intent made are left alone."""
        if decision.decided_by != "threshold.faq" or not faqs:
            return decision, None
        choice = self.ranker.choose(faqs, [t.name for t in tags], stored_text)
        if choice.rank == 0:
            return decision, choice
        shown = faqs[choice.rank]
        how = "exploring" if choice.explored else "its best"
        return (
            decision.model_copy(
                update={
                    "reply": shown.answer,
                    "source": f"faq:{shown.faq_id}",
                    "decided_by": "bandit.explore" if choice.explored else "bandit.rerank",
                    "reason": f"the learned ranking ({choice.policy}, {how}) showed FAQ "
                    f"{shown.faq_id} (retrieval rank {choice.rank + 1}, confidence "
                    f"{shown.confidence:.2f}) instead of {faqs[0].faq_id}",
                }
            ),
            choice,
        )

    def explain(self, text: str, method: str = "occlusion") -> Explanation:
        """Why ``text`` gets its answer: word attributions (``occlusion`` works on every
        model, ``ig`` needs torch), runner-up, nearest training examples, FAQ/KB matches."""
        from aimass.explain import explain

        return explain(self, text, method)

    # ------------------------------------------------------------------ parts

    def _build_indexes(self, faqs: list[Faq], docs: list[KbDocument]) -> None:
        from aimass.retrieval.faq import FaqIndex
        from aimass.retrieval.fusion import Fusion
        from aimass.retrieval.kb import KbIndex
        from aimass.retrieval.mix import DenseMix, mixed_embed
        from aimass.retrieval.vectors import VectorCache

        def cache(kind: str, embed: Any = self.predictor.embed, tag: str = "") -> VectorCache:
            path = (
                self.content.vectors_path(self.model_version, kind + (f"-{tag}" if tag else ""))
                if self.content is not None
                else None
            )
            return VectorCache(lambda texts: embed(texts, kind=kind), path)

        # An English FAQ bank may search with a frozen expert's vectors mixed into the
        # model's (fitted on dev by `aimass bench faq`; aimass.retrieval.mix).
        dense_mix = DenseMix.from_dict(self.calibration.get("faq_dense_mix"))
        faq_embed = self.predictor.embed
        self._faq_mix, self._faq_expert = dense_mix, None
        if dense_mix.active:
            from aimass.encoders.frozen import get_frozen_encoder

            self._faq_expert = get_frozen_encoder(dense_mix.expert)
            faq_embed = mixed_embed(self.predictor.embed, self._faq_expert.encode, dense_mix)
        self._faq_vectors = cache("query", faq_embed, dense_mix.tag)
        self._kb_vectors = cache("passage")
        self.faq_index = FaqIndex(
            [f for f in faqs if f.questions],
            self._faq_vectors,
            fusion=Fusion.from_dict(self.calibration.get("faq_fusion")),
        )
        self.kb_index = KbIndex(
            docs, self._kb_vectors, fusion=Fusion.from_dict(self.calibration.get("kb_fusion"))
        )
        self._save_vectors()

    def _faq_query_vectors(self, texts: list[str], vectors: np.ndarray | None) -> np.ndarray | None:
        """The model's query vectors, with the FAQ bank's expert mixed in when it has one."""
        if vectors is None or self._faq_expert is None:
            return vectors
        from aimass.retrieval.mix import mix

        return mix(vectors, self._faq_expert.encode(texts), self._faq_mix.weight)

    def _save_vectors(self) -> None:
        try:
            self._faq_vectors.save()
            self._kb_vectors.save()
        except OSError as e:  # a read-only artifact still serves; it just re-embeds next time
            log.warning("could not cache embeddings: %s", e)

    # ------------------------------------------------------------------ content

    def search_faqs(self, text: str, k: int = 5) -> list[FaqMatch]:
        clean = check_message(text)
        (hits,) = self.faq_index.search([clean], k=k) if len(self.faq_index) else ([],)
        return self._faq_matches(clean, hits, language_of(clean))

    def search_kb(self, text: str, k: int = 5) -> list[KbMatch]:
        clean = check_message(text)
        (hits,) = self.kb_index.search([clean], k=k) if len(self.kb_index) else ([],)
        return self._kb_matches(clean, hits)

    def find_duplicates(
        self, question: str, *, threshold: float | None = None, k: int = 5
    ) -> list[FaqMatch]:
        """Existing FAQs that ``question`` probably duplicates (for FAQ maintenance).

        A match counts when its calibrated confidence (the probability that this FAQ is the
        right answer to the question) reaches ``threshold`` (default: ``thresholds.faq``).
        """
        cut = self.thresholds.faq if threshold is None else threshold
        return [m for m in self.search_faqs(question, k=k) if m.confidence >= cut]

    def upsert_faq(self, faq: Faq) -> None:
        """Add or replace an FAQ; the change is searchable at once and persisted."""
        if not faq.questions:
            raise InputError(
                f"FAQ {faq.id!r} has no question", code="AM107", hint="add at least one question"
            )
        self.faq_index.upsert(faq)
        self._persist_faqs()

    def delete_faq(self, faq_id: str) -> bool:
        gone = self.faq_index.delete(faq_id)
        if gone:
            self._persist_faqs()
        return gone

    def upsert_document(self, doc: KbDocument) -> int:
        """Add or replace a knowledge-base document; returns how many passages it became."""
        n = self.kb_index.upsert(doc)
        self._persist_kb()
        return n

    def delete_document(self, doc_id: str) -> bool:
        gone = self.kb_index.delete(doc_id)
        if gone:
            self._persist_kb()
        return gone

    def _persist_faqs(self) -> None:
        if self.content is not None:
            self.content.write_faqs(list(self.faq_index.faqs.values()))
        self._save_vectors()

    def _persist_kb(self) -> None:
        if self.content is not None:
            self.content.write_kb(self.kb_index.documents())
        self._save_vectors()

    def _intents(
        self, probs: np.ndarray | None, oos: bool, k: int = 5
    ) -> tuple[list[IntentScore], bool]:
        if probs is None:
            return [], False
        labels = self.predictor.intent_labels
        order = np.argsort(-probs)[:k]
        scores = [
            IntentScore(name=labels[j], confidence=float(np.clip(probs[j], 0, 1))) for j in order
        ]
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

    def _match_confidence(self, hits: list[Any], *keys: str) -> np.ndarray:
        """Probability that each hit is right, from its cosine and its lead over the others
        (the logistic fit stored at calibration under the first of ``keys`` present)."""
        from aimass.training.calibrate import match_confidence

        params = next((self.calibration[k] for k in keys if self.calibration.get(k)), None)
        params = params or {"w_score": 25.0, "w_margin": 0.0, "bias": -21.25}
        scores = np.array([h.hit.dense for h in hits])
        others = np.array(
            [np.max(np.delete(scores, i)) if len(scores) > 1 else 0.0 for i in range(len(scores))]
        )
        return np.clip(match_confidence(params, scores, scores - others), 0.0, 1.0)

    def _faq_matches(self, text: str, hits: list[Any], language: str) -> list[FaqMatch]:
        if not hits:
            return []
        conf = self._match_confidence(hits, "faq_confidence")
        out = []
        for h, c in zip(hits, conf, strict=True):
            mine, theirs = _spans(text, h.variant)
            out.append(
                FaqMatch(
                    faq_id=h.faq.id,
                    score=round(h.hit.dense, 4),
                    confidence=float(np.clip(c, 0, 1)),
                    matched_question=h.variant,
                    answer=h.faq.answer_for(language),
                    category=h.faq.category,
                    lexical=round(h.hit.lexical, 4),
                    fused=round(h.hit.fused, 4),
                    highlights=mine,
                    matched_highlights=theirs,
                )
            )
        return out

    def _kb_matches(self, text: str, hits: list[Any]) -> list[KbMatch]:
        if not hits:
            return []
        conf = self._match_confidence(hits, "kb_confidence", "faq_confidence")
        out = []
        for h, c in zip(hits, conf, strict=True):
            p = h.passage
            _, theirs = _spans(text, p.text)
            out.append(
                KbMatch(
                    doc_id=p.doc_id,
                    passage_id=p.passage_id,
                    title=p.title,
                    section=" > ".join(p.heading_path) or None,
                    text=p.text,
                    score=round(h.hit.fused, 4),
                    confidence=float(np.clip(c, 0, 1)),
                    source=h.source,
                    highlights=theirs,
                    best_sentence=Highlight(start=h.best_sentence[0][0], end=h.best_sentence[0][1])
                    if h.best_sentence
                    else None,
                )
            )
        return out


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


def _spans(query: str, other: str) -> tuple[list[Highlight], list[Highlight]]:
    """Which characters of the message and of the matched text share a term (for highlighting)."""
    from aimass.text import matching_spans

    mine, theirs = matching_spans(query, other)
    return (
        [Highlight(start=s, end=e) for s, e in mine],
        [Highlight(start=s, end=e) for s, e in theirs],
    )
