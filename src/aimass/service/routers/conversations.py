"""Conversation browser and labelling queue for agents."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request

from aimass.service.routers import ERRORS, ctx_of
from aimass.service.schemas import (
    MAX_ID,
    AgentMessageIn,
    ConversationDetail,
    ConversationOut,
    LabelIn,
    MessageOut,
    ReviewOut,
    RowId,
)
from aimass.service.security import AGENT, CLIENT, Principal

router = APIRouter(tags=["conversations"], responses=ERRORS)


@router.get("/conversations", response_model=list[ConversationOut])
def list_conversations(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_ID),
    user_id: str | None = Query(None, max_length=128),
    who: Principal = AGENT,
) -> Any:
    return ctx_of(request).store.list_conversations(limit=limit, offset=offset, user_id=user_id)


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
def get_conversation(conversation_id: str, request: Request, who: Principal = AGENT) -> Any:
    """Every message, each turn's decision (what decided it and why) and the feedback."""
    return ctx_of(request).store.conversation(conversation_id)


@router.post(
    "/conversations/{conversation_id}/messages", response_model=MessageOut, status_code=201
)
def agent_reply(
    conversation_id: str, body: AgentMessageIn, request: Request, who: Principal = AGENT
) -> Any:
    """A human agent answers the customer (shown in the customer's chat widget)."""
    return ctx_of(request).store.add_agent_message(conversation_id, body.text, who.key_id)


@router.get("/sessions/{session_id}/agent-messages", response_model=list[MessageOut])
def agent_messages(
    session_id: str,
    request: Request,
    after: int = Query(0, ge=0, le=MAX_ID, description="only messages with a larger id"),
    who: Principal = CLIENT,
) -> Any:
    """What human agents wrote in this conversation (the widget polls it after a hand-off)."""
    return ctx_of(request).store.agent_messages(session_id, after)


@router.get("/review", response_model=list[ReviewOut])
def review_queue(
    request: Request,
    status: Literal["open", "labelled"] | None = "open",
    who: Principal = AGENT,
) -> Any:
    """Low-confidence and clarification turns waiting for a label."""
    return ctx_of(request).store.list_review(status)


@router.post("/review/{item_id}/label", response_model=ReviewOut)
def label(item_id: RowId, body: LabelIn, request: Request, who: Principal = AGENT) -> Any:
    return ctx_of(request).store.label_review(
        item_id, intent=body.intent, faq_id=body.faq_id, actor=who.key_id
    )
