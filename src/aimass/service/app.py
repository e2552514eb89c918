"""The FastAPI app factory.

``create_app(settings, assistant=...)`` builds the app around one loaded ``Assistant`` and
one ``Store``; ``create_app_from_env`` is the factory uvicorn workers call (settings from
``AIMASS_*``). Everything under ``/v1`` is the API; ``/widget`` and ``/console`` are static.
"""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from aimass import __version__
from aimass.errors import ServiceError
from aimass.service import errors as service_errors
from aimass.service.batcher import MicroBatcher
from aimass.service.content import ContentSync
from aimass.service.metrics import Metrics
from aimass.service.model import ModelHolder
from aimass.service.security import BodyLimit, TokenBuckets
from aimass.service.settings import Settings
from aimass.storage.store import Store

log = logging.getLogger("aimass.service")
STATIC = Path(__file__).parent / "static"


@dataclass
class ServiceContext:
    settings: Settings
    store: Store
    holder: ModelHolder
    batcher: MicroBatcher
    metrics: Metrics
    limiter: TokenBuckets
    content: ContentSync

    def new_session_id(self) -> str:
        return uuid.uuid4().hex


def load_assistant(path: str, threads: int | None = None, explore: bool = True) -> Any:
    from aimass.runtime.assistant import Assistant

    if not path:
        raise ServiceError(
            "no model to serve", code="AM815", hint="set AIMASS_MODEL to an artifact folder"
        )
    return Assistant.load(Path(path), threads=threads, explore=explore)


def create_app(
    settings: Settings | None = None,
    *,
    assistant: Any = None,
    store: Store | None = None,
) -> FastAPI:
    settings = settings or Settings.from_env()
    if assistant is None:
        assistant = load_assistant(settings.model, settings.model_threads, settings.explore)
    if store is None:
        from aimass.storage.db import default_url

        store = Store(settings.database_url or default_url())
    metrics = Metrics()
    holder = ModelHolder(
        assistant, settings.model or None, settings.model_threads, explore=settings.explore
    )
    metrics.set_model(holder.version)
    batcher = MicroBatcher(
        lambda: holder.current,
        max_size=settings.batch_max_size,
        max_wait_s=settings.batch_max_wait_ms / 1000.0,
        on_batch=metrics.batch_size.observe,
    )
    ctx = ServiceContext(
        settings=settings,
        store=store,
        holder=holder,
        batcher=batcher,
        metrics=metrics,
        limiter=TokenBuckets(settings.rate_per_minute, settings.rate_burst),
        content=ContentSync(store, holder, settings.content_poll_s),
    )
    _seed_content(ctx)
    ctx.content.replay_all()  # console edits (from any server) reach this model

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        yield
        batcher.close()

    app = FastAPI(
        title="AI Mass",
        version=__version__,
        description="Customer-service assistant API: conversation turns, intents, FAQ and "
        "knowledge-base search, feedback, profiles, hand-offs, content administration. "
        "Authenticate with `Authorization: Bearer <key>`; errors are `{code, message}`.",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    service_errors.install(app)

    from aimass.service.routers import (
        admin,
        conversations,
        feedback,
        handoffs,
        health,
        intents,
        search,
        turns,
        users,
    )

    for module in (turns, intents, search, feedback, users, handoffs, conversations, admin):
        app.include_router(module.router, prefix="/v1")
    app.include_router(health.router)

    for name in ("widget", "console"):
        app.mount(f"/{name}", StaticFiles(directory=STATIC / name, html=True), name=name)

    @app.get("/", include_in_schema=False)
    def _root() -> RedirectResponse:
        return RedirectResponse("/console/")

    @app.middleware("http")
    async def _observe(request: Request, call_next: Any) -> Any:
        started = time.perf_counter()
        response = await call_next(request)
        name = _route_name(request)
        metrics.requests.labels(request.method, name, str(response.status_code)).inc()
        metrics.latency.labels(name).observe(time.perf_counter() - started)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key"],
            max_age=600,
        )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app


def _route_name(request: Request) -> str:
    """The route template (``/v1/conversations/{conversation_id}``), never the raw path: a
    metric label per id would grow without bound."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        first = request.url.path.split("/")[1] if request.url.path != "/" else ""
        return f"/{first}" if first in ("widget", "console", "docs") else "unmatched"
    if request.url.path.startswith("/v1/") and not path.startswith("/v1"):
        path = "/v1" + path  # routers are included under the /v1 prefix
    return str(path)


def _seed_content(ctx: ServiceContext) -> None:
    """Start the FAQ editor with what the model knows (only when the table is empty)."""
    try:
        rt = ctx.holder.current.predictor.files.runtime
        faqs = [dict(f) for f in rt.get("faqs", []) if isinstance(f, dict) and "id" in f]
    except AttributeError:
        faqs = []
    if faqs:
        ctx.store.seed_content("faq", faqs)


def create_app_from_env() -> FastAPI:
    """What ``uvicorn --factory`` and ``aimass serve`` workers call."""
    import os

    level = os.environ.get("AIMASS_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return create_app(Settings.from_env())
