"""GET/DELETE /v1/users/{id}/profile: the profile agents see; the right to be forgotten."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request

from aimass.service.routers import ERRORS, ctx_of
from aimass.service.schemas import Forgotten, ProfileOut
from aimass.service.security import ADMIN, AGENT, Principal

router = APIRouter(tags=["users"], responses=ERRORS)
UserId = Path(..., min_length=1, max_length=128)


@router.get("/users/{user_id}/profile", response_model=ProfileOut)
def get_profile(request: Request, user_id: str = UserId, who: Principal = AGENT) -> Any:
    return ctx_of(request).store.profile(user_id)


@router.delete("/users/{user_id}/profile", response_model=Forgotten)
def forget_user(request: Request, user_id: str = UserId, who: Principal = ADMIN) -> Any:
    """Deletes the profile and every message, decision and feedback of the user."""
    store = ctx_of(request).store
    counts = store.forget_user(user_id)
    store.audit(who.key_id, "user.forget", user_id, deleted=counts)
    return Forgotten(user_id=user_id, deleted=counts)
