"""Request and response bodies of the HTTP API (they are what /docs publishes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Path as PathParam
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from aimass.schemas import (
    Decision,
    FaqChoice,
    FaqMatch,
    IntentScore,
    KbMatch,
    Response,
    TagScore,
)


def _utc(value: datetime) -> datetime:
    """Storage keeps UTC; SQLite hands it back without an offset. The API always says so
    (RFC 3339 requires the offset, and the published schema says date-time)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = Annotated[datetime, AfterValidator(_utc)]

#: the largest row id the databases store (a signed 64-bit integer): a larger id is refused
#: as invalid input (422) instead of overflowing the database driver (500)
MAX_ID = 2**63 - 1
RowId = Annotated[int, PathParam(ge=1, le=MAX_ID)]

Id = Field(default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@\-]+$")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TurnIn(_In):
    message: str = Field(description="the customer's message")
    session_id: str | None = Id
    user_id: str | None = Id
    language: Literal["zh", "en"] | None = Field(
        default=None, description="the interface language (the reply follows the message)"
    )


class TurnOut(BaseModel):
    turn_id: int
    session_id: str
    user_id: str | None
    reply: str
    decision: Decision
    intent: IntentScore | None
    intents: list[IntentScore]
    tags: list[TagScore]
    faqs: list[FaqMatch]
    kb: list[KbMatch] = Field(default_factory=list)
    out_of_scope: bool
    language: str
    model_version: str
    latency_ms: float
    handoff_id: int | None = None
    faq_choice: FaqChoice | None = None  # which FAQ the reply showed, and how likely that was

    @classmethod
    def of(
        cls,
        r: Response,
        *,
        turn_id: int,
        session_id: str,
        user_id: str | None,
        handoff_id: int | None = None,
    ) -> TurnOut:
        """The API's view of one runtime response."""
        return cls(
            turn_id=turn_id,
            session_id=session_id,
            user_id=user_id,
            reply=r.decision.reply,
            decision=r.decision,
            intent=r.intent,
            intents=r.intents,
            tags=r.tags,
            faqs=r.faqs,
            kb=r.kb,
            out_of_scope=r.out_of_scope,
            language=r.language,
            model_version=r.model_version,
            latency_ms=r.latency_ms,
            handoff_id=handoff_id,
            faq_choice=r.faq_choice,
        )


class IntentIn(_In):
    message: str


class IntentOut(BaseModel):
    intent: IntentScore | None
    intents: list[IntentScore]
    out_of_scope: bool
    language: str
    model_version: str


class FeedbackIn(_In):
    turn_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    session_id: str | None = Id
    kind: Literal["thumbs", "resolved", "handoff", "correction"]
    value: str | None = Field(default=None, max_length=64)
    corrected_intent: str | None = Field(default=None, max_length=128)
    corrected_faq_id: str | None = Field(default=None, max_length=256)
    comment: str | None = Field(default=None, max_length=2000)


class Created(BaseModel):
    id: int


class TagCount(BaseModel):
    name: str
    count: int


class ProfileOut(BaseModel):
    user_id: str
    tags: list[TagCount]
    turns: int
    first_seen: Timestamp
    last_seen: Timestamp


class Forgotten(BaseModel):
    user_id: str
    deleted: dict[str, int]


class HandoffIn(_In):
    session_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@\-]+$")
    user_id: str | None = Id
    reason: str = Field(default="", max_length=500)


class ResolveIn(_In):
    outcome: str = Field(default="", max_length=2000)


class HandoffOut(BaseModel):
    id: int
    conversation_id: str
    turn_id: int | None
    user_id: str | None
    reason: str
    status: str
    claimed_by: str | None
    outcome: str | None
    created_at: Timestamp
    claimed_at: Timestamp | None
    resolved_at: Timestamp | None


class TurnRecord(BaseModel):
    turn_id: int
    conversation_id: str
    message_id: int
    text: str
    kind: str
    reply: str
    source: str
    decided_by: str
    reason: str
    options: list[str]
    intent: str | None
    intent_confidence: float | None
    faq_id: str | None
    faq_confidence: float | None
    out_of_scope: bool
    language: str | None
    tags: list[str]
    model_version: str
    latency_ms: float
    created_at: Timestamp


class MessageOut(BaseModel):
    id: int
    role: str
    text: str
    created_at: Timestamp


class FeedbackOut(BaseModel):
    id: int
    turn_id: int | None
    conversation_id: str | None
    kind: str
    value: str | None
    corrected_intent: str | None
    corrected_faq_id: str | None
    comment: str | None
    actor: str | None
    created_at: Timestamp


class ConversationOut(BaseModel):
    id: str
    user_id: str | None
    language: str | None
    status: str
    turns: int
    started_at: Timestamp
    updated_at: Timestamp


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]
    turns_detail: list[TurnRecord]
    feedback: list[FeedbackOut]


class AgentMessageIn(_In):
    text: str = Field(min_length=1, max_length=4000)


class ReviewOut(BaseModel):
    id: int
    turn_id: int
    conversation_id: str
    text: str
    intent: str | None
    confidence: float | None
    status: str
    label_intent: str | None
    label_faq_id: str | None
    created_at: Timestamp


class LabelIn(_In):
    intent: str | None = Field(default=None, max_length=128)
    faq_id: str | None = Field(default=None, max_length=256)


class FaqIn(_In):
    id: str = Field(min_length=1, max_length=256)
    questions: list[str] = Field(min_length=1, max_length=200)
    answer: str = Field(default="", max_length=20000)
    answers: dict[str, str] = Field(default_factory=dict)
    category: str | None = Field(default=None, max_length=256)


class KbIn(_In):
    id: str = Field(min_length=1, max_length=256)
    title: str = Field(min_length=1, max_length=500)
    text: str = Field(min_length=1)
    format: Literal["md", "txt"] = "md"
    language: str | None = Field(default=None, max_length=16)


class ContentSaved(BaseModel):
    id: str
    created: bool
    live: bool = Field(description="the running model sees the change (no retraining needed)")
    passages: int | None = None


class Deleted(BaseModel):
    id: str
    deleted: bool
    live: bool


class ReloadIn(_In):
    path: str | None = Field(default=None, max_length=4096)


class ReloadOut(BaseModel):
    model_version: str
    previous_version: str
    path: str


class KeyIn(_In):
    scope: Literal["client", "agent", "admin"]
    name: str = Field(default="", max_length=128)


class KeyOut(BaseModel):
    id: str
    name: str
    scope: str
    created_at: Timestamp
    last_used_at: Timestamp | None
    revoked: bool


class KeyCreated(KeyOut):
    token: str = Field(description="shown once; only its SHA-256 is stored")


class AuditOut(BaseModel):
    id: int
    at: Timestamp
    actor: str | None
    action: str
    target: str | None
    detail: dict[str, Any]


class Stats(BaseModel):
    turns: int
    conversations: int
    containment: float
    handoff_rate: float
    out_of_scope_rate: float
    decisions: dict[str, int]
    top_intents: list[TagCount]
    feedback: dict[str, int]
    handoffs_waiting: int
    review_open: int
    model_version: str


class TryIn(_In):
    message: str


class Health(BaseModel):
    status: str
    model_version: str | None = None
    database: str | None = None
