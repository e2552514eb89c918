"""POST /v1/feedback: thumbs, resolved, hand-off outcome; corrections need an agent key."""

from __future__ import annotations

from fastapi import APIRouter, Request

from aimass.errors import ServiceError
from aimass.service.routers import ERRORS, ctx_of
from aimass.service.schemas import Created, FeedbackIn
from aimass.service.security import CLIENT, Principal

router = APIRouter(tags=["feedback"], responses=ERRORS)


@router.post("/feedback", response_model=Created, status_code=201)
def feedback(body: FeedbackIn, request: Request, who: Principal = CLIENT) -> Created:
    """Stored before the reply is sent: a 201 means the feedback is durable."""
    if body.kind == "correction" and not who.allows("agent"):
        raise ServiceError(
            "corrections of the intent/FAQ need an agent key", code="AM802", hint="use an agent key"
        )
    if body.turn_id is None and body.session_id is None:
        raise ServiceError(
            "feedback needs a turn_id or a session_id", code="AM805", hint="send the turn_id"
        )
    if body.kind == "thumbs" and body.value not in ("up", "down"):
        raise ServiceError("thumbs feedback is 'up' or 'down'", code="AM805", hint="value=up")
    fid = ctx_of(request).store.add_feedback(
        kind=body.kind,
        turn_id=body.turn_id,
        conversation_id=body.session_id,
        value=body.value,
        corrected_intent=body.corrected_intent,
        corrected_faq_id=body.corrected_faq_id,
        comment=body.comment,
        actor=who.key_id,
    )
    return Created(id=fid)
