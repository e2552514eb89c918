"""Liveness, readiness and Prometheus metrics (outside /v1: infrastructure, not API)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from aimass.service.errors import error_body
from aimass.service.routers import ctx_of
from aimass.service.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"description": "not ready"}})
async def readyz(request: Request) -> object:
    """A model is loaded and the database answers."""
    ctx = ctx_of(request)
    db_ok = await run_in_threadpool(ctx.store.ping)
    if ctx.holder.current is None or not db_ok:
        return JSONResponse(error_body("AM811", "the service is not ready"), status_code=503)
    return Health(status="ready", model_version=ctx.holder.version, database=ctx.store.dialect)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return Response(
        generate_latest(ctx_of(request).metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
