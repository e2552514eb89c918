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


class FaqMatch(_Record):
    faq_id: str
    score: float  # similarity of the best-matching question variant (cosine, -1..1)
    confidence: float = Field(ge=0.0, le=1.0)  # estimated probability that this FAQ is right
    matched_question: str
    answer: str
    category: str | None = None


class DecisionKind(StrEnum):
    ANSWER = "answer"  # reply with an FAQ answer or the intent's response
    CLARIFY = "clarify"  # two candidates are close: offer them
    HANDOFF = "handoff"  # hand the conversation to a human agent
    FALLBACK = "fallback"  # out of scope: say so, offer help


class Decision(_Record):
    kind: DecisionKind
    reply: str
    source: str  # what the reply comes from: "faq:<id>", "intent:<name>", "fallback", ...
    decided_by: str  # the rule or model that made the decision, e.g. "threshold.faq"
    reason: str  # one sentence a human can read
    options: list[str] = Field(default_factory=list)  # clarification choices, if any


class Response(_Record):
    """The typed answer to one message."""

    text: str
    language: str
    intents: list[IntentScore]  # best first
    out_of_scope: bool
    tags: list[TagScore]  # profile tags above their threshold, best first
    faqs: list[FaqMatch]  # best first
    decision: Decision
    user_id: str | None = None
    session_id: str | None = None
    model_version: str = ""
    latency_ms: float = 0.0

    @property
    def intent(self) -> IntentScore | None:
        return self.intents[0] if self.intents else None
