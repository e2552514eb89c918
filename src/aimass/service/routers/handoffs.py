"""Hand-offs: customers ask for a person (client); agents list, claim and resolve (agent)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request

from aimass.service.routers import ERRORS, ctx_of
from aimass.service.schemas import HandoffIn, HandoffOut, ResolveIn, RowId
from aimass.service.security import AGENT, CLIENT, Principal

router = APIRouter(tags=["handoffs"], responses=ERRORS)


@router.post("/handoffs", response_model=HandoffOut, status_code=201)
def request_handoff(body: HandoffIn, request: Request, who: Principal = CLIENT) -> Any:
    return ctx_of(request).store.request_handoff(
        body.session_id, reason=body.reason or "customer asked for a person", user_id=body.user_id
    )


@router.get("/handoffs", response_model=list[HandoffOut])
def list_handoffs(
    request: Request,
    status: Literal["waiting", "claimed", "resolved"] | None = None,
    who: Principal = AGENT,
) -> Any:
    return ctx_of(request).store.list_handoffs(status)


@router.post("/handoffs/{handoff_id}/claim", response_model=HandoffOut)
def claim(handoff_id: RowId, request: Request, who: Principal = AGENT) -> Any:
    return ctx_of(request).store.claim_handoff(handoff_id, who.key_id)


@router.post("/handoffs/{handoff_id}/resolve", response_model=HandoffOut)
def resolve(
    handoff_id: RowId,
    request: Request,
    body: ResolveIn | None = None,
    who: Principal = AGENT,
) -> Any:
    return ctx_of(request).store.resolve_handoff(
        handoff_id, who.key_id, body.outcome if body else ""
    )
