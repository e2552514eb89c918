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
    highlights: list[Highlight] = Field(default_factory=list)  # best sentence/words in text


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

    @property
    def intent(self) -> IntentScore | None:
        return self.intents[0] if self.intents else None
