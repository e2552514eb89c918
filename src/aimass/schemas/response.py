"""What the runtime returns for one message; the CLI, the HTTP API and the UI all show this."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntentScore(_Record):
    name: str
    confidence: float = Field(ge=0.0, le=1.0)


class TagScore(_Record):
    name: str
    confidence: float = Field(ge=0.0, le=1.0)


class Highlight(_Record):
    """A character span ``[start, end)`` in some text (offsets into the original string)."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)


class FaqMatch(_Record):
    faq_id: str
    score: float  # similarity of the best-matching question variant (cosine, -1..1)
    confidence: float = Field(ge=0.0, le=1.0)  # estimated probability that this FAQ is right
    matched_question: str
    answer: str
    category: str | None = None
    lexical: float = 0.0  # BM25 score of the best variant (0 when no word is shared)
    fused: float = 0.0  # the hybrid ranking score the FAQs are ordered by
    highlights: list[Highlight] = Field(default_factory=list)  # in the customer's message
    matched_highlights: list[Highlight] = Field(default_factory=list)  # in matched_question


class KbMatch(_Record):
    """A knowledge-base passage that answers (part of) the message."""

    doc_id: str
    passage_id: str
    title: str
    section: str | None = None  # heading path, " > "-joined
    text: str
    score: float  # fused hybrid score
    confidence: float = Field(ge=0.0, le=1.0)
    source: str  # document path relative to the project, with "#anchor" of the section
    highlights: list[Highlight] = Field(default_factory=list)  # words shared with the message
    best_sentence: Highlight | None = None  # the sentence of ``text`` that answers best


class DecisionKind(StrEnum):
    ANSWER = "answer"  # reply with an FAQ answer or the intent's response
    CLARIFY = "clarify"  # two candidates are close: offer them
    HANDOFF = "handoff"  # hand the conversation to a human agent
    FALLBACK = "fallback"  # out of scope: say so, offer help
    REFUSE = "refuse"  # a policy rule forbids answering (blocked topic, sensitive words)


class TraceStep(_Record):
    """One policy rule as it was evaluated for a message, in evaluation order."""

    rule: str  # the rule's id in policy.yaml ("confidence" for the default decision rule)
    kind: str  # the rule type: pinned, blocked, sensitive, redact, escalate, confidence
    fired: bool  # whether the rule matched this message
    detail: str = ""  # what matched (or why not), for a human reading the trace


class Decision(_Record):
    kind: DecisionKind
    reply: str
    source: str  # what the reply comes from: "faq:<id>", "intent:<name>", "fallback", ...
    decided_by: str  # the rule or model that made the decision, e.g. "threshold.faq"
    reason: str  # one sentence a human can read
    options: list[str] = Field(default_factory=list)  # clarification choices, if any
    trace: list[TraceStep] = Field(default_factory=list)  # policy rules evaluated, in order


class TokenAttribution(_Record):
    """How much one word of the message pushed the predicted intent: ``text[start:end]``
    (offsets into the original message, from the text layer), signed, larger = more."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    score: float


class NearestExample(_Record):
    """A training example close to the message in the embedding space."""

    text: str
    intent: str
    similarity: float  # cosine


class MatchExplanation(_Record):
    """Which words of the message matched which words of an FAQ question or KB passage."""

    kind: str  # "faq" or "kb"
    id: str  # FAQ id, or "doc_id#passage_id"
    matched_text: str
    confidence: float = Field(ge=0.0, le=1.0)
    highlights: list[Highlight] = Field(default_factory=list)  # in the message
    matched_highlights: list[Highlight] = Field(default_factory=list)  # in matched_text


class Explanation(_Record):
    """Why the assistant read a message the way it did (``aimass explain``, the API)."""

    text: str
    intent: str | None = None
    confidence: float | None = None
    method: str = "occlusion"  # "ig" (integrated gradients, torch) or "occlusion"
    attributions: list[TokenAttribution] = Field(default_factory=list)  # in text order
    runner_up: str | None = None
    runner_up_confidence: float | None = None
    gap: float | None = None  # confidence of the intent minus the runner-up's
    why_runner_up_lost: str = ""
    nearest: list[NearestExample] = Field(default_factory=list)  # most similar first
    matches: list[MatchExplanation] = Field(default_factory=list)
    out_of_scope: bool = False
    scope_score: float | None = None  # the combined in-scope score, when the model has one
    scope_threshold: float | None = None


class FaqChoice(_Record):
    """Which FAQ a confident FAQ answer showed, chosen by the re-ranking policy, and how
    likely that choice was. Stored with the turn: off-policy evaluation of the next policy
    divides by ``propensity`` (``aimass learn``)."""

    policy: str  # "static" (the retrieval's top-1) or the bandit policy, e.g. "bandit@120"
    shown: str  # the FAQ id whose answer is the reply
    rank: int = Field(ge=0)  # its position in ``Response.faqs`` (0 = the retrieval's top-1)
    propensity: float = Field(gt=0.0, le=1.0)  # probability the policy gave this choice
    greedy: str  # the FAQ the policy believes best (differs from ``shown`` when exploring)
    explored: bool = False  # shown is not the policy's best: an exploration step


class Response(_Record):
    """The typed answer to one message."""

    text: str
    language: str
    intents: list[IntentScore]  # best first
    out_of_scope: bool
    tags: list[TagScore]  # profile tags above their threshold, best first
    faqs: list[FaqMatch]  # best first
    decision: Decision
    kb: list[KbMatch] = Field(default_factory=list)  # best first
    # The message with personal data masked (policy redaction); store and show this, not text.
    redacted_text: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    model_version: str = ""
    latency_ms: float = 0.0
    explanation: Explanation | None = None  # filled by Assistant.explain, not every turn
    faq_choice: FaqChoice | None = None  # set when the reply is an FAQ's answer

    @property
    def intent(self) -> IntentScore | None:
        return self.intents[0] if self.intents else None
