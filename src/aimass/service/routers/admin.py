"""Administration (admin keys): FAQ/KB content, model reload, keys, dashboard, audit log.

Content is stored in the database AND applied to the running model in place (the runtime's
``upsert_faq``/``upsert_document``), so an edit answers the next question without retraining.
Every change is written to the audit log with the key that made it.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from aimass.errors import AimassError, ServiceError
from aimass.service.routers import ERRORS, check_text, ctx_of
from aimass.service.schemas import (
    AuditOut,
    ContentSaved,
    Deleted,
    FaqIn,
    KbIn,
    KeyCreated,
    KeyIn,
    KeyOut,
    ReloadIn,
    ReloadOut,
    Stats,
    TryIn,
    TurnOut,
)
from aimass.service.security import ADMIN, Principal

log = logging.getLogger("aimass.service")
router = APIRouter(prefix="/admin", tags=["admin"], responses=ERRORS)


def _live(ctx: Any, method: str, *args: Any) -> tuple[bool, Any]:
    """Apply a content change to the running model when its runtime supports it."""
    fn = getattr(ctx.holder.current, method, None)
    if fn is None:
        return False, None
    try:
        return True, fn(*args)
    except AimassError:
        raise
    except Exception as e:
        log.exception("%s failed on the running model", method)
        raise ServiceError(
            "the running model could not apply the change; nothing was saved",
            code="AM816",
            hint="the server log has the details",
        ) from e


# ---------------------------------------------------------------------- FAQs


@router.get("/faqs", response_model=list[FaqIn])
def list_faqs(request: Request, who: Principal = ADMIN) -> Any:
    return [_faq_in(d) for d in ctx_of(request).store.list_content("faq")]


@router.get("/faqs/{faq_id}", response_model=FaqIn)
def get_faq(faq_id: str, request: Request, who: Principal = ADMIN) -> Any:
    return _faq_in(ctx_of(request).store.get_content("faq", faq_id))


@router.put("/faqs/{faq_id}", response_model=ContentSaved)
async def put_faq(faq_id: str, body: FaqIn, request: Request, who: Principal = ADMIN) -> Any:
    """Create or replace an FAQ (the id in the path wins)."""
    from aimass.schemas import Faq

    ctx = ctx_of(request)
    for q in body.questions:
        check_text(request, q, "question")
    faq = Faq(**{**body.model_dump(), "id": faq_id})
    data = faq.model_dump(mode="json", exclude_none=True)
    live, _ = await ctx.batcher.call(_live, ctx, "upsert_faq", faq)
    created = await run_in_threadpool(ctx.store.put_content, "faq", data)
    await run_in_threadpool(
        ctx.store.audit, who.key_id, "faq.create" if created else "faq.update", faq_id, faq=data
    )
    return ContentSaved(id=faq_id, created=created, live=live)


@router.post("/faqs", response_model=ContentSaved, status_code=201)
async def post_faq(body: FaqIn, request: Request, who: Principal = ADMIN) -> Any:
    return await put_faq(body.id, body, request, who)


@router.delete("/faqs/{faq_id}", response_model=Deleted)
async def delete_faq(faq_id: str, request: Request, who: Principal = ADMIN) -> Any:
    ctx = ctx_of(request)
    live, _ = await ctx.batcher.call(_live, ctx, "delete_faq", faq_id)
    deleted = await run_in_threadpool(ctx.store.delete_content, "faq", faq_id)
    await run_in_threadpool(ctx.store.audit, who.key_id, "faq.delete", faq_id)
    return Deleted(id=faq_id, deleted=deleted, live=live)


def _faq_in(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d.get(k) for k in ("id", "questions", "answer", "answers", "category") if k in d}


# ---------------------------------------------------------------------- knowledge base


@router.get("/kb", response_model=list[KbIn])
def list_kb(request: Request, who: Principal = ADMIN) -> Any:
    return [_kb_in(d) for d in ctx_of(request).store.list_content("kb")]


@router.get("/kb/{doc_id}", response_model=KbIn)
def get_kb(doc_id: str, request: Request, who: Principal = ADMIN) -> Any:
    return _kb_in(ctx_of(request).store.get_content("kb", doc_id))


@router.put("/kb/{doc_id}", response_model=ContentSaved)
async def put_kb(doc_id: str, body: KbIn, request: Request, who: Principal = ADMIN) -> Any:
    from aimass.schemas import KbDocument

    ctx = ctx_of(request)
    doc = KbDocument(
        id=doc_id,
        title=body.title,
        text=body.text,
        format=body.format,
        path=f"console/{doc_id}.{body.format}",
        language=body.language,
    )
    data = doc.model_dump(mode="json")
    live, passages = await ctx.batcher.call(_live, ctx, "upsert_document", doc)
    created = await run_in_threadpool(ctx.store.put_content, "kb", data)
    await run_in_threadpool(
        ctx.store.audit,
        who.key_id,
        "kb.create" if created else "kb.update",
        doc_id,
        title=body.title,
    )
    return ContentSaved(
        id=doc_id, created=created, live=live, passages=int(passages) if live else None
    )


@router.post("/kb", response_model=ContentSaved, status_code=201)
async def post_kb(body: KbIn, request: Request, who: Principal = ADMIN) -> Any:
    return await put_kb(body.id, body, request, who)


@router.delete("/kb/{doc_id}", response_model=Deleted)
async def delete_kb(doc_id: str, request: Request, who: Principal = ADMIN) -> Any:
    ctx = ctx_of(request)
    live, _ = await ctx.batcher.call(_live, ctx, "delete_document", doc_id)
    deleted = await run_in_threadpool(ctx.store.delete_content, "kb", doc_id)
    await run_in_threadpool(ctx.store.audit, who.key_id, "kb.delete", doc_id)
    return Deleted(id=doc_id, deleted=deleted, live=live)


def _kb_in(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": d["id"],
        "title": d.get("title", d["id"]),
        "text": d.get("text", ""),
        "format": d.get("format", "md") if d.get("format") in ("md", "txt") else "md",
        "language": d.get("language"),
    }


# ---------------------------------------------------------------------- model


@router.post("/reload", response_model=ReloadOut)
async def reload(request: Request, body: ReloadIn | None = None, who: Principal = ADMIN) -> Any:
    """Load the model (again, or from another folder) fully, then swap it in atomically.

    Requests already in a batch finish on the old model; if loading fails, the old model
    keeps serving and the reply is AM808.
    """
    ctx = ctx_of(request)
    before = ctx.holder.version
    path = body.path if body else None
    try:
        await run_in_threadpool(ctx.holder.reload, path)
    except AimassError:
        ctx.metrics.reloads.labels("failed").inc()
        await run_in_threadpool(ctx.store.audit, who.key_id, "model.reload_failed", path)
        raise
    ctx.metrics.reloads.labels("ok").inc()
    await ctx.batcher.call(ctx.content.replay_all)  # console edits survive a reload
    ctx.metrics.set_model(ctx.holder.version)
    await run_in_threadpool(
        ctx.store.audit, who.key_id, "model.reload", ctx.holder.path, version=ctx.holder.version
    )
    return ReloadOut(
        model_version=ctx.holder.version, previous_version=before, path=ctx.holder.path
    )


@router.post("/try", response_model=TurnOut)
async def try_question(body: TryIn, request: Request, who: Principal = ADMIN) -> Any:
    """ "Test this question": what the bot would answer and why, without storing anything."""
    ctx = ctx_of(request)
    r = await ctx.batcher.submit(check_text(request, body.message))
    return TurnOut.of(r, turn_id=0, session_id="", user_id=None)


# ---------------------------------------------------------------------- keys, audit, dashboard


@router.get("/keys", response_model=list[KeyOut])
def list_keys(request: Request, who: Principal = ADMIN) -> Any:
    return ctx_of(request).store.list_keys()


@router.post("/keys", response_model=KeyCreated, status_code=201)
def create_key(body: KeyIn, request: Request, who: Principal = ADMIN) -> Any:
    store = ctx_of(request).store
    info, token = store.create_key(body.scope, body.name)
    store.audit(who.key_id, "key.create", info["id"], scope=body.scope, name=body.name)
    return {**info, "token": token}


@router.delete("/keys/{key_id}", response_model=KeyOut)
def revoke_key(key_id: str, request: Request, who: Principal = ADMIN) -> Any:
    store = ctx_of(request).store
    info = store.revoke_key(key_id)
    store.audit(who.key_id, "key.revoke", key_id)
    return info


@router.get("/audit", response_model=list[AuditOut])
def audit_log(request: Request, who: Principal = ADMIN) -> Any:
    return ctx_of(request).store.list_audit()


@router.get("/stats", response_model=Stats)
def stats(request: Request, who: Principal = ADMIN) -> Any:
    ctx = ctx_of(request)
    return {**ctx.store.stats(), "model_version": ctx.holder.version}
