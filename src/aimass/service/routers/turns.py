"""POST /v1/turns: one conversation turn, micro-batched with its neighbours, then stored."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from aimass.service.routers import ERRORS, check_text, ctx_of
from aimass.service.schemas import TurnIn, TurnOut
from aimass.service.security import CLIENT, Principal

router = APIRouter(tags=["conversation"], responses=ERRORS)


@router.post("/turns", response_model=TurnOut)
async def turn(body: TurnIn, request: Request, who: Principal = CLIENT) -> TurnOut:
    """The customer's message in; reply, decision (and why), intents, tags, FAQ and KB out."""
    ctx = ctx_of(request)
    text = check_text(request, body.message)
    await ctx.content.maybe_sync(ctx.batcher)
    session_id = body.session_id or ctx.new_session_id()
    r = await ctx.batcher.submit(text, user_id=body.user_id, session_id=session_id)
    ids = await run_in_threadpool(
        ctx.store.record_turn,
        r,
        conversation_id=session_id,
        user_id=body.user_id,
        language=body.language,
        review_below=ctx.settings.review_below,
    )
    ctx.metrics.decisions.labels(r.decision.kind.value).inc()
    return TurnOut.of(
        r,
        turn_id=ids["turn_id"],
        session_id=session_id,
        user_id=body.user_id,
        handoff_id=ids["handoff_id"],
    )
