"""The simple decision rule: answer, clarify, hand off, or fall back.

The bot's policy (``aimass.policy``, from ``policy.yaml``: pinned answers, blocked topics,
sensitive words, redaction, escalation triggers, with a trace) runs first; this rule is its
last, default "decide by confidence" step (``type: confidence``).

1. The top intent is a hand-off intent (e.g. ``human_agent``)  -> hand off.
2. Out of scope (``oos`` predicted, or the top in-scope probability under the dev-fitted
   threshold) -> fallback, unless an FAQ matches with ``thresholds.faq_override`` confidence.
3. A confident FAQ (calibrated confidence >= ``thresholds.faq``) -> answer it, unless the
   runner-up FAQ is within ``ambiguity_margin`` -> clarify between them.
4. A confident intent with a response -> answer, unless the runner-up intent is close ->
   clarify.
5. Otherwise, if there are plausible candidates, clarify; if not, hand off.
"""

from __future__ import annotations

from dataclasses import dataclass

from aimass.config.project import Replies, Thresholds
from aimass.schemas import Decision, DecisionKind, FaqMatch, IntentScore


@dataclass
class IntentInfo:
    responses: dict[str, str]
    description: str | None = None


def reply_in(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts.get("default") or next(iter(texts.values()), "")


def decide(
    *,
    intents: list[IntentScore],
    out_of_scope: bool,
    faqs: list[FaqMatch],
    language: str,
    thresholds: Thresholds,
    replies: Replies,
    intent_info: dict[str, IntentInfo],
    handoff_intents: list[str],
    faq_titles: dict[str, str],
) -> Decision:
    top = intents[0] if intents else None
    margin = thresholds.ambiguity_margin

    if top is not None and top.name in handoff_intents and top.confidence >= thresholds.intent:
        return Decision(
            kind=DecisionKind.HANDOFF,
            reply=reply_in(replies.handoff, language),
            source=f"intent:{top.name}",
            decided_by="intent.handoff",
            reason=f"the customer asked for a person (intent {top.name}, {top.confidence:.2f})",
        )

    if out_of_scope and not (faqs and faqs[0].confidence >= thresholds.faq_override):
        return Decision(
            kind=DecisionKind.FALLBACK,
            reply=reply_in(replies.fallback, language),
            source="fallback",
            decided_by="threshold.oos",
            reason="the message is out of scope for this bot",
        )

    if faqs and faqs[0].confidence >= thresholds.faq:
        best = faqs[0]
        if len(faqs) > 1 and best.confidence - faqs[1].confidence < margin:
            return _clarify(
                [faq_titles.get(f.faq_id, f.matched_question) for f in faqs[:2]],
                language,
                replies,
                "threshold.faq_ambiguity",
                f"FAQs {best.faq_id} and {faqs[1].faq_id} are within {margin:.2f} of each other",
                source=f"faq:{best.faq_id}",
            )
        return Decision(
            kind=DecisionKind.ANSWER,
            reply=best.answer,
            source=f"faq:{best.faq_id}",
            decided_by="threshold.faq",
            reason=f"FAQ {best.faq_id} matched with confidence {best.confidence:.2f}",
        )

    answerable = [s for s in intents if s.name in intent_info and intent_info[s.name].responses]
    if answerable and answerable[0].confidence >= thresholds.intent:
        best_i = answerable[0]
        runner = answerable[1] if len(answerable) > 1 else None
        if runner is not None and best_i.confidence - runner.confidence < margin:
            return _clarify(
                [_intent_title(s.name, intent_info) for s in (best_i, runner)],
                language,
                replies,
                "threshold.intent_ambiguity",
                f"intents {best_i.name} and {runner.name} are within {margin:.2f}",
                source=f"intent:{best_i.name}",
            )
        return Decision(
            kind=DecisionKind.ANSWER,
            reply=reply_in(intent_info[best_i.name].responses, language),
            source=f"intent:{best_i.name}",
            decided_by="threshold.intent",
            reason=f"intent {best_i.name} with confidence {best_i.confidence:.2f}",
        )

    options = [
        faq_titles.get(f.faq_id, f.matched_question) for f in faqs[:3] if f.confidence >= 0.2
    ]
    if len(options) >= 2:
        return _clarify(
            options,
            language,
            replies,
            "threshold.unsure",
            "no answer is confident; offering the closest FAQs",
            source="clarify",
        )
    return Decision(
        kind=DecisionKind.HANDOFF,
        reply=reply_in(replies.handoff, language),
        source="handoff",
        decided_by="threshold.unsure",
        reason="no answer is confident enough and there is nothing close to offer",
    )


def _intent_title(name: str, info: dict[str, IntentInfo]) -> str:
    return info[name].description or name.replace("_", " ")


def _clarify(
    options: list[str], language: str, replies: Replies, by: str, reason: str, *, source: str
) -> Decision:
    return Decision(
        kind=DecisionKind.CLARIFY,
        reply=reply_in(replies.clarify, language),
        source=source,
        decided_by=by,
        reason=reason,
        options=options,
    )
