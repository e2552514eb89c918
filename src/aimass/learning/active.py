"""Active learning: send the turns the assistant is least sure about to the labelling queue,
and bring agents' labels back as training data.

The service already queues a turn whose top intent is below a confidence threshold. That
misses turns the model is confidently split on, or where its parts disagree. Each stored
turn gets an *uncertainty* in [0, 1], the largest of these signals (each named, so the
console and the report can say why a turn was chosen):

* ``intent_margin``: the top two intents are close (1 - (p1 - p2));
* ``intent_low``: the top intent's confidence is low (1 - p1);
* ``faq_margin``: the top two FAQs' confidences are close;
* ``legs_disagree``: the dense (meaning) and lexical (words) legs of retrieval each rank a
  different FAQ first — two "teachers" that do not agree;
* ``policy_disagrees``: a promoted bandit policy would show another FAQ than the ranker.

:func:`feed_queue` adds the most uncertain turns that are not queued or corrected yet, up to
a budget; :func:`export_labels` writes labelled items as intent examples
(``{"text", "label"}``) and FAQ queries (``{"text", "faq_id"}``), the benchmark JSONL formats
``aimass bench`` and the readers of :mod:`aimass.evaluation.benchdata` take.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aimass.learning.bandit import Policy, write_text_atomic
from aimass.learning.feedback import candidates_of


@dataclass(frozen=True)
class Uncertainty:
    score: float  # the largest signal
    reason: str  # its name
    signals: dict[str, float]


def uncertainty(response: dict[str, Any], policy: Policy | None = None) -> Uncertainty:
    """How unsure a stored response (``Response`` as JSON) is, and why."""
    sig: dict[str, float] = {}
    intents = sorted(
        (float(i.get("confidence", 0.0)) for i in response.get("intents") or []), reverse=True
    )
    if intents:
        sig["intent_low"] = 1.0 - intents[0]
        if len(intents) > 1:
            sig["intent_margin"] = 1.0 - (intents[0] - intents[1])
    faqs = response.get("faqs") or []
    confs = [float(f.get("confidence", 0.0)) for f in faqs]
    if len(confs) > 1 and confs[0] > 0:
        sig["faq_margin"] = 1.0 - (confs[0] - confs[1]) / max(confs[0], 1e-9)
    if len(faqs) > 1:
        by_dense = max(faqs, key=lambda f: float(f.get("score", -1.0)))
        by_lex = max(faqs, key=lambda f: float(f.get("lexical", 0.0)))
        if float(by_lex.get("lexical", 0.0)) > 0 and by_dense["faq_id"] != by_lex["faq_id"]:
            sig["legs_disagree"] = 0.8
    if policy is not None and faqs:
        from aimass.learning.bandit import Context

        tags = [t.get("name", "") for t in response.get("tags") or [] if isinstance(t, dict)]
        ctx = Context.of(candidates_of(response), tags, text=str(response.get("text", "")))
        if ctx.candidates and int(policy.probabilities(ctx).argmax()) != 0:
            sig["policy_disagrees"] = 0.9
    if not sig:
        return Uncertainty(0.0, "none", {})
    reason = max(sig, key=lambda k: sig[k])
    return Uncertainty(round(sig[reason], 4), reason, {k: round(v, 4) for k, v in sig.items()})


def feed_queue(
    url: str,
    *,
    budget: int = 50,
    min_score: float = 0.5,
    policy: Policy | None = None,
    dry_run: bool = False,
) -> list[dict[str, Any]]:
    """Queue the ``budget`` most uncertain stored turns (score >= ``min_score``) that have no
    labelling item and no correction yet. Returns what was (or would be) queued."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from aimass.storage.db import normalise_url
    from aimass.storage.models import DecisionRow, Feedback, Message, ReviewItem

    engine = create_engine(normalise_url(url))
    try:
        with Session(engine) as s:
            queued = set(s.scalars(select(ReviewItem.decision_id)).all())
            corrected = set(
                s.scalars(select(Feedback.decision_id).where(Feedback.kind == "correction")).all()
            )
            scored = []
            for row in s.scalars(select(DecisionRow).order_by(DecisionRow.id)).all():
                if row.id in queued or row.id in corrected or row.kind == "handoff":
                    continue
                u = uncertainty(row.response or {}, policy)
                if u.score >= min_score:
                    scored.append((u.score, row.id, row, u))
            scored.sort(key=lambda x: (-x[0], x[1]))
            chosen = scored[:budget]
            texts = {
                m.id: m.text
                for m in s.scalars(
                    select(Message).where(Message.id.in_([r.message_id for _, _, r, _ in chosen]))
                ).all()
            }
            out = []
            for score, _, row, u in chosen:
                out.append(
                    {
                        "turn_id": row.id,
                        "text": texts.get(row.message_id, ""),
                        "intent": row.intent,
                        "score": score,
                        "reason": u.reason,
                        "signals": u.signals,
                    }
                )
                if not dry_run:
                    s.add(
                        ReviewItem(
                            decision_id=row.id,
                            conversation_id=row.conversation_id,
                            user_id=row.user_id,
                            text=texts.get(row.message_id, ""),
                            intent=row.intent,
                            confidence=row.intent_confidence,
                        )
                    )
            if not dry_run:
                s.commit()
            return out
    finally:
        engine.dispose()


def export_labels(url: str, out_dir: Path) -> dict[str, int]:
    """Write agents' labels as ``labels.intents.jsonl`` and ``labels.faq_queries.jsonl``.

    Both the labelling queue's labels and corrections sent as feedback count; the newest
    label of a turn wins. Files are written atomically; nothing is merged into a project —
    an agent's label is data to review before it trains a model.
    """
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from aimass.storage.db import normalise_url
    from aimass.storage.models import DecisionRow, Feedback, Message

    engine = create_engine(normalise_url(url))
    intents: dict[int, tuple[str, str]] = {}
    faqs: dict[int, tuple[str, str]] = {}
    try:
        with Session(engine) as s:
            rows = s.execute(
                select(Feedback, DecisionRow, Message)
                .join(DecisionRow, Feedback.decision_id == DecisionRow.id)
                .join(Message, DecisionRow.message_id == Message.id)
                .where(Feedback.kind == "correction")
                .order_by(Feedback.id)
            ).all()
            for fb, row, msg in rows:
                if fb.corrected_intent:
                    intents[row.id] = (msg.text, fb.corrected_intent)
                if fb.corrected_faq_id:
                    faqs[row.id] = (msg.text, fb.corrected_faq_id)
    finally:
        engine.dispose()
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(
        out_dir / "labels.intents.jsonl",
        "".join(
            json.dumps({"text": t, "label": lab}, ensure_ascii=False) + "\n"
            for t, lab in intents.values()
        ),
    )
    write_text_atomic(
        out_dir / "labels.faq_queries.jsonl",
        "".join(
            json.dumps({"text": t, "faq_id": f}, ensure_ascii=False) + "\n"
            for t, f in faqs.values()
        ),
    )
    return {"intents": len(intents), "faq_queries": len(faqs)}
