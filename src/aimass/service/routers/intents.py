"""POST /v1/intents: intent recognition only (nothing stored)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from aimass.service.routers import ERRORS, check_text, ctx_of
from aimass.service.schemas import IntentIn, IntentOut
from aimass.service.security import CLIENT, Principal

router = APIRouter(tags=["conversation"], responses=ERRORS)


@router.post("/intents", response_model=IntentOut)
async def intents(body: IntentIn, request: Request, who: Principal = CLIENT) -> IntentOut:
    ctx = ctx_of(request)
    await ctx.content.maybe_sync(ctx.batcher)
    r = await ctx.batcher.submit(check_text(request, body.message))
    return IntentOut(
        intent=r.intent,
        intents=r.intents,
        out_of_scope=r.out_of_scope,
        language=r.language,
        model_version=r.model_version,
    )
