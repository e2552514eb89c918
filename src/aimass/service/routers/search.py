"""GET /v1/faqs/search and /v1/kb/search: ranked FAQ entries / knowledge-base passages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from aimass.errors import ServiceError
from aimass.schemas import FaqMatch, KbMatch
from aimass.service.routers import ERRORS, check_text, ctx_of
from aimass.service.security import CLIENT, Principal

router = APIRouter(tags=["search"], responses=ERRORS)


async def _search(request: Request, method: str, q: str, k: int) -> Any:
    ctx = ctx_of(request)
    await ctx.content.maybe_sync(ctx.batcher)
    assistant = ctx.holder.current
    fn = getattr(assistant, method, None)
    if fn is None:
        raise ServiceError(
            f"the loaded runtime has no {method}", code="AM813", hint="upgrade AI Mass"
        )
    return await ctx.batcher.call(fn, check_text(request, q, "q"), k=k)


@router.get("/faqs/search", response_model=list[FaqMatch])
async def search_faqs(
    request: Request,
    q: str = Query(..., description="the question"),
    k: int = Query(5, ge=1, le=50),
    who: Principal = CLIENT,
) -> Any:
    return await _search(request, "search_faqs", q, k)


@router.get("/kb/search", response_model=list[KbMatch])
async def search_kb(
    request: Request,
    q: str = Query(..., description="the question"),
    k: int = Query(5, ge=1, le=50),
    who: Principal = CLIENT,
) -> Any:
    return await _search(request, "search_kb", q, k)
